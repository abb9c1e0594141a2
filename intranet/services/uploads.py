"""Uploads: one service for every area (announcement images, help-desk attachments).

A file is accepted only when its first bytes say it is one of the allowed types (PNG, JPEG,
PDF): the name and the browser's Content-Type are not trusted. It is stored under a random
name in UPLOAD_DIR (instance/uploads by default, outside static/), and served only through
`intranet.blueprints.uploads` after the policy allowed it (`uploads.view`), as an attachment
with the type found at upload time and nosniff.

Usage from another area:

    upload = uploads.store(form.file.data, purpose="ticket", owner_id=ticket.id, actor=user)
    url = uploads.url_for_upload(upload)

and a rule for the purpose in `intranet.policy.UPLOAD_RULES`.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
import unicodedata
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from intranet.extensions import db
from intranet.jobs import register_job
from intranet.models import User
from intranet.models.uploads import Upload
from intranet.services import audit
from intranet.services.errors import ValidationFailed

PNG, JPEG, PDF = "image/png", "image/jpeg", "application/pdf"
IMAGES = frozenset({PNG, JPEG})
ALL_TYPES = frozenset({PNG, JPEG, PDF})
EXTENSIONS = {PNG: ".png", JPEG: ".jpg", PDF: ".pdf"}
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
_KEY_CHARS = re.compile(r"[A-Za-z0-9_-]+")
_CHUNK = 64 * 1024


class UploadTooLarge(ValidationFailed):
    """The file is over the size limit: views answer 413."""


def sniff(head: bytes) -> str | None:
    """The content type from the file's first bytes (magic numbers), or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"%PDF-"):
        return PDF
    return None


def max_bytes() -> int:
    return int(current_app.config.get("UPLOAD_MAX_BYTES") or DEFAULT_MAX_BYTES)


def upload_dir() -> Path:
    configured = current_app.config.get("UPLOAD_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"


def safe_filename(name: str | None) -> str:
    """The name to offer on download: no directories, no control characters, not empty."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = text.strip().strip(".").strip()
    return text[:200] or "file"


def store(
    stream: BinaryIO,
    *,
    filename: str | None,
    purpose: str,
    actor: User | None,
    owner_id: int | None = None,
    allowed: Iterable[str] = ALL_TYPES,
    limit_bytes: int | None = None,
) -> Upload:
    """Check and store a file; returns the (flushed) Upload row.

    Raises UploadTooLarge over the size limit (UPLOAD_MAX_BYTES, or `limit_bytes` for an
    area with a limit of its own) and ValidationFailed for an empty file or a type not
    allowed here (judged from the content). The caller's transaction owns the row.
    """
    allowed = frozenset(allowed)
    limit = limit_bytes or max_bytes()
    root = upload_dir()
    stored_name = secrets.token_hex(16)
    target = _path_for(root, stored_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{stored_name}.part")
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with open(temp, "xb") as out:
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise UploadTooLarge(
                        _("The file is larger than %(mb)d MB.", mb=max(1, limit // (1024 * 1024)))
                    )
                if len(head) < 16:
                    head += chunk[: 16 - len(head)]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise ValidationFailed(_("The file is empty."))
        kind = sniff(head)
        if kind is None or kind not in allowed:
            raise ValidationFailed(_not_allowed_message(allowed))
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    upload = Upload(
        key=secrets.token_urlsafe(24),
        stored_name=stored_name,
        original_name=_with_extension(safe_filename(filename), kind),
        content_type=kind,
        size=size,
        sha256=digest.hexdigest(),
        purpose=purpose,
        owner_id=owner_id,
        uploaded_by_id=actor.id if actor is not None else None,
    )
    db.session.add(upload)
    db.session.flush()
    audit.record(
        "upload.stored",
        actor=actor,
        obj=upload,
        summary=upload.original_name,
        purpose=purpose,
        size=size,
        content_type=kind,
    )
    return upload


def attach(upload: Upload, owner_id: int) -> None:
    """Bind an upload to its owner once the owner has an id."""
    upload.owner_id = owner_id


def _is_key(key: str) -> bool:
    """Keys are token_urlsafe(24): anything else (a NUL byte, which PostgreSQL refuses in a
    query, or 10,000 characters) is no key and is not looked up."""
    return bool(key) and len(key) <= 43 and _KEY_CHARS.fullmatch(key) is not None


def by_key(key: str) -> Upload | None:
    """The upload with this URL key (keys are random and long; anything else is None)."""
    if not _is_key(key):
        return None
    return db.session.scalar(select(Upload).where(Upload.key == key))


def by_keys(keys: Iterable[str]) -> list[Upload]:
    wanted = [k for k in set(keys) if _is_key(k)]
    if not wanted:
        return []
    return list(db.session.scalars(select(Upload).where(Upload.key.in_(wanted))))


def file_path(upload: Upload) -> Path:
    """Where the bytes are; never outside UPLOAD_DIR whatever the row says."""
    root = upload_dir().resolve()
    path = _path_for(root, upload.stored_name).resolve()
    if root not in path.parents:
        raise ValueError("upload path outside UPLOAD_DIR")
    return path


def path_for(upload: Upload) -> str:
    """The upload's URL path (the Markdown renderer accepts exactly these as images)."""
    return f"/uploads/{upload.key}"


def url_for_upload(upload: Upload, *, external: bool = False) -> str:
    path = url_for("uploads.serve", key=upload.key)
    if external:
        return current_app.config["BASE_URL"].rstrip("/") + path
    return path


def delete(upload: Upload, *, actor: User | None) -> None:
    """Remove the row (the file goes with it once the transaction is flushed)."""
    path = file_path(upload)
    audit.record("upload.deleted", actor=actor, obj=upload, summary=upload.original_name)
    db.session.delete(upload)
    db.session.flush()
    path.unlink(missing_ok=True)


def purge_orphans(older_than: timedelta = timedelta(days=1)) -> int:
    """Remove files that no row names (a transaction that stored a file rolled back), once
    they are older than `older_than`; returns how many. The worker runs it daily."""
    root = upload_dir()
    if not root.is_dir():
        return 0
    cutoff = time.time() - older_than.total_seconds()
    known = set(db.session.scalars(select(Upload.stored_name)))
    removed = 0
    for path in root.glob("*/*"):
        name = path.name.lstrip(".").removesuffix(".part")
        if path.is_file() and name not in known and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


register_job("uploads.purge_orphans", 24 * 3600, purge_orphans)


def _path_for(root: Path, stored_name: str) -> Path:
    if not stored_name.isalnum():
        raise ValueError("bad stored name")
    return root / stored_name[:2] / stored_name


def _with_extension(name: str, kind: str) -> str:
    """The download name ends in the extension of the real type (a renamed .html is a .png),
    and fits the 200 characters of the name's column with it."""
    ext = EXTENSIONS[kind]
    stem, dot, current = name.rpartition(".")
    if dot and f".{current.lower()}" in (ext, ".jpeg" if kind == JPEG else ext):
        return name
    return f"{name[: 200 - len(ext)]}{ext}"


def _not_allowed_message(allowed: frozenset[str]) -> str:
    if allowed <= IMAGES:
        return _("Only PNG and JPEG images can be attached here.")
    return _("Only PNG or JPEG images and PDF documents can be attached.")
