"""Review rounds: opened on a revision with a snapshot of the channel's stages, and closed."""

from __future__ import annotations

from intranet import policy
from intranet.extensions import db
from intranet.models import Announcement, ReviewRound, RoundKind, RoundState, User
from intranet.models.base import utcnow
from intranet.services.channels import common, notify


def start(
    announcement: Announcement,
    *,
    actor: User | None,
    kind: RoundKind = RoundKind.BEFORE,
    restarted: bool = False,
) -> ReviewRound:
    """Open a round on the current revision at stage 1 and tell its approvers."""
    channel = common.channel_of(announcement)
    stages = [
        {
            "role": stage.approver_role.value if stage.approver_role else None,
            "people": [u.id for u in stage.approvers],
        }
        for stage in channel.stages
    ]
    round_ = ReviewRound(
        announcement_id=announcement.id,
        revision_no=announcement.current_no,
        kind=kind,
        state=RoundState.OPEN,
        stage=1,
        stages=stages,
        opened_by_id=actor.id if actor else None,
    )
    db.session.add(round_)
    announcement.open_review = kind
    common.flush()
    common.record(
        "review_restarted" if restarted else "review_started",
        announcement,
        actor,
        revision=round_.revision_no,
        kind=kind.value,
        stages=len(stages),
    )
    stage_started(announcement, round_)
    return round_


def stage_started(announcement: Announcement, round_: ReviewRound) -> None:
    """Record a stage that passed to the admins, and notify whoever may decide it."""
    approvers = policy.stage_approvers(announcement, round_)
    if approvers.to_admins:
        common.record(
            "stage_passed_to_admins",
            announcement,
            None,
            revision=round_.revision_no,
            stage=round_.stage,
            approvers=sorted(approvers.user_ids),
        )
    notify.review_requested(announcement, round_, approvers.user_ids)


def close(announcement: Announcement, round_: ReviewRound, state: RoundState) -> None:
    """Close the open round in this state."""
    round_.state = state
    round_.closed_at = utcnow()
    announcement.open_review = None
