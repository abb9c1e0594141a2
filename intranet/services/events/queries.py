"""Reading the schedule: who sees which events, calendar ranges (month, week, agenda, JSON)
and one event with everything its page shows. Each function runs a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import g
from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import selectinload

from intranet import policy
from intranet.extensions import db
from intranet.i18n import local_zone
from intranet.models import (
    CalendarFeed,
    DemoExam,
    Department,
    Event,
    EventDepartment,
    EventGroup,
    EventKind,
    EventOccurrence,
    EventPerson,
    EventSession,
    EventStatus,
    Room,
    StudyGroup,
    User,
    UserRole,
)
from intranet.models.people import STAFF_ROLES
from intranet.services.events.cache import BoundedCache
from intranet.services.events.state import current_stamp

MONTH_ITEMS_PER_DAY = 3
RANGE_LIMIT_DAYS = 100
RANGE_LIMIT_ROWS = 2000


def event_page_options() -> list:
    return [
        selectinload(Event.responsible),
        selectinload(Event.room),
        selectinload(Event.demo_exam).selectinload(DemoExam.speciality),
        selectinload(Event.competition),
        selectinload(Event.sessions).selectinload(EventSession.room),
        selectinload(Event.occurrences).selectinload(EventOccurrence.room),
        selectinload(Event.people).selectinload(EventPerson.user),
        selectinload(Event.groups),
        selectinload(Event.departments),
        selectinload(Event.audience_roles),
    ]


def load_event(event_id: int) -> Event | None:
    """One event with everything its page, its .ics and its workflows touch."""
    return db.session.scalar(
        select(Event).where(Event.id == event_id).options(*event_page_options())
    )


def sees_everything(user: User) -> bool:
    """Staff see the college's whole calendar."""
    return bool(policy.effective_roles(user) & STAFF_ROLES)


def visibility_clause(user: User):
    """SQL over Event: what this person may see (None: everything)."""
    if sees_everything(user):
        return None
    return policy.event_audience_clause(policy.event_reach(user), include_open=True)


@dataclass(frozen=True)
class Filters:
    kind: EventKind | None = None
    group_id: int | None = None
    department_id: int | None = None

    def args(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if self.kind:
            values["kind"] = self.kind.value
        if self.group_id:
            values["group"] = self.group_id
        if self.department_id:
            values["department"] = self.department_id
        return values


def group_clause(group_id: int):
    """Events for this group, or for its whole department."""
    department = select(StudyGroup.department_id).where(StudyGroup.id == group_id).scalar_subquery()
    return or_(
        exists().where(EventGroup.event_id == Event.id, EventGroup.group_id == group_id),
        exists().where(
            EventDepartment.event_id == Event.id, EventDepartment.department_id == department
        ),
    )


def department_clause(department_id: int):
    """Events for this department, or for any of its groups."""
    return or_(
        exists().where(
            EventDepartment.event_id == Event.id, EventDepartment.department_id == department_id
        ),
        exists().where(
            EventGroup.event_id == Event.id,
            EventGroup.group_id == StudyGroup.id,
            StudyGroup.department_id == department_id,
        ),
    )


def _filtered(query: Select, user: User, filters: Filters) -> Select:
    clause = visibility_clause(user)
    if clause is not None:
        query = query.where(clause)
    if filters.kind:
        query = query.where(Event.kind == filters.kind)
    if filters.group_id:
        query = query.where(group_clause(filters.group_id))
    if filters.department_id:
        query = query.where(department_clause(filters.department_id))
    return query


# --- calendar items --------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One occurrence as the calendar pages show it (local times)."""

    occurrence_id: int
    event_id: int
    title: str
    label: str
    kind: EventKind
    status: EventStatus
    starts_at: datetime
    ends_at: datetime
    room: str
    is_cancelled: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.event_id,
            "occurrence": self.occurrence_id,
            "title": self.title,
            "session": self.label,
            "kind": self.kind.value,
            "status": self.status.value,
            "start": self.starts_at.isoformat(),
            "end": self.ends_at.isoformat(),
            "room": self.room,
            "cancelled": self.is_cancelled,
        }


def items_between(
    user: User, start: datetime, end: datetime, filters: Filters, *, limit: int = RANGE_LIMIT_ROWS
) -> list[Item]:
    """Occurrences overlapping [start, end) that this person may see, in one query."""
    zone = local_zone()
    query = (
        select(
            EventOccurrence.id,
            EventOccurrence.starts_at,
            EventOccurrence.ends_at,
            EventOccurrence.is_cancelled,
            EventOccurrence.location,
            Event.id.label("event_id"),
            Event.title,
            Event.kind,
            Event.status,
            EventSession.label,
            Room.name.label("room_name"),
        )
        .join(Event, Event.id == EventOccurrence.event_id)
        .join(EventSession, EventSession.id == EventOccurrence.session_id)
        .outerjoin(Room, Room.id == EventOccurrence.room_id)
        .where(EventOccurrence.starts_at < end, EventOccurrence.ends_at > start)
        .order_by(EventOccurrence.starts_at, EventOccurrence.id)
        .limit(limit)
    )
    rows = db.session.execute(_filtered(query, user, filters)).all()
    return [
        Item(
            occurrence_id=r.id,
            event_id=r.event_id,
            title=r.title,
            label=r.label,
            kind=r.kind,
            status=r.status,
            starts_at=r.starts_at.astimezone(zone),
            ends_at=r.ends_at.astimezone(zone),
            room=r.room_name or r.location or "",
            is_cancelled=r.is_cancelled or r.status is EventStatus.CANCELLED,
        )
        for r in rows
    ]


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), local_zone()).astimezone(UTC)


@dataclass
class Day:
    day: date
    items: list[Item] = field(default_factory=list)
    more: int = 0
    in_month: bool = True
    is_today: bool = False


@dataclass
class MonthGrid:
    year: int
    month: int
    weeks: list[list[Day]]
    previous: date
    next: date
    total: int

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)


def month_grid(user: User, year: int, month: int, filters: Filters, today: date) -> MonthGrid:
    """Weeks (Monday first) covering the month, each day with its first few items."""
    first = date(year, month, 1)
    grid_start = first - timedelta(days=first.weekday())
    following = date(year + (month == 12), month % 12 + 1, 1)
    grid_end = following + timedelta(days=(7 - following.weekday()) % 7)
    days = {grid_start + timedelta(days=n): None for n in range((grid_end - grid_start).days)}
    cells = {d: Day(d, in_month=(d.month == month), is_today=(d == today)) for d in days}
    items = items_between(user, local_midnight(grid_start), local_midnight(grid_end), filters)
    for item in items:
        day = item.starts_at.date()
        cell = cells.get(day)
        if cell is None:
            continue
        if len(cell.items) < MONTH_ITEMS_PER_DAY:
            cell.items.append(item)
        else:
            cell.more += 1
    ordered = [cells[d] for d in sorted(cells)]
    weeks = [ordered[i : i + 7] for i in range(0, len(ordered), 7)]
    previous = (first - timedelta(days=1)).replace(day=1)
    return MonthGrid(year, month, weeks, previous, following, len(items))


def week_days(user: User, monday: date, filters: Filters, today: date) -> list[Day]:
    """Seven days from Monday with every item."""
    items = items_between(
        user, local_midnight(monday), local_midnight(monday + timedelta(days=7)), filters
    )
    days = [
        Day(monday + timedelta(days=n), is_today=(monday + timedelta(days=n) == today))
        for n in range(7)
    ]
    index = {d.day: d for d in days}
    for item in items:
        cell = index.get(item.starts_at.date())
        if cell is not None:
            cell.items.append(item)
    return days


def agenda_query(user: User, start: datetime, filters: Filters) -> Select:
    """Occurrences from `start` on, for a paginated list (each row: one occurrence)."""
    query = (
        select(EventOccurrence)
        .join(Event, Event.id == EventOccurrence.event_id)
        .where(EventOccurrence.ends_at > start)
        .options(
            selectinload(EventOccurrence.event),
            selectinload(EventOccurrence.session),
            selectinload(EventOccurrence.room),
        )
        .order_by(EventOccurrence.starts_at, EventOccurrence.id)
    )
    return _filtered(query, user, filters)


# --- rendered calendars ----------------------------------------------------------------------
# A calendar page's grid is rendered once per change of the schedule (the events generation
# counter moves with every change that could alter it), per audience: staff share one copy,
# everyone else has their own. The page around it is rendered each time.

PAGE_CACHE = BoundedCache(max_bytes=16 * 1024 * 1024, max_entries=5000)


def audience_key(user: User) -> tuple:
    """Who sees the same calendar: all staff alike, anyone else as themselves."""
    return ("staff",) if sees_everything(user) else ("user", user.id)


def page_key(user: User, *parts: Any) -> tuple:
    """A key for a rendered part of a calendar page: the audience, the schedule's
    generation (one small query), the language and time zone, and the page's own parts."""
    from intranet.i18n import organisation_timezone, select_locale

    if "events_stamp" not in g:  # one query per request, however many parts
        g.events_stamp = current_stamp()
    return (
        audience_key(user),
        g.events_stamp,
        select_locale(),
        organisation_timezone(),
        *parts,
    )


def cached(key: tuple, build) -> Any:
    """The value for this key, built (and kept) when missing."""
    value = PAGE_CACHE.get(key)
    if value is None:
        value = build()
        PAGE_CACHE.put(key, value, len(value) if isinstance(value, str) else 1000)
    return value


# --- choices for the filters and forms -------------------------------------------------------


def filter_choices(user: User) -> dict[str, list[tuple[int, str]]]:
    """Groups and departments offered in the calendar filters (what the person may use)."""
    return cached(page_key(user, "filters"), lambda: _filter_choices(user))


def _filter_choices(user: User) -> dict[str, list[tuple[int, str]]]:
    if sees_everything(user):
        groups = db.session.execute(
            select(StudyGroup.id, StudyGroup.name)
            .where(StudyGroup.is_archived.is_(False))
            .order_by(StudyGroup.name_key)
        ).all()
        departments = db.session.execute(
            select(Department.id, Department.name).order_by(Department.name_key)
        ).all()
        return {
            "groups": [tuple(r) for r in groups],
            "departments": [tuple(r) for r in departments],
        }
    mine = policy.event_reach(user).group_ids
    groups = (
        db.session.execute(
            select(StudyGroup.id, StudyGroup.name)
            .where(StudyGroup.id.in_(mine))
            .order_by(StudyGroup.name_key)
        ).all()
        if mine
        else []
    )
    return {"groups": [tuple(r) for r in groups], "departments": []}


def staff_choices() -> list[tuple[int, str]]:
    """Active staff, for the responsible person."""
    rows = db.session.execute(
        select(User.id, User.last_name, User.first_name, User.middle_name)
        .where(
            User.is_active.is_(True),
            exists().where(UserRole.user_id == User.id, UserRole.role.in_(STAFF_ROLES)),
        )
        .order_by(User.name_key)
    ).all()
    return [
        (r.id, " ".join(p for p in (r.last_name, r.first_name, r.middle_name) if p)) for r in rows
    ]


def room_choices(include_inactive: bool = False) -> list[tuple[int, str]]:
    query = select(Room.id, Room.name, Room.building).order_by(Room.name_key)
    if not include_inactive:
        query = query.where(Room.is_active.is_(True))
    return [
        (r.id, f"{r.name}, {r.building}" if r.building else r.name)
        for r in db.session.execute(query)
    ]


def my_feeds(user: User) -> list[CalendarFeed]:
    return list(
        db.session.scalars(
            select(CalendarFeed)
            .where(CalendarFeed.owner_id == user.id, CalendarFeed.revoked_at.is_(None))
            .options(selectinload(CalendarFeed.group), selectinload(CalendarFeed.department))
            .order_by(CalendarFeed.created_at)
        )
    )


def count_visible(user: User) -> int:
    query = select(func.count(Event.id))
    clause = visibility_clause(user)
    if clause is not None:
        query = query.where(clause)
    return db.session.scalar(query) or 0
