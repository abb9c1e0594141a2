"""Helpers shared by the structure services: permission, search, unique checks, deletes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.exc import IntegrityError

from intranet import policy
from intranet.extensions import db
from intranet.models import User
from intranet.models.base import fold
from intranet.services import audit
from intranet.services.errors import Conflict, PermissionDenied, ValidationFailed


def require_manage(actor: User | None) -> None:
    if not policy.can(actor, "structure.manage"):
        raise PermissionDenied(_("Only a platform administrator may change the structure."))


def clean(text: str | None) -> str:
    """Trimmed text with runs of spaces collapsed."""
    return " ".join((text or "").split())


def search_terms(column: Any, query: str) -> list[ColumnElement[bool]]:
    """Every word of the query must occur in the folded key (ё = е, any case)."""
    return [column.contains(word, autoescape=True) for word in fold(query).split()[:6]]


def academic_year_start(today: date) -> int:
    """The calendar year in which the current academic year began (1 September)."""
    return today.year if today.month >= 9 else today.year - 1


def taken(model: type, column: Any, value: Any, own_id: int | None) -> bool:
    query = select(model.id).where(column == value)
    if own_id is not None:
        query = query.where(model.id != own_id)
    return db.session.scalar(query.limit(1)) is not None


@contextmanager
def unique_guard(duplicate: str, field_name: str | None) -> Iterator[None]:
    """Make the changes in the block inside a savepoint and flush them there, so that a unique
    violation (two admins saving at once) becomes a form error and the session stays usable.

    The changes must be made inside the block: starting a savepoint flushes what is pending.
    """
    try:
        with db.session.begin_nested():
            yield
    except IntegrityError as error:
        raise ValidationFailed(duplicate, field_name) from error


def delete_row(row: Any, *, actor: User, action: str, summary: str) -> None:
    audit.record(action, actor=actor, obj=row, summary=summary)
    try:
        with db.session.begin_nested():
            db.session.delete(row)
    except IntegrityError as error:
        raise Conflict(_("Other records refer to this entry, so it cannot be deleted.")) from error


def count(query: Select) -> int:
    return db.session.scalar(query) or 0


def current(model: Any, today: date) -> ColumnElement[bool]:
    return (model.starts_on <= today) & or_(model.ends_on.is_(None), model.ends_on >= today)


def order(sort: str, columns: dict[str, Any], default: str) -> list[Any]:
    """ORDER BY for `sort` ("name", or "-name" for descending); unknown keys fall back."""
    key = sort.removeprefix("-")
    if key not in columns:
        key, sort = default, default
    return [columns[key].desc() if sort.startswith("-") else columns[key]]
