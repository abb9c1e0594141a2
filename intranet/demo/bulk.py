"""Bulk rows for the demo steps: one executemany per table instead of one INSERT per row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from intranet.demo.context import DemoContext
from intranet.demo.names import Person
from intranet.extensions import db
from intranet.models import Role, TeacherStatus, UserRole
from intranet.models.base import fold, utcnow


def insert_rows(model: type, rows: Sequence[dict[str, Any]], key: str | None = None) -> list[int]:
    """Insert many rows at once; with `key` (a unique column), their new ids in order.

    The ids are read back by the key rather than with INSERT … RETURNING: SQLite does not
    promise RETURNING's order, so SQLAlchemy would fall back to one statement per row.
    """
    if not rows:
        return []
    # render_nulls keeps every row's keys alike, so they go in one executemany per table.
    db.session.execute(insert(model).execution_options(render_nulls=True), list(rows))
    if key is None:
        return []
    column = getattr(model, key)
    values = [row[key] for row in rows]
    found: dict[Any, int] = {}
    for start in range(0, len(values), 500):
        chunk = values[start : start + 500]
        found.update(
            (value, id_)
            for id_, value in db.session.execute(select(model.id, column).where(column.in_(chunk)))
        )
    return [found[value] for value in values]


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def user_row(
    person: Person,
    *,
    password_hash: str | None,
    teacher_status: TeacherStatus | None = None,
    confirmed_at: datetime | None = None,
    last_login_at: datetime | None = None,
    is_active: bool = True,
) -> dict[str, Any]:
    now = utcnow()
    full = " ".join((person.last_name, person.first_name, person.middle_name))
    return {
        "email": person.email,
        "phone": person.phone,
        "last_name": person.last_name,
        "first_name": person.first_name,
        "middle_name": person.middle_name,
        "name_key": fold(full),
        "external_id": person.external_id,
        "password_hash": password_hash,
        "locale": "ru",
        "is_active": is_active,
        "session_epoch": 0,
        "teacher_status": teacher_status,
        "teacher_confirmed_at": confirmed_at,
        "last_login_at": last_login_at,
        "created_at": now,
        "updated_at": now,
    }


def grant(ctx: DemoContext, user_ids: Iterable[int], role: Role) -> None:
    granted_by = ctx.accounts["admin"].id
    now = utcnow()
    rows = [
        {
            "user_id": uid,
            "role": role,
            "is_main": False,
            "granted_at": now,
            "granted_by_id": granted_by,
        }
        for uid in user_ids
    ]
    insert_rows(UserRole, rows)


def activated(ctx: DemoContext, share: float) -> tuple[str | None, datetime | None]:
    """(password hash, last sign-in) for someone who has, with this probability, signed up.

    People imported from the e-journal have no password until they activate their account;
    those who did share one hash of a random secret nobody knows, so none of them can sign
    in and the build hashes once instead of thousands of times.
    """
    if ctx.rng.random() >= share:
        return None, None
    minutes = ctx.rng.randint(10, 30 * 24 * 60)
    return ctx.bulk_password_hash, utcnow() - timedelta(minutes=minutes)
