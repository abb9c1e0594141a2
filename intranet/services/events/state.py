"""The events generation counter: bumped by every change a calendar may show, read by feeds.

Feeds answer most polls from memory after one small query (the feed row and this counter).
So that nothing changes unseen, every flush that touches a watched table bumps the counter:
events and their parts, rooms, and what decides who sees an event (groups, enrolments,
guardians, tutors, teachers, roles, names). Bulk ORM statements on those tables bump it too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, attributes

from intranet.extensions import db
from intranet.models import (
    Competition,
    DemoExam,
    Department,
    Enrollment,
    Event,
    EventAudienceRole,
    EventDepartment,
    EventGroup,
    EventOccurrence,
    EventPerson,
    EventSession,
    EventsState,
    Guardian,
    Organisation,
    Room,
    Speciality,
    StudyGroup,
    TeachingAssignment,
    TutorAssignment,
    User,
    UserRole,
)
from intranet.models.base import utcnow

STATE_ID = 1

# Any change to these rows may change what a calendar shows.
_ALWAYS = (
    Event,
    EventSession,
    EventOccurrence,
    EventPerson,
    EventGroup,
    EventDepartment,
    EventAudienceRole,
    DemoExam,
    Competition,
    Room,
    Enrollment,
    Guardian,
    TutorAssignment,
    TeachingAssignment,
    UserRole,
)
# For these, only the columns named matter (a login updates User.last_login_at: no bump).
_COLUMNS: dict[type, tuple[str, ...]] = {
    User: ("last_name", "first_name", "middle_name", "email", "is_active", "teacher_status"),
    StudyGroup: ("name", "department_id", "speciality_id", "is_archived"),
    Department: ("name",),
    Speciality: ("code", "name"),
    Organisation: ("timezone", "short_name", "full_name"),
}
_WATCHED_TABLES = frozenset(
    m.__table__.name
    for m in (*_ALWAYS, *_COLUMNS)  # type: ignore[attr-defined]
)


def current_stamp() -> tuple[int, datetime | None]:
    """(generation, changed_at) as this transaction sees them: together they identify the
    state of the schedule even across a restored backup or a rolled-back test."""
    row = db.session.execute(
        select(EventsState.generation, EventsState.changed_at).where(EventsState.id == STATE_ID)
    ).first()
    return (row.generation, row.changed_at) if row is not None else (0, None)


def _ensure_row(conn) -> None:
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(
        insert(EventsState.__table__)
        .values(id=STATE_ID, generation=0, changed_at=utcnow())
        .on_conflict_do_nothing(index_elements=["id"])
    )


def bump(conn, *, deleted: bool = False) -> None:
    """Advance the counter in the caller's transaction (on a Connection)."""
    values: dict[str, Any] = {"generation": EventsState.generation + 1, "changed_at": utcnow()}
    if deleted:
        values["deleted_at"] = utcnow()
    statement = update(EventsState.__table__).where(EventsState.id == STATE_ID).values(values)
    if conn.execute(statement).rowcount == 0:
        _ensure_row(conn)
        conn.execute(statement)


def lock_schedule() -> None:
    """Serialise writers of the schedule, so conflict checks see each other's rows.

    SQLite writers are already serialised by BEGIN IMMEDIATE. On PostgreSQL the counter row
    is locked until commit; the conflict check that follows reads what earlier writers
    committed (READ COMMITTED takes a new snapshot for each statement).
    """
    conn = db.session.connection()
    if conn.dialect.name != "postgresql":
        return
    _ensure_row(conn)
    conn.execute(
        select(EventsState.__table__.c.id).where(EventsState.id == STATE_ID).with_for_update()
    )


def _relevant(obj: Any) -> bool:
    if isinstance(obj, _ALWAYS):
        return True
    names = _COLUMNS.get(type(obj))
    if not names:
        return False
    state = attributes.instance_state(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    changed = any(isinstance(o, (*_ALWAYS, *_COLUMNS)) for o in session.new) or any(
        isinstance(o, (*_ALWAYS, *_COLUMNS)) for o in session.deleted
    )
    if not changed:
        changed = any(_relevant(o) for o in session.dirty if session.is_modified(o))
    if changed:
        deleted = any(isinstance(o, Event) for o in session.deleted)
        bump(session.connection(), deleted=deleted)


@event.listens_for(Session, "do_orm_execute")
def _after_bulk(state) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    table = getattr(getattr(mapper, "local_table", None), "name", None)
    if table in _WATCHED_TABLES:
        bump(state.session.connection(), deleted=state.is_delete and table == "event")
