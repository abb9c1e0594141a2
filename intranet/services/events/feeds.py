"""Calendar subscriptions: a feed's scope, its signed and rotatable token, its addresses
(https, webcal://, Google), and what its owner may do with it. Serving is in `serving`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from intranet import policy
from intranet.extensions import db
from intranet.models import (
    CalendarFeed,
    Department,
    EventKind,
    FeedScope,
    StudyGroup,
    User,
)
from intranet.models.base import utcnow
from intranet.services import audit
from intranet.services.errors import PermissionDenied, ValidationFailed
from intranet.services.security import make_token

TOKEN_PURPOSE = "calendar-feed"  # noqa: S105 (a salt, not a secret)
MAX_FEEDS_PER_PERSON = 20
ALARM_CHOICES = (None, 10, 15, 30, 60, 120, 1440)


# --- managing subscriptions ------------------------------------------------------------------


@dataclass(frozen=True)
class FeedUrls:
    https: str
    webcal: str
    google: str


def feed_token(feed: CalendarFeed) -> str:
    return make_token(TOKEN_PURPOSE, feed.id, feed.token_version)


def feed_urls(feed: CalendarFeed) -> FeedUrls:
    """The address to copy, the webcal:// link for calendar apps, and Google's «add» link."""
    base = current_app.config["BASE_URL"].rstrip("/")
    https = f"{base}/feeds/{feed_token(feed)}.ics"
    webcal = "webcal://" + https.split("://", 1)[1]
    google = "https://calendar.google.com/calendar/r?cid=" + quote(webcal, safe="")
    return FeedUrls(https, webcal, google)


def _target(scope: FeedScope, group_id: int | None, department_id: int | None, kind) -> Any:
    if scope is FeedScope.GROUP:
        group = db.session.get(StudyGroup, group_id) if group_id else None
        if group is None:
            raise ValidationFailed(_("Choose a group."), "group_id")
        return group
    if scope is FeedScope.DEPARTMENT:
        department = db.session.get(Department, department_id) if department_id else None
        if department is None:
            raise ValidationFailed(_("Choose a department."), "department_id")
        return department
    if scope is FeedScope.KIND:
        if kind is None:
            raise ValidationFailed(_("Choose a kind of event."), "kind")
        return EventKind(kind)
    return None


def create_feed(
    owner: User,
    *,
    scope: FeedScope,
    group_id: int | None = None,
    department_id: int | None = None,
    kind: EventKind | None = None,
    alarm_minutes: int | None = None,
) -> CalendarFeed:
    """A new subscription for its owner (the same scope may be subscribed again)."""
    target = _target(scope, group_id, department_id, kind)
    if not policy.can(owner, "events.subscribe") or (
        target is not None and not policy.can(owner, "events.subscribe", target)
    ):
        raise PermissionDenied(_("You cannot subscribe to this calendar."))
    if alarm_minutes not in ALARM_CHOICES:
        raise ValidationFailed(_("Choose a reminder from the list."), "alarm_minutes")
    active = db.session.scalar(
        select(func.count(CalendarFeed.id)).where(
            CalendarFeed.owner_id == owner.id, CalendarFeed.revoked_at.is_(None)
        )
    )
    if active >= MAX_FEEDS_PER_PERSON:
        raise ValidationFailed(
            _("You have %(n)d subscriptions: revoke one you no longer use.", n=active), "scope"
        )
    feed = CalendarFeed(
        owner_id=owner.id,
        scope=scope,
        group_id=group_id if scope is FeedScope.GROUP else None,
        department_id=department_id if scope is FeedScope.DEPARTMENT else None,
        kind=EventKind(kind) if scope is FeedScope.KIND else None,
        alarm_minutes=alarm_minutes,
        token_version=0,
    )
    db.session.add(feed)
    db.session.flush()
    audit.record("feeds.create", actor=owner, obj=feed, summary=scope.value)
    return feed


def personal_feed(owner: User) -> CalendarFeed | None:
    """The person's active «my events» subscription, if any."""
    return db.session.scalar(
        select(CalendarFeed)
        .where(
            CalendarFeed.owner_id == owner.id,
            CalendarFeed.scope == FeedScope.PERSONAL,
            CalendarFeed.revoked_at.is_(None),
        )
        .order_by(CalendarFeed.id)
        .limit(1)
    )


def _own(feed: CalendarFeed, actor: User) -> None:
    if feed.owner_id != actor.id:
        raise PermissionDenied(_("This is someone else's subscription."))
    if feed.revoked_at is not None:
        raise ValidationFailed(_("This subscription has been revoked."), "feed")


def rotate_feed(feed: CalendarFeed, *, actor: User) -> None:
    """A new address: the old one stops working at once."""
    _own(feed, actor)
    feed.token_version += 1
    db.session.flush()
    audit.record("feeds.rotate", actor=actor, obj=feed, summary=feed.scope.value)


def revoke_feed(feed: CalendarFeed, *, actor: User) -> None:
    """Switch the subscription off for good."""
    _own(feed, actor)
    feed.revoked_at = utcnow()
    db.session.flush()
    audit.record("feeds.revoke", actor=actor, obj=feed, summary=feed.scope.value)


def set_alarm(feed: CalendarFeed, alarm_minutes: int | None, *, actor: User) -> None:
    """Reminders (VALARM) in this feed, or none."""
    _own(feed, actor)
    if alarm_minutes not in ALARM_CHOICES:
        raise ValidationFailed(_("Choose a reminder from the list."), "alarm_minutes")
    feed.alarm_minutes = alarm_minutes
    db.session.flush()
