"""Schedule conflicts: the same room, the same responsible person or expert, or the same
group at overlapping times. Three queries, whatever the number of occurrences."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import or_, select

from intranet.extensions import db
from intranet.i18n import format_moment
from intranet.models import (
    Event,
    EventGroup,
    EventOccurrence,
    EventPerson,
    EventStatus,
    Room,
    StudyGroup,
    User,
)
from intranet.models.events import CONFLICTING_PERSON_ROLES


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime
    room_id: int | None


@dataclass(frozen=True)
class Clash:
    """One conflict: what is shared, with which other event, when."""

    reason: str  # "room", "person", "group"
    resource: str  # the room's, person's or group's name
    other_id: int
    other_title: str
    starts_at: datetime
    ends_at: datetime

    def message(self) -> str:
        when = format_moment(self.starts_at)
        if self.reason == "room":
            return _(
                "%(room)s is taken by «%(title)s» at %(when)s.",
                room=self.resource,
                title=self.other_title,
                when=when,
            )
        if self.reason == "person":
            return _(
                "%(person)s is busy with «%(title)s» at %(when)s.",
                person=self.resource,
                title=self.other_title,
                when=when,
            )
        return _(
            "Group %(group)s has «%(title)s» at %(when)s.",
            group=self.resource,
            title=self.other_title,
            when=when,
        )


@dataclass(frozen=True)
class Resources:
    """What the event occupies besides its rooms."""

    user_ids: frozenset[int]  # the responsible person and experts from the college
    emails: frozenset[str]  # experts from outside, by address
    group_ids: frozenset[int]


def event_resources(event: Event) -> Resources:
    users = {event.responsible_id}
    emails = set()
    for person in event.people:
        if person.role not in CONFLICTING_PERSON_ROLES:
            continue
        if person.user_id is not None:
            users.add(person.user_id)
        elif person.email:
            emails.add(person.email.lower())
    return Resources(
        frozenset(u for u in users if u is not None),
        frozenset(emails),
        frozenset(g.id for g in event.groups),
    )


def find_clashes(
    event_id: int | None, slots: Sequence[Slot], resources: Resources, *, limit: int = 5
) -> list[Clash]:
    """Other events' occurrences that overlap these slots and share a room, person or group."""
    slots = sorted(slots, key=lambda s: s.starts_at)
    if not slots:
        return []
    low = slots[0].starts_at
    high = max(s.ends_at for s in slots)
    base = (
        select(
            EventOccurrence.starts_at,
            EventOccurrence.ends_at,
            EventOccurrence.room_id,
            Event.id,
            Event.title,
        )
        .join(Event, Event.id == EventOccurrence.event_id)
        .where(
            EventOccurrence.starts_at < high,
            EventOccurrence.ends_at > low,
            EventOccurrence.is_cancelled.is_(False),
            Event.status != EventStatus.CANCELLED,
        )
        .order_by(EventOccurrence.starts_at)
    )
    if event_id is not None:
        base = base.where(Event.id != event_id)
    clashes: list[Clash] = []
    seen: set[tuple] = set()

    def add(reason: str, resource: str, row) -> None:
        key = (reason, resource, row.id)
        if key not in seen and len(clashes) < limit:
            seen.add(key)
            clashes.append(Clash(reason, resource, row.id, row.title, row.starts_at, row.ends_at))

    room_ids = {s.room_id for s in slots if s.room_id is not None}
    if room_ids:
        names = dict(
            db.session.execute(select(Room.id, Room.name).where(Room.id.in_(room_ids))).all()
        )
        rows = db.session.execute(base.where(EventOccurrence.room_id.in_(room_ids))).all()
        by_room: dict[int, list[Slot]] = {}
        for s in slots:
            if s.room_id is not None:
                by_room.setdefault(s.room_id, []).append(s)
        for row in rows:
            if _overlaps(by_room.get(row.room_id, []), row.starts_at, row.ends_at):
                add("room", names.get(row.room_id, "?"), row)

    if resources.user_ids or resources.emails:
        person_match = []
        if resources.user_ids:
            person_match.append(EventPerson.user_id.in_(resources.user_ids))
        if resources.emails:
            person_match.append(EventPerson.email.in_(resources.emails))
        experts = (
            select(EventPerson.event_id, EventPerson.user_id, EventPerson.email, EventPerson.name)
            .where(EventPerson.role.in_(CONFLICTING_PERSON_ROLES), or_(*person_match))
            .subquery()
        )
        query = (
            base.add_columns(Event.responsible_id, experts.c.user_id, experts.c.email)
            .outerjoin(experts, experts.c.event_id == Event.id)
            .where(
                or_(
                    Event.responsible_id.in_(resources.user_ids or {-1}),
                    experts.c.event_id.is_not(None),
                )
            )
        )
        rows = db.session.execute(query).all()
        hits = [r for r in rows if _overlaps(slots, r.starts_at, r.ends_at)]
        who_ids = set()
        for r in hits:
            who_ids |= {r.responsible_id, r.user_id} & resources.user_ids
        names = _user_names(who_ids)
        for r in hits:
            shared = {r.responsible_id, r.user_id} & resources.user_ids
            if shared:
                add("person", names.get(min(shared), "?"), r)
            elif r.email and r.email in resources.emails:
                add("person", r.email, r)

    if resources.group_ids:
        query = (
            base.add_columns(StudyGroup.name.label("group_name"))
            .join(EventGroup, EventGroup.event_id == Event.id)
            .join(StudyGroup, StudyGroup.id == EventGroup.group_id)
            .where(EventGroup.group_id.in_(resources.group_ids))
        )
        for row in db.session.execute(query).all():
            if _overlaps(slots, row.starts_at, row.ends_at):
                add("group", row.group_name, row)
    return clashes


def _user_names(ids: Iterable[int]) -> dict[int, str]:
    ids = set(ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(User.id, User.last_name, User.first_name, User.middle_name).where(User.id.in_(ids))
    )
    return {
        r.id: " ".join(p for p in (r.last_name, r.first_name, r.middle_name) if p) for r in rows
    }


def _overlaps(slots: Sequence[Slot], starts_at: datetime, ends_at: datetime) -> bool:
    """Whether [starts_at, ends_at) overlaps any slot (slots sorted by start)."""
    if not slots:
        return False
    starts = [s.starts_at for s in slots]
    # Slots that start before `ends_at`; any of them ending after `starts_at` overlaps.
    index = bisect.bisect_left(starts, ends_at)
    return any(s.ends_at > starts_at for s in slots[:index])


__all__ = ["Clash", "Resources", "Slot", "event_resources", "find_clashes"]
