"""Channel mail through the outbox, per each person's mail settings.

Reviewers hear when a stage awaits them, authors on every decision (with its comment), the
audience on publication, and those who were e-mailed about an announcement hear of its
correction or cancellation. Audience mail is a fan-out that the worker works through in
batches (`deliver_mailings`), so approving the last stage does not wait for a thousand
messages to be built.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet.extensions import db
from intranet.models import (
    Announcement,
    AnnouncementMailing,
    AnnouncementStatus,
    MailingReason,
    MailingRecipient,
    ReviewDecision,
    ReviewRound,
    Revision,
    Role,
    User,
    Verdict,
)
from intranet.models.base import utcnow
from intranet.models.people import STAFF_ROLES
from intranet.services import mail, markdown
from intranet.services.channels import audience

AUDIENCE_KIND = "channels.announcement"
BATCH = 200

mail.register_kind("channels.review", _l("Announcements awaiting your review"), roles=STAFF_ROLES)
mail.register_kind(
    "channels.decision",
    _l("Decisions on the announcements you wrote"),
    roles=STAFF_ROLES,
)
mail.register_kind(
    "channels.overdue", _l("Scheduled announcements published late"), roles=[Role.ADMIN]
)


def _subject(reason: MailingReason, channel: str, title: str):
    if reason is MailingReason.CORRECTED:
        return _l("Corrected — %(channel)s: %(title)s", channel=channel, title=title)
    if reason is MailingReason.CANCELLED:
        return _l("Cancelled — %(channel)s: %(title)s", channel=channel, title=title)
    return _l("%(channel)s: %(title)s", channel=channel, title=title)


def _people(ids: Iterable[int]) -> list[User]:
    ids = list(set(ids))
    if not ids:
        return []
    return list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id)))


def _work_url(announcement: Announcement) -> str:
    return mail.external_url("channels.work", announcement_id=announcement.id)


def _read_url(announcement: Announcement) -> str:
    return mail.external_url("channels.read", announcement_id=announcement.id)


def _revision(announcement: Announcement, number: int) -> Revision:
    return db.session.scalars(
        select(Revision).where(
            Revision.announcement_id == announcement.id, Revision.number == number
        )
    ).one()


def review_requested(
    announcement: Announcement, round_: ReviewRound, user_ids: Iterable[int]
) -> None:
    """Each person who may decide the stage now gets a message."""
    revision = _revision(announcement, round_.revision_no)
    for person in _people(user_ids):
        mail.queue_mail(
            "channels.review",
            person,
            _l("Awaiting your review: %(title)s", title=revision.title),
            "channels_review",
            {
                "announcement": announcement,
                "revision": revision,
                "round": round_,
                "url": _work_url(announcement),
            },
        )


def decision_made(announcement: Announcement, decision: ReviewDecision, actor: User) -> None:
    """The author hears of the decision, with its comment and any suggested text."""
    revision = _revision(announcement, decision.revision_no)
    author = db.session.get(User, announcement.author_id)
    if author is None or author.id == actor.id:
        return
    subjects = {
        Verdict.APPROVED: _l("Approved: %(title)s", title=revision.title),
        Verdict.CHANGES_REQUESTED: _l("Changes requested: %(title)s", title=revision.title),
        Verdict.DECLINED: _l("Declined: %(title)s", title=revision.title),
    }
    mail.queue_mail(
        "channels.decision",
        author,
        subjects[decision.verdict],
        "channels_decision",
        {
            "announcement": announcement,
            "revision": revision,
            "decision": decision,
            "actor": actor,
            "url": _work_url(announcement),
        },
    )


def published_late(announcement: Announcement, minutes: int) -> None:
    """Admins hear that a scheduled item went out late (the worker was not running)."""
    revision = _revision(announcement, announcement.live_no or announcement.current_no)
    admins = db.session.scalars(
        select(User)
        .where(User.is_active.is_(True), User.roles.any(role=Role.ADMIN))
        .order_by(User.id)
    ).all()
    for admin in admins:
        mail.queue_mail(
            "channels.overdue",
            admin,
            _l("Published %(n)d min late: %(title)s", n=minutes, title=revision.title),
            "channels_overdue",
            {
                "announcement": announcement,
                "revision": revision,
                "minutes": minutes,
                "url": _work_url(announcement),
            },
        )


def start_mailing(announcement: Announcement, reason: MailingReason) -> AnnouncementMailing:
    """Queue a fan-out to the audience (publication) or to those e-mailed before."""
    mailing = AnnouncementMailing(
        announcement_id=announcement.id,
        reason=reason,
        revision_no=announcement.live_no or announcement.current_no,
    )
    db.session.add(mailing)
    return mailing


def _emailed_before(announcement_id: int):
    return (
        select(MailingRecipient.user_id)
        .join(AnnouncementMailing, AnnouncementMailing.id == MailingRecipient.mailing_id)
        .where(
            AnnouncementMailing.announcement_id == announcement_id,
            AnnouncementMailing.reason == MailingReason.PUBLISHED,
            MailingRecipient.is_sent.is_(True),
        )
    )


def deliver_mailings(*, batch: int = BATCH, now: datetime | None = None) -> int:
    """Work through open fan-outs, `batch` people at a time; returns messages queued.

    Idempotent: everyone considered is recorded (sent or switched off), so a rerun after a
    crash continues where the last committed batch ended.
    """
    now = now or utcnow()
    queued = 0
    mailings = db.session.scalars(
        select(AnnouncementMailing)
        .where(AnnouncementMailing.done_at.is_(None))
        .options(joinedload(AnnouncementMailing.announcement).joinedload(Announcement.channel))
        .order_by(AnnouncementMailing.id)
        .limit(20)
    ).all()
    for mailing in mailings:
        announcement = mailing.announcement
        if (
            mailing.reason is MailingReason.PUBLISHED
            and announcement.status is not AnnouncementStatus.PUBLISHED
        ):
            mailing.done_at = now  # cancelled or expired before its mail went out
            continue
        if mailing.reason is MailingReason.PUBLISHED:
            candidates = audience.member_ids(announcement.channel)
        else:
            candidates = _emailed_before(announcement.id)
        done = select(MailingRecipient.user_id).where(MailingRecipient.mailing_id == mailing.id)
        ids = list(
            db.session.scalars(
                select(User.id)
                .where(User.id.in_(candidates), User.id.not_in(done))
                .order_by(User.id)
                .limit(batch)
            )
        )
        if not ids:
            mailing.done_at = now
            continue
        welcome = mail.accepting(AUDIENCE_KIND, ids)
        revision = _revision(announcement, mailing.revision_no)
        context = {
            "announcement": announcement,
            "revision": revision,
            "channel": announcement.channel,
            "reason": mailing.reason.value,
            "body_html": markdown.absolutize(revision.body_html, _base_url()),
            "body_text": markdown.plain_text(revision.body),
            "url": _read_url(announcement),
        }
        subject = _subject(mailing.reason, announcement.channel.name, revision.title)
        sent: set[int] = set()
        for person in _people(welcome):
            if not person.email or not person.is_active:
                continue
            row = mail.queue_mail(
                AUDIENCE_KIND,
                person,
                subject,
                f"channels_{mailing.reason.value}",
                context,
            )
            if row is not None:
                sent.add(person.id)
                queued += 1
        db.session.add_all(
            MailingRecipient(mailing_id=mailing.id, user_id=uid, is_sent=uid in sent) for uid in ids
        )
        if len(ids) < batch:
            mailing.done_at = now
        db.session.flush()
    return queued


def _base_url() -> str:
    return current_app.config["BASE_URL"]
