"""Review: submit, withdraw, approve, request changes, decline.

Each stage needs one approval from its approver role or named people, given on the revision
the round is bound to. Reviewers decide; they never edit. The last approval publishes (or
schedules) the revision, under the announcement's row lock and a unique (round, stage)
decision, so two approvals racing for the last stage publish once.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from intranet import policy
from intranet.extensions import db
from intranet.models import (
    Announcement,
    AnnouncementStatus,
    ReviewDecision,
    ReviewRound,
    Revision,
    RoundKind,
    RoundState,
    User,
    Verdict,
)
from intranet.services.channels import common, notify, publication, rounds
from intranet.services.errors import (
    Conflict,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)

S = AnnouncementStatus
COMMENT_MAX = 5000


def submit(announcement: Announcement, *, actor: User) -> ReviewRound:
    """Send the current revision for review at stage 1."""
    common.lock(announcement)
    common.require(actor, "channels.submit", announcement)
    if _declined_before(announcement):
        raise InvalidTransition(_("This version was declined. Edit it before submitting it again."))
    if announcement.status in (S.DRAFT, S.CHANGES_REQUESTED):
        announcement.status = S.IN_REVIEW
    common.record("submitted", announcement, actor, revision=announcement.current_no)
    return rounds.start(announcement, actor=actor, kind=RoundKind.BEFORE)


def _declined_before(announcement: Announcement) -> bool:
    last = db.session.scalar(
        select(ReviewRound.state)
        .where(
            ReviewRound.announcement_id == announcement.id,
            ReviewRound.revision_no == announcement.current_no,
        )
        .order_by(ReviewRound.id.desc())
        .limit(1)
    )
    return last is RoundState.DECLINED


def withdraw(announcement: Announcement, *, actor: User) -> None:
    """The author takes the item back: out of review, or off the schedule, into draft."""
    common.lock(announcement)
    common.require(actor, "channels.withdraw", announcement)
    round_ = common.open_round(announcement)
    if round_ is not None and round_.kind is RoundKind.BEFORE:
        rounds.close(announcement, round_, RoundState.WITHDRAWN)
        if announcement.status is S.IN_REVIEW:
            announcement.status = S.DRAFT
    elif announcement.status is S.SCHEDULED:
        announcement.status = S.DRAFT
        announcement.live_no = None
        announcement.go_live_at = None
    else:
        raise InvalidTransition(_("There is nothing to withdraw."))
    common.record("withdrawn", announcement, actor, revision=announcement.current_no)
    common.flush()


def approve(
    announcement: Announcement, *, actor: User, revision_no: int, comment: str = ""
) -> ReviewDecision:
    """Approve the current stage; the last stage publishes or schedules the revision."""
    round_ = _deciding(announcement, actor, revision_no)
    decision = _decide(announcement, round_, actor, Verdict.APPROVED, comment, "")
    if round_.stage < round_.stage_count:
        round_.stage += 1
        common.flush()
        rounds.stage_started(announcement, round_)
    else:
        rounds.close(announcement, round_, RoundState.APPROVED)
        common.flush()
        if round_.kind is RoundKind.AFTER:
            common.record("urgent_confirmed", announcement, actor, revision=round_.revision_no)
        else:
            publication.revision_approved(announcement, round_.revision_no, actor=actor)
    notify.decision_made(announcement, decision, actor)
    common.flush()
    return decision


def request_changes(
    announcement: Announcement,
    *,
    actor: User,
    revision_no: int,
    comment: str,
    suggested_text: str = "",
) -> ReviewDecision:
    """Send it back to the author with a comment (and, if given, suggested text)."""
    comment = _required_comment(comment)
    round_ = _deciding(announcement, actor, revision_no)
    decision = _decide(
        announcement, round_, actor, Verdict.CHANGES_REQUESTED, comment, suggested_text
    )
    rounds.close(announcement, round_, RoundState.CHANGES_REQUESTED)
    if announcement.status is S.IN_REVIEW:
        announcement.status = S.CHANGES_REQUESTED
    common.flush()
    notify.decision_made(announcement, decision, actor)
    return decision


def decline(
    announcement: Announcement, *, actor: User, revision_no: int, comment: str
) -> ReviewDecision:
    """Refuse it. An urgent publication declined afterwards is withdrawn from the channel."""
    comment = _required_comment(comment)
    round_ = _deciding(announcement, actor, revision_no)
    decision = _decide(announcement, round_, actor, Verdict.DECLINED, comment, "")
    rounds.close(announcement, round_, RoundState.DECLINED)
    if announcement.status is S.IN_REVIEW:
        announcement.status = S.DECLINED
    common.flush()
    if round_.kind is RoundKind.AFTER and announcement.status is S.PUBLISHED:
        publication.withdraw_declined_urgent(announcement, actor=actor, reason=comment)
    notify.decision_made(announcement, decision, actor)
    common.flush()
    return decision


def _required_comment(comment: str) -> str:
    text = (comment or "").strip()
    if not text:
        raise ValidationFailed(_("Write a comment for the author."), "comment")
    if len(text) > COMMENT_MAX:
        raise ValidationFailed(_("The comment is too long."), "comment")
    return text


def _deciding(announcement: Announcement, actor: User, revision_no: int) -> ReviewRound:
    """Lock, then check that a round is open on this very revision and the actor may decide."""
    common.lock(announcement)
    round_ = common.open_round(announcement)
    if round_ is None:
        raise InvalidTransition(_("This announcement is not awaiting review."))
    if revision_no != round_.revision_no:
        raise Conflict(_("The text changed while you were reading it. Review the new version."))
    approvers = policy.stage_approvers(announcement, round_)
    if actor.id not in approvers.user_ids:
        if _wrote(announcement, actor):
            raise PermissionDenied(_("Nobody approves what they wrote."))
        raise PermissionDenied(_("This review stage awaits someone else."))
    return round_


def _wrote(announcement: Announcement, actor: User) -> bool:
    if actor.id in (announcement.author_id, announcement.urgent_by_id):
        return True
    return bool(
        db.session.scalar(
            select(Revision.id)
            .where(Revision.announcement_id == announcement.id, Revision.author_id == actor.id)
            .limit(1)
        )
    )


def _decide(
    announcement: Announcement,
    round_: ReviewRound,
    actor: User,
    verdict: Verdict,
    comment: str,
    suggested_text: str,
) -> ReviewDecision:
    approvers = policy.stage_approvers(announcement, round_)
    decision = ReviewDecision(
        round_id=round_.id,
        stage=round_.stage,
        revision_no=round_.revision_no,
        actor_id=actor.id,
        verdict=verdict,
        comment=(comment or "").strip()[:COMMENT_MAX],
        suggested_text=(suggested_text or "").strip()[:20_000],
        for_admins=approvers.to_admins,
    )
    db.session.add(decision)
    common.flush()  # a second decision on this stage fails here: UNIQUE (round, stage)
    common.record(
        verdict.value,
        announcement,
        actor,
        revision=round_.revision_no,
        stage=round_.stage,
        of=round_.stage_count,
        kind=round_.kind.value,
        comment=decision.comment,
        for_admins=approvers.to_admins,
    )
    return decision
