"""Builders for the statistics tests: rows written straight to the tables, with the dates the
figures depend on (publication, start of an event, filing of a ticket) set by the test."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from intranet.extensions import db
from intranet.models import (
    Announcement,
    AnnouncementStatus,
    Audience,
    Channel,
    Event,
    EventKind,
    EventStatus,
    JoinRequest,
    JoinStatus,
    Platform,
    PlatformSnapshot,
    Role,
    User,
)
from intranet.models.base import fold, utcnow
from intranet.models.helpdesk import VendorCase, VendorCaseState

MSK = ZoneInfo("Europe/Moscow")
_seq = itertools.count(1)


def msk(*args: int) -> datetime:
    """A moment in the college's local time (Moscow)."""
    return datetime(*args, tzinfo=MSK)


def channel(name: str) -> Channel:
    row = Channel(name=name, name_key=fold(name), audience=Audience.EVERYONE)
    db.session.add(row)
    db.session.flush()
    return row


def announcement(target: Channel, author: User, published_at: datetime | None, **fields):
    """Published at `published_at` (a draft when it is None)."""
    status = fields.pop("status", None)
    if status is None:
        status = AnnouncementStatus.PUBLISHED if published_at else AnnouncementStatus.DRAFT
    live = {"live_no": 1} if published_at else {}
    row = Announcement(
        channel_id=target.id,
        author_id=author.id,
        status=status,
        current_no=1,
        published_at=published_at,
        **live,
        **fields,
    )
    if status is AnnouncementStatus.CANCELLED:
        row.cancelled_at = published_at
    db.session.add(row)
    db.session.flush()
    return row


def event(
    kind: str, starts_at: datetime, responsible: User, status: str = "planned", **fields
) -> Event:
    n = next(_seq)
    status = EventStatus(status)
    row = Event(
        uid=f"stats-{n}-{starts_at.timestamp()}@test",
        kind=EventKind(kind),
        status=status,
        title=f"Событие {n}",
        title_key=f"событие {n}",
        responsible_id=responsible.id,
        first_starts_at=starts_at,
        last_ends_at=starts_at + timedelta(hours=2),
        **fields,
    )
    if status is EventStatus.CANCELLED:
        row.cancelled_at = utcnow()
    if status in (EventStatus.CONFIRMED, EventStatus.COMPLETED):
        row.confirmed_at = utcnow()
    if status is EventStatus.COMPLETED:
        row.completed_at = starts_at + timedelta(hours=2)
    db.session.add(row)
    db.session.flush()
    return row


def join_request(person: User, role: str, status: str = "pending", decided_at=None):
    status = JoinStatus(status)
    row = JoinRequest(
        user_id=person.id,
        role=Role(role),
        status=status,
        reason="не из колледжа" if status is JoinStatus.REJECTED else "",
        decided_at=decided_at or (utcnow() if status is not JoinStatus.PENDING else None),
    )
    db.session.add(row)
    db.session.flush()
    return row


def escalation(ticket, created_at: datetime) -> VendorCase:
    n = next(_seq)
    row = VendorCase(
        ticket_id=ticket.id,
        state=VendorCaseState.QUEUED,
        to_address="info@sferum.ru",
        subject=f"{ticket.number}",
        body="Текст",
        message_id=f"<stats-{n}@test>",
        created_at=created_at,
    )
    db.session.add(row)
    db.session.flush()
    return row


def snapshot(taken_on: date, members: int, active: int | None = None, **fields):
    row = PlatformSnapshot(
        platform=Platform(fields.pop("platform", "vk")),
        taken_on=taken_on,
        members=members,
        active_users=active,
        **fields,
    )
    db.session.add(row)
    db.session.flush()
    return row


def signed_in(days_ago: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days_ago)


def for_matrix(world):
    """A snapshot for the permission matrix (id 1 when the coverage check resolves paths)."""
    from types import SimpleNamespace

    from tests.permissions.world import World

    if not isinstance(world, World):
        return SimpleNamespace(id=1)
    cached = getattr(world, "_snapshot", None)
    if cached is None:
        cached = world._snapshot = snapshot(date(2026, 1, 31), 900, 600)
        db.session.commit()
    return cached
