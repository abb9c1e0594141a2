"""What the channel services share: row locks, the domain errors, audit and labels."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from intranet import policy
from intranet.extensions import db
from intranet.models import (
    Announcement,
    Channel,
    ChannelStage,
    ReviewRound,
    Revision,
    RoundState,
    User,
)
from intranet.services import audit
from intranet.services.errors import Conflict, PermissionDenied


def lock(announcement: Announcement) -> Announcement:
    """Take the announcement's row lock (PostgreSQL) and reload it, so that a transition
    decides on the state other transactions committed. SQLite writers are serialised by
    BEGIN IMMEDIATE already."""
    db.session.execute(
        select(Announcement)
        .where(Announcement.id == announcement.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    policy.forget_memo()
    return announcement


def open_round(announcement: Announcement) -> ReviewRound | None:
    """The open review round, read fresh (after `lock`)."""
    return db.session.scalar(
        select(ReviewRound)
        .where(
            ReviewRound.announcement_id == announcement.id,
            ReviewRound.state == RoundState.OPEN,
        )
        .execution_options(populate_existing=True)
    )


def channel_of(announcement: Announcement) -> Channel:
    """The announcement's channel with its stages and named approvers."""
    return db.session.scalars(
        select(Channel)
        .where(Channel.id == announcement.channel_id)
        .options(selectinload(Channel.stages).selectinload(ChannelStage.approvers))
    ).one()


def revision(announcement: Announcement, number: int | None = None) -> Revision:
    """One revision (the current one by default), with its author."""
    number = number or announcement.current_no
    return db.session.scalars(
        select(Revision)
        .where(Revision.announcement_id == announcement.id, Revision.number == number)
        .options(joinedload(Revision.author))
    ).one()


def require(actor: User, action: str, obj: Any, message: str | None = None) -> None:
    if not policy.can(actor, action, obj):
        raise PermissionDenied(message or _("You may not do this with this announcement."))


def flush() -> None:
    """Flush; a concurrent transition that won the race turns into a Conflict."""
    try:
        db.session.flush()
    except (StaleDataError, IntegrityError) as error:
        raise Conflict(
            _("Someone changed this announcement at the same moment. Open it again.")
        ) from error


def record(action: str, announcement: Announcement, actor: User | None, **data: Any) -> None:
    """An audit event for a transition: actor, time, revision and any comment."""
    title = data.pop("title", None)
    audit.record(
        f"announcement.{action}",
        actor=actor,
        obj=announcement,
        summary=(title or "")[:300],
        status=announcement.status.value,
        **data,
    )


def as_utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("naive datetime")
    return value
