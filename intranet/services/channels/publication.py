"""Publication: going live now or on schedule, expiry, urgent publication, corrections,
cancellation («отменено»), and the post in the Sferum/MAX channel."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from intranet.extensions import db
from intranet.models import (
    Announcement,
    AnnouncementStatus,
    MailingReason,
    Revision,
    RoundKind,
    RoundState,
    User,
)
from intranet.models.base import utcnow
from intranet.services import markdown
from intranet.services.channels import common, notify, rounds
from intranet.services.errors import InvalidTransition, ValidationFailed

S = AnnouncementStatus
OVERDUE = timedelta(minutes=5)  # later than this, a scheduled publication is flagged to admins
REASON_MAX = 2000


def revision_approved(announcement: Announcement, number: int, *, actor: User | None) -> None:
    """The last stage approved revision `number`: it goes live, now or at its time."""
    revision = common.revision(announcement, number)
    now = utcnow()
    if announcement.status is S.PUBLISHED:
        _make_live(announcement, revision, keep_start=True)
        announcement.corrected_at = now
        notify.start_mailing(announcement, MailingReason.CORRECTED)
        common.record("corrected", announcement, actor, title=revision.title, revision=number)
        return
    _make_live(announcement, revision)
    if revision.go_live_at is not None and revision.go_live_at > now:
        announcement.status = S.SCHEDULED
        common.record(
            "scheduled",
            announcement,
            actor,
            title=revision.title,
            revision=number,
            at=revision.go_live_at.isoformat(),
        )
    else:
        go_live(announcement, actor=actor, now=now, title=revision.title)


def _make_live(announcement: Announcement, revision: Revision, keep_start: bool = False) -> None:
    announcement.live_no = revision.number
    if not keep_start:
        announcement.go_live_at = revision.go_live_at
    announcement.expire_at = revision.expire_at
    announcement.is_mandatory = revision.is_mandatory


def go_live(
    announcement: Announcement,
    *,
    actor: User | None,
    now: datetime | None = None,
    title: str | None = None,
) -> None:
    """Publish the live revision and start the mail to the audience."""
    now = now or utcnow()
    announcement.status = S.PUBLISHED
    if announcement.published_at is None:
        announcement.published_at = now
    notify.start_mailing(announcement, MailingReason.PUBLISHED)
    common.record("published", announcement, actor, title=title, revision=announcement.live_no)


def publish_urgently(announcement: Announcement, *, actor: User) -> None:
    """The head publishes the current text now, without review; it is reviewed afterwards."""
    common.lock(announcement)
    common.require(actor, "channels.urgent", announcement)
    round_ = common.open_round(announcement)
    if round_ is not None:
        rounds.close(announcement, round_, RoundState.SUPERSEDED)
        common.flush()
    revision = common.revision(announcement)
    now = utcnow()
    correction = announcement.status is S.PUBLISHED
    _make_live(announcement, revision, keep_start=correction)
    announcement.is_urgent = True
    announcement.urgent_by_id = actor.id
    if correction:
        announcement.corrected_at = now
        notify.start_mailing(announcement, MailingReason.CORRECTED)
    else:
        announcement.go_live_at = now
        go_live(announcement, actor=actor, now=now, title=revision.title)
    common.record(
        "published_urgently",
        announcement,
        actor,
        title=revision.title,
        revision=revision.number,
        correction=correction,
    )
    common.flush()
    rounds.start(announcement, actor=actor, kind=RoundKind.AFTER)


def cancel(announcement: Announcement, *, actor: User, reason: str) -> None:
    """Withdraw a published item: it stays visible marked «отменено», with the reason."""
    common.lock(announcement)
    common.require(actor, "channels.cancel", announcement)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why the announcement is cancelled."), "reason")
    if len(reason) > REASON_MAX:
        raise ValidationFailed(_("The reason is too long."), "reason")
    _cancel(announcement, actor=actor, reason=reason, action="cancelled")


def withdraw_declined_urgent(announcement: Announcement, *, actor: User, reason: str) -> None:
    """The review after an urgent publication declined it: the item is withdrawn."""
    _cancel(announcement, actor=actor, reason=reason, action="urgent_withdrawn")


def _cancel(announcement: Announcement, *, actor: User | None, reason: str, action: str) -> None:
    if announcement.status is not S.PUBLISHED:
        raise InvalidTransition(_("Only a published announcement can be cancelled."))
    round_ = common.open_round(announcement)
    if round_ is not None:
        rounds.close(announcement, round_, RoundState.WITHDRAWN)
    announcement.status = S.CANCELLED
    announcement.cancelled_at = utcnow()
    announcement.cancelled_by_id = actor.id if actor else None
    announcement.cancel_reason = reason
    notify.start_mailing(announcement, MailingReason.CANCELLED)
    common.record(action, announcement, actor, revision=announcement.live_no, reason=reason)
    common.flush()


# --- the worker's jobs ---------------------------------------------------------------------


def publish_due(now: datetime | None = None, limit: int = 100) -> int:
    """Publish scheduled items whose time has come; returns how many. Idempotent: each item
    is re-checked under its row lock, and a published one is no longer scheduled."""
    now = now or utcnow()
    ids = db.session.scalars(
        select(Announcement.id)
        .where(Announcement.status == S.SCHEDULED, Announcement.go_live_at <= now)
        .order_by(Announcement.go_live_at, Announcement.id)
        .limit(limit)
    ).all()
    published = 0
    for announcement_id in ids:
        announcement = db.session.get(Announcement, announcement_id)
        if announcement is None:
            continue
        common.lock(announcement)
        if announcement.status is not S.SCHEDULED or announcement.go_live_at > now:
            continue
        late = now - announcement.go_live_at
        go_live(announcement, actor=None, now=now)
        if late > OVERDUE:
            minutes = int(late.total_seconds() // 60)
            announcement.overdue_flagged_at = now
            common.record("published_late", announcement, None, minutes=minutes)
            notify.published_late(announcement, minutes)
        common.flush()
        published += 1
    return published


def expire_due(now: datetime | None = None, limit: int = 200) -> int:
    """Unpublish items whose removal time has passed; returns how many."""
    now = now or utcnow()
    ids = db.session.scalars(
        select(Announcement.id)
        .where(Announcement.status == S.PUBLISHED, Announcement.expire_at <= now)
        .order_by(Announcement.expire_at, Announcement.id)
        .limit(limit)
    ).all()
    expired = 0
    for announcement_id in ids:
        announcement = db.session.get(Announcement, announcement_id)
        if announcement is None:
            continue
        common.lock(announcement)
        if announcement.status is not S.PUBLISHED or announcement.expire_at is None:
            continue
        if announcement.expire_at > now:
            continue
        round_ = common.open_round(announcement)
        if round_ is not None:
            rounds.close(announcement, round_, RoundState.WITHDRAWN)
        announcement.status = S.EXPIRED
        announcement.expired_at = now
        common.record("expired", announcement, None, revision=announcement.live_no)
        common.flush()
        expired += 1
    return expired


def overdue_count(now: datetime | None = None) -> int:
    """Scheduled items past their time by more than OVERDUE: the worker is not running."""
    now = now or utcnow()
    return (
        db.session.scalar(
            select(func.count(Announcement.id)).where(
                Announcement.status == S.SCHEDULED, Announcement.go_live_at < now - OVERDUE
            )
        )
        or 0
    )


# --- Sferum / MAX ---------------------------------------------------------------------------


def sferum_text(announcement: Announcement) -> str:
    """The live text as plain text, ready to paste into the messenger's channel."""
    revision = common.revision(announcement, announcement.live_no)
    body = markdown.plain_text(revision.body)
    return f"{revision.title}\n\n{body}".strip()


def record_sferum_post(
    announcement: Announcement, *, actor: User, url: str, posted_at: datetime
) -> None:
    """Record the link and time of the post made in the Sferum/MAX channel."""
    common.lock(announcement)
    common.require(actor, "channels.sferum", announcement)
    url = (url or "").strip()
    if not url.lower().startswith(("https://", "http://")) or len(url) > 500:
        raise ValidationFailed(_("Paste the post's link; it starts with https://."), "url")
    if posted_at > utcnow() + timedelta(minutes=5):
        raise ValidationFailed(_("The post's time cannot be in the future."), "posted_at")
    announcement.sferum_url = url
    announcement.sferum_posted_at = posted_at
    announcement.sferum_recorded_by_id = actor.id
    common.record("sferum_recorded", announcement, actor, url=url, at=posted_at.isoformat())
    common.flush()
