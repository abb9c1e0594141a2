"""CSV import of students (with their groups) and of parents, matched on the e-journal's ID.

Upload → preview (row-level errors, what would be added, changed or left alone; nothing is
written) → import of the valid rows in bulk. The uploaded file waits between the two steps
in an imports folder beside the uploads one, named for the admin who sent it.
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import date
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from intranet import policy
from intranet.models import User
from intranet.services import audit
from intranet.services.errors import PermissionDenied, ValidationFailed
from intranet.services.imports import parents, students
from intranet.services.imports.common import Change, Preview, RowError
from intranet.services.imports.reading import MAX_ROWS, decode, read_table
from intranet.services.onboarding.common import unique_guard

KINDS = {"students": students, "parents": parents}
STASH_HOURS = 24
_KEY = re.compile(r"^[0-9a-f]{32}$")

__all__ = [
    "KINDS",
    "MAX_ROWS",
    "Change",
    "Preview",
    "RowError",
    "decode",
    "preview",
    "run_import",
    "stash",
    "template",
]


def _require(actor: User | None) -> None:
    if not policy.can(actor, "imports.run"):
        raise PermissionDenied(_("Only a platform administrator imports people."))


def _module(kind: str):
    try:
        return KINDS[kind]
    except KeyError:
        raise ValidationFailed(_("Choose what to import."), "kind") from None


def template(kind: str) -> tuple[list[str], list[list[str]]]:
    """The header and an example row of the file to fill in."""
    header, example = _module(kind).TEMPLATE
    return list(header), [list(example)]


def _plan(kind: str, data: bytes, starts_on: date):
    module = _module(kind)
    table = read_table(data, module.ALIASES, module.REQUIRED)
    return module, module.plan(table, starts_on=starts_on)


def preview(actor: User, kind: str, data: bytes, *, starts_on: date) -> Preview:
    """Read the file and say what importing it would do; nothing is written."""
    _require(actor)
    _module_, result = _plan(kind, data, starts_on)
    return result.preview


def _stash_dir() -> Path:
    """Beside the uploads folder (instance/imports by default), outside static/."""
    configured = current_app.config.get("UPLOAD_DIR")
    base = Path(configured).parent if configured else Path(current_app.instance_path)
    return base / "imports"


def stash(actor: User, data: bytes) -> str:
    """Keep the uploaded file until the admin confirms the import; returns its key."""
    folder = _stash_dir()
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - STASH_HOURS * 3600
    for old in folder.glob("*.csv"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    key = secrets.token_hex(16)
    (folder / f"{actor.id}-{key}.csv").write_bytes(data)
    return key


def _stashed(actor: User, key: str) -> Path:
    if not _KEY.match(key or ""):
        raise ValidationFailed(_("The uploaded file is gone; upload it again."), "file")
    path = _stash_dir() / f"{actor.id}-{key}.csv"
    if not path.is_file():
        raise ValidationFailed(_("The uploaded file is gone; upload it again."), "file")
    return path


def run_import(
    actor: User, kind: str, key: str, *, starts_on: date, filename: str = ""
) -> dict[str, int]:
    """Import the valid rows of the file shown in the preview; returns the counts."""
    _require(actor)
    path = _stashed(actor, key)
    module, result = _plan(kind, path.read_bytes(), starts_on)
    started = time.perf_counter()
    with unique_guard(
        _("Someone changed the same people during the import; check the file again.")
    ):
        counts = module.run(result, actor=actor, starts_on=starts_on)
    audit.record(
        f"import.{kind}",
        actor=actor,
        summary=filename[:200],
        seconds=round(time.perf_counter() - started, 2),
        starts_on=starts_on.isoformat(),
        **counts,
    )
    path.unlink(missing_ok=True)
    return counts
