"""Ticket attachments: screenshots and documents stored through the upload service.

The upload service judges each file by its content (PNG, JPEG, PDF), stores it under a
random name outside static/, and keeps the name safe; this module adds the help desk's
limits (10 MB a file, 5 a message) and who may read the file (the ticket's readers, or
admins only for the files of a staff-only note).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.datastructures import FileStorage

from intranet.extensions import db
from intranet.models import User
from intranet.models.helpdesk import TicketAttachment, TicketMessage
from intranet.services import uploads
from intranet.services.errors import ValidationFailed

ALLOWED_TYPES = frozenset({uploads.PNG, uploads.JPEG, uploads.PDF})
PURPOSE = "helpdesk"


def present(files: Sequence[FileStorage | object] | None) -> list[FileStorage]:
    """The files actually chosen (a form's empty file inputs left out)."""
    return [f for f in files or () if isinstance(f, FileStorage) and f.filename]


def max_bytes() -> int:
    return int(current_app.config["HELPDESK_MAX_FILE_MB"]) * 1024 * 1024


def max_files() -> int:
    return int(current_app.config["HELPDESK_MAX_FILES"])


def request_limit() -> int:
    """The largest request a form with attachments may send (files plus the text)."""
    return max_files() * max_bytes() + 2 * 1024 * 1024


def _size(item: FileStorage) -> int:
    stream = item.stream
    try:
        position = stream.tell()
        stream.seek(0, io.SEEK_END)
        size = stream.tell()
        stream.seek(position)
    except (AttributeError, OSError, ValueError):
        return -1
    return size


def check_files(files: Sequence[FileStorage] | None) -> None:
    """Refuse more files than a message may carry, or a file over the size limit."""
    chosen = present(files)
    limit = max_files()
    if len(chosen) > limit:
        raise ValidationFailed(
            ngettext("Attach at most %(num)d file.", "Attach at most %(num)d files.", limit),
            "files",
        )
    for item in chosen:
        if _size(item) > max_bytes():
            raise ValidationFailed(too_large_message(item.filename), "files")


def too_large_message(filename: str | None) -> str:
    return _(
        "«%(name)s» is larger than %(mb)d MB.",
        name=uploads.safe_filename(filename),
        mb=int(current_app.config["HELPDESK_MAX_FILE_MB"]),
    )


def _store(stream, filename: str, *, ticket_id: int, actor: User | None):
    """Through the upload service, with the help desk's own size limit."""
    return uploads.store(
        stream,
        filename=filename,
        purpose=PURPOSE,
        actor=actor,
        owner_id=ticket_id,
        allowed=ALLOWED_TYPES,
        limit_bytes=max_bytes(),
    )


def _row(message: TicketMessage, upload, *, staff_only: bool) -> TicketAttachment:
    row = TicketAttachment(
        ticket_id=message.ticket_id,
        message_id=message.id,
        upload_id=upload.id,
        filename=upload.original_name,
        content_type=upload.content_type,
        size=upload.size,
        is_staff_only=staff_only,
    )
    db.session.add(row)
    return row


def attach(
    message: TicketMessage,
    files: Sequence[FileStorage] | None,
    *,
    staff_only: bool,
    actor: User | None = None,
) -> list[TicketAttachment]:
    """Store each chosen file and attach it to the message (ValidationFailed on a bad one)."""
    rows = []
    for item in present(files):
        if _size(item) > max_bytes():
            raise ValidationFailed(too_large_message(item.filename), "files")
        try:
            upload = _store(item.stream, item.filename, ticket_id=message.ticket_id, actor=actor)
        except ValidationFailed as error:
            name = uploads.safe_filename(item.filename)
            raise ValidationFailed(f"«{name}»: {error.message}", "files") from error
        rows.append(_row(message, upload, staff_only=staff_only))
    if rows:
        db.session.flush()
    return rows


def store_bytes(
    message: TicketMessage, filename: str, content: bytes, *, staff_only: bool
) -> TicketAttachment | None:
    """Attach a file that came by e-mail; one of a refused type or size is left out."""
    if len(content) > max_bytes():
        return None
    try:
        upload = _store(io.BytesIO(content), filename, ticket_id=message.ticket_id, actor=None)
    except ValidationFailed:
        return None
    row = _row(message, upload, staff_only=staff_only)
    db.session.flush()
    return row


def path_of(attachment: TicketAttachment) -> Path:
    """Where the attachment's bytes are (never outside UPLOAD_DIR)."""
    from intranet.models.uploads import Upload

    upload = db.session.get(Upload, attachment.upload_id)
    if upload is None:
        raise FileNotFoundError(attachment.upload_id)
    return uploads.file_path(upload)


def read(attachment: TicketAttachment) -> bytes:
    """The stored bytes (for the forward to the vendor)."""
    return path_of(attachment).read_bytes()
