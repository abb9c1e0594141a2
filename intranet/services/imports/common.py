"""What the student and parent imports share: the preview, row errors, people's columns, and
bulk reads of who is already here."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import insert, select

from intranet.extensions import db
from intranet.models import User
from intranet.models.base import fold
from intranet.services.phones import normalize_phone

CHUNK = 500  # well under SQLite's limit of bound parameters
SAMPLE = 100
MAX_ERRORS_SHOWN = 500
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

PERSON_ALIASES: dict[str, tuple[str, ...]] = {
    "last_name": ("Фамилия", "last_name", "surname"),
    "first_name": ("Имя", "first_name", "name"),
    "middle_name": ("Отчество", "middle_name", "patronymic"),
    "full_name": ("ФИО", "Ф.И.О.", "full_name"),
    "email": ("E-mail", "email", "Эл. почта", "Электронная почта", "Почта"),
    "phone": ("Телефон", "phone", "Мобильный телефон", "Тел."),
}


@dataclass
class RowError:
    line: int
    message: str


@dataclass
class Change:
    """One row's effect, for the preview: new, updated (which fields) or unchanged."""

    line: int
    external_id: str
    name: str
    action: str  # new, update, same
    fields: list[str] = field(default_factory=list)
    detail: str = ""


@dataclass
class Preview:
    kind: str
    encoding: str
    delimiter: str
    total: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)  # the first SAMPLE new or updated
    error_count: int = 0

    @property
    def valid(self) -> int:
        return self.new + self.updated + self.unchanged

    def error(self, line: int, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_SHOWN:
            self.errors.append(RowError(line, message))

    def note(self, change: Change) -> None:
        if change.action == "new":
            self.new += 1
        elif change.action == "update":
            self.updated += 1
        else:
            self.unchanged += 1
        if change.action != "same" and len(self.changes) < SAMPLE:
            self.changes.append(change)


@dataclass
class PersonRow:
    line: int
    external_id: str
    last_name: str
    first_name: str
    middle_name: str
    email: str | None
    phone: str | None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    def values(self) -> dict[str, Any]:
        return {
            "last_name": self.last_name,
            "first_name": self.first_name,
            "middle_name": self.middle_name,
            "email": self.email,
            "phone": self.phone,
        }


def field_label(name: str) -> str:
    labels = {
        "last_name": _("surname"),
        "first_name": _("first name"),
        "middle_name": _("patronymic"),
        "email": _("e-mail"),
        "phone": _("phone"),
        "group": _("group"),
        "role": _("role"),
        "children": _("children"),
    }
    return labels.get(name, name)


def parse_person(line: int, values: dict[str, str], preview: Preview) -> PersonRow | None:
    """A person's columns, checked; errors go to the preview and None is returned."""
    external_id = " ".join(values.get("external_id", "").split())
    last, first, middle = (
        values.get("last_name", ""),
        values.get("first_name", ""),
        values.get("middle_name", ""),
    )
    if not (last or first) and values.get("full_name"):
        parts = values["full_name"].split()
        last, first, middle = (parts + ["", ""])[0], (parts + ["", ""])[1], " ".join(parts[2:])
    last, first, middle = (" ".join(p.split()) for p in (last, first, middle))
    problems = []
    if not external_id:
        problems.append(_("no ID from the e-journal"))
    elif len(external_id) > 64:
        problems.append(_("the ID is longer than 64 characters"))
    if not last:
        problems.append(_("no surname"))
    if not first:
        problems.append(_("no first name"))
    if max(len(last), len(first), len(middle)) > 80:
        problems.append(_("a name is longer than 80 characters"))
    email = values.get("email", "").strip().casefold() or None
    if email and (len(email) > 254 or not _EMAIL.match(email)):
        problems.append(_("the e-mail «%(value)s» is not valid", value=email))
    phone_text = values.get("phone", "").strip()
    phone = normalize_phone(phone_text) if phone_text else None
    if phone_text and phone is None:
        problems.append(_("the phone «%(value)s» is not a Russian number", value=phone_text))
    if problems:
        preview.error(line, "; ".join(problems))
        return None
    return PersonRow(line, external_id, last, first, middle, email, phone)


def chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    items = list(values)
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def existing_people(external_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """external id → the person's stored columns, in one query per 500 ids."""
    found: dict[str, dict[str, Any]] = {}
    for part in chunks(set(external_ids)):
        for row in db.session.execute(
            select(
                User.id,
                User.external_id,
                User.last_name,
                User.first_name,
                User.middle_name,
                User.email,
                User.phone,
            ).where(User.external_id.in_(part))
        ):
            found[row.external_id] = dict(row._mapping)
    return found


def contact_owners(column, values: Iterable[str]) -> dict[str, str | None]:
    """e-mail (or phone) → the external id of the account that has it (None: no id)."""
    found: dict[str, str | None] = {}
    for part in chunks({v for v in values if v}):
        for value, external_id in db.session.execute(
            select(column, User.external_id).where(column.in_(part))
        ):
            found[value] = external_id
    return found


def check_contacts(rows: list[PersonRow], preview: Preview) -> list[PersonRow]:
    """Drop rows whose e-mail or phone belongs to someone else (in the file or here)."""
    emails = contact_owners(User.email, (r.email for r in rows))
    phones = contact_owners(User.phone, (r.phone for r in rows))
    seen_email: dict[str, str] = {}
    seen_phone: dict[str, str] = {}
    kept = []
    email_label, phone_label = _("e-mail"), _("phone")
    for row in rows:
        problems = []
        for value, owners, seen, label in (
            (row.email, emails, seen_email, email_label),
            (row.phone, phones, seen_phone, phone_label),
        ):
            if not value:
                continue
            if value in owners and owners[value] != row.external_id:
                problems.append(
                    _(
                        "another account already has this %(what)s (%(value)s)",
                        what=label,
                        value=value,
                    )
                )
            elif seen.get(value, row.external_id) != row.external_id:
                problems.append(
                    _("the %(what)s %(value)s is also in another row", what=label, value=value)
                )
            else:
                seen[value] = row.external_id
        if problems:
            preview.error(row.line, "; ".join(problems))
        else:
            kept.append(row)
    return kept


def user_row(row: PersonRow, now) -> dict[str, Any]:
    """A new person's columns for a bulk insert: no password until they activate."""
    return {
        **row.values(),
        "external_id": row.external_id,
        "name_key": fold(row.full_name),
        "password_hash": None,
        "locale": "ru",
        "is_active": True,
        "session_epoch": 0,
        "teacher_status": None,
        "teacher_confirmed_at": None,
        "last_login_at": None,
        "created_at": now,
        "updated_at": now,
    }


def changed_fields(row: PersonRow, stored: dict[str, Any]) -> list[str]:
    """The columns whose value in the file differs from what is stored (an empty e-mail or
    phone in the file keeps the stored one)."""
    changed = []
    for name, value in row.values().items():
        if name in ("email", "phone") and not value:
            continue
        if (stored.get(name) or "") != (value or ""):
            changed.append(name)
    return changed


def update_row(row: PersonRow, stored: dict[str, Any], now) -> dict[str, Any]:
    values = row.values()
    values["email"] = row.email or stored["email"]
    values["phone"] = row.phone or stored["phone"]
    return {"id": stored["id"], **values, "name_key": fold(row.full_name), "updated_at": now}


def insert_rows(model: type, rows: list[dict[str, Any]], key: str | None = None) -> list[int]:
    """Insert many rows in one executemany; with `key` (a unique column), their ids in order.

    The ids are read back by the key: SQLite does not promise the order of INSERT …
    RETURNING, and SQLAlchemy would otherwise fall back to one statement per row."""
    if not rows:
        return []
    # The table, not the mapped class: a Core executemany skips the ORM's per-row bookkeeping.
    db.session.execute(insert(model.__table__).execution_options(render_nulls=True), rows)
    if key is None:
        return []
    column = getattr(model, key)
    found: dict[Any, int] = {}
    for part in chunks(row[key] for row in rows):
        found.update(
            (value, id_)
            for id_, value in db.session.execute(select(model.id, column).where(column.in_(part)))
        )
    return [found[row[key]] for row in rows]
