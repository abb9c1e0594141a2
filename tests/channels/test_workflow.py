"""The review workflow through the services: submit, approve per stage, publish, edits."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta

import pytest
from flask_babel import gettext

from intranet.extensions import db
from intranet.models import (
    AnnouncementStatus,
    AuditEvent,
    OutboxMessage,
    ReviewDecision,
    ReviewRound,
    Role,
    RoundKind,
    RoundState,
)
from intranet.models.base import utcnow
from intranet.services.channels import drafting, notify, publication, review
from intranet.services.errors import (
    Conflict,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)
from tests.channels import helpers

S = AnnouncementStatus
pytestmark = pytest.mark.pg


def test_two_stages_then_published(college):
    a = helpers.draft(college.teacher, college.official, submit=True)
    assert a.status is S.IN_REVIEW and a.open_review is RoundKind.BEFORE
    helpers.approve(college.deputy, a)
    assert a.status is S.IN_REVIEW
    helpers.approve(college.head, a)
    assert a.status is S.PUBLISHED
    assert a.live_no == 1 and a.published_at is not None and a.open_review is None


def test_head_cannot_approve_stage_one(college):
    a = helpers.draft(college.teacher, college.official, submit=True)
    with pytest.raises(PermissionDenied):
        review.approve(a, actor=college.head, revision_no=1)


def test_edit_voids_approvals_and_restarts_at_stage_one(college):
    a = helpers.draft(college.teacher, college.official, submit=True)
    helpers.approve(college.deputy, a)
    helpers.edit(college.teacher, a, body="Новый текст")
    rounds = db.session.scalars(
        db.select(ReviewRound).where(ReviewRound.announcement_id == a.id).order_by(ReviewRound.id)
    ).all()
    assert [r.state for r in rounds] == [RoundState.SUPERSEDED, RoundState.OPEN]
    assert rounds[1].stage == 1 and rounds[1].revision_no == 2
    # The head cannot skip ahead on the deputy's old approval.
    with pytest.raises(PermissionDenied):
        review.approve(a, actor=college.head, revision_no=2)
    # An approval for the old text does not count for the new one.
    with pytest.raises(Conflict):
        review.approve(a, actor=college.deputy, revision_no=1)
    helpers.approve(college.deputy, a)
    helpers.approve(college.head, a)
    assert a.status is S.PUBLISHED and a.live_no == 2


def test_self_approval_refused(college):
    a = helpers.draft(college.deputy, college.official, submit=True)
    with pytest.raises(PermissionDenied) as refused:
        review.approve(a, actor=college.deputy, revision_no=1)
    assert refused.value.message == gettext("Nobody approves what they wrote.")


def test_heads_own_item_passes_to_admins(college):
    a = helpers.draft(college.head, college.official, submit=True)
    helpers.approve(college.deputy, a)
    with pytest.raises(PermissionDenied):
        review.approve(a, actor=college.head, revision_no=1)
    passed = db.session.scalar(
        db.select(AuditEvent).where(
            AuditEvent.action == "announcement.stage_passed_to_admins",
            AuditEvent.object_id == a.id,
        )
    )
    assert passed is not None and passed.data["stage"] == 2
    helpers.approve(college.admin, a)
    assert a.status is S.PUBLISHED
    decision = db.session.scalar(db.select(ReviewDecision).where(ReviewDecision.stage == 2))
    assert decision.for_admins and decision.actor_id == college.admin.id


def test_scheduled_then_published_by_the_job(college):
    a = helpers.draft(college.teacher, college.official, submit=True, go_live_in=timedelta(hours=2))
    helpers.approve(college.deputy, a)
    helpers.approve(college.head, a)
    assert a.status is S.SCHEDULED
    assert helpers.publish_due() == 0
    assert helpers.publish_due(now=utcnow() + timedelta(hours=2, seconds=1)) == 1
    assert a.status is S.PUBLISHED
    # Idempotent: a second run publishes nothing more.
    assert helpers.publish_due(now=utcnow() + timedelta(hours=3)) == 0


def _outbox(kind: str | None = None) -> list[OutboxMessage]:
    query = db.select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query))


def _actions(a) -> list[str]:
    return [
        action.removeprefix("announcement.")
        for action in db.session.scalars(
            db.select(AuditEvent.action)
            .where(AuditEvent.object_type == "Announcement", AuditEvent.object_id == a.id)
            .order_by(AuditEvent.id)
        )
    ]


def mail_text(row: OutboxMessage) -> str:
    message = email.message_from_bytes(row.raw, policy=email.policy.default)
    return message.get_body(("plain",)).get_content()


def test_changes_requested_then_edited_and_resubmitted(college):
    a = helpers.draft(college.teacher, college.official, submit=True)
    review.request_changes(
        a, actor=college.deputy, revision_no=1, comment="Уточните время", suggested_text="В 18:00"
    )
    db.session.commit()
    assert a.status is S.CHANGES_REQUESTED and a.open_review is None
    # The author heard of it, with the comment and the suggested text.
    decision_mail = _outbox("channels.decision")[-1]
    assert college.teacher.email in decision_mail.recipients
    assert "Уточните время" in mail_text(decision_mail) and "В 18:00" in mail_text(decision_mail)
    helpers.edit(college.teacher, a, body="Собрание в 18:00.")
    assert a.status is S.CHANGES_REQUESTED  # an edit alone does not resubmit
    helpers.submit(college.teacher, a)
    round_ = db.session.scalar(db.select(ReviewRound).where(ReviewRound.state == RoundState.OPEN))
    assert a.status is S.IN_REVIEW and round_.stage == 1 and round_.revision_no == 2
    assert "changes_requested" in _actions(a) and _actions(a).count("submitted") == 2


def test_comment_required_to_request_changes_or_decline(college):
    a = helpers.draft(college.teacher, college.official, submit=True)
    with pytest.raises(ValidationFailed):
        review.request_changes(a, actor=college.deputy, revision_no=1, comment="  ")
    with pytest.raises(ValidationFailed):
        review.decline(a, actor=college.deputy, revision_no=1, comment="")
    assert a.status is S.IN_REVIEW


def test_declined_is_final_for_that_text(college):
    a = helpers.draft(college.teacher, college.official, submit=True)
    review.decline(a, actor=college.deputy, revision_no=1, comment="Не для этого канала")
    db.session.commit()
    assert a.status is S.DECLINED
    with pytest.raises(PermissionDenied):
        review.submit(a, actor=college.teacher)
    with pytest.raises(PermissionDenied):
        helpers.edit(college.teacher, a)


def test_withdraw_from_review_and_from_schedule(college):
    a = helpers.draft(college.teacher, college.official, submit=True)
    helpers.approve(college.deputy, a)
    review.withdraw(a, actor=college.teacher)
    db.session.commit()
    assert a.status is S.DRAFT and a.open_review is None
    later = helpers.published(
        college.teacher,
        college.official,
        [college.deputy, college.head],
        go_live_in=timedelta(days=1),
    )
    assert later.status is S.SCHEDULED
    review.withdraw(later, actor=college.teacher)
    db.session.commit()
    assert later.status is S.DRAFT and later.live_no is None
    assert helpers.publish_due(now=utcnow() + timedelta(days=2)) == 0


def test_published_edit_is_pending_while_the_live_text_stays(college):
    a = helpers.published(college.teacher, college.official, [college.deputy, college.head])
    helpers.edit(college.teacher, a, body="Исправленный текст")
    assert a.status is S.PUBLISHED and a.live_no == 1 and a.current_no == 2
    assert a.open_review is None  # the author submits the change
    helpers.submit(college.teacher, a)
    assert a.status is S.PUBLISHED and a.open_review is RoundKind.BEFORE
    helpers.approve(college.deputy, a)
    assert a.live_no == 1  # still the old text until the last stage
    helpers.approve(college.head, a)
    assert a.live_no == 2 and a.corrected_at is not None and a.status is S.PUBLISHED
    assert "corrected" in _actions(a)


def test_pending_change_declined_keeps_the_live_text(college):
    a = helpers.published(college.teacher, college.official, [college.deputy, college.head])
    helpers.edit(college.teacher, a, body="Неудачная правка")
    helpers.submit(college.teacher, a)
    review.decline(a, actor=college.deputy, revision_no=2, comment="Оставим как было")
    db.session.commit()
    assert a.status is S.PUBLISHED and a.live_no == 1 and a.corrected_at is None
    with pytest.raises(InvalidTransition):
        review.submit(a, actor=college.teacher)


def test_urgent_publication_reviewed_afterwards(college):
    a = helpers.draft(college.teacher, college.official, submit=True)
    publication.publish_urgently(a, actor=college.head)
    db.session.commit()
    assert a.status is S.PUBLISHED and a.is_urgent and a.urgent_by_id == college.head.id
    assert a.open_review is RoundKind.AFTER
    helpers.approve(college.deputy, a)
    # The head published it, so the head's stage passes to the admins.
    with pytest.raises(PermissionDenied):
        review.approve(a, actor=college.head, revision_no=1)
    helpers.approve(college.admin, a)
    assert a.status is S.PUBLISHED and a.open_review is None
    assert "urgent_confirmed" in _actions(a)


def test_urgent_publication_declined_afterwards_is_withdrawn(college):
    a = helpers.draft(college.head, college.official)
    publication.publish_urgently(a, actor=college.head)
    db.session.commit()
    review.decline(a, actor=college.deputy, revision_no=1, comment="Ошибка в дате")
    db.session.commit()
    assert a.status is S.CANCELLED and a.cancel_reason == "Ошибка в дате"
    assert "urgent_withdrawn" in _actions(a)


def test_cancel_and_correction_mail_go_to_those_emailed(college, make):
    a = helpers.published(college.teacher, college.official, [college.deputy, college.head])
    notify.deliver_mailings()
    db.session.commit()
    first = {r for m in _outbox("channels.announcement") for r in m.recipients}
    assert college.student.email in first and college.parent.email in first
    newcomer = make.user("student", email="newcomer@example.test")
    publication.cancel(a, actor=college.admin, reason="Перенесено")
    db.session.commit()
    before = len(_outbox("channels.announcement"))
    notify.deliver_mailings()
    db.session.commit()
    cancelled = _outbox("channels.announcement")[before:]
    to = {r for m in cancelled for r in m.recipients}
    assert to == first and newcomer.email not in to
    assert all("Cancelled" in m.subject or "Отмен" in m.subject for m in cancelled)
    assert a.status is S.CANCELLED and "cancelled" in _actions(a)


def test_cancel_needs_a_reason(college):
    a = helpers.published(college.teacher, college.official, [college.deputy, college.head])
    with pytest.raises(ValidationFailed):
        publication.cancel(a, actor=college.admin, reason=" ")


def test_mail_respects_each_persons_settings(college):
    from intranet.services import mail

    mail.save_preferences(college.student, {"channels.announcement": False})
    helpers.published(college.teacher, college.official, [college.deputy, college.head])
    notify.deliver_mailings()
    db.session.commit()
    to = {r for m in _outbox("channels.announcement") for r in m.recipients}
    assert college.parent.email in to and college.student.email not in to


def test_expiry_unpublishes(college):
    a = helpers.published(
        college.teacher,
        college.official,
        [college.deputy, college.head],
        expire_in=timedelta(hours=1),
    )
    assert publication.expire_due() == 0
    assert publication.expire_due(now=utcnow() + timedelta(hours=1, seconds=1)) == 1
    db.session.commit()
    assert a.status is S.EXPIRED and a.expired_at is not None


def test_overdue_publication_is_flagged_to_admins(college):
    a = helpers.published(
        college.teacher,
        college.official,
        [college.deputy, college.head],
        go_live_in=timedelta(minutes=10),
    )
    assert publication.overdue_count(now=utcnow() + timedelta(minutes=30)) == 1
    assert helpers.publish_due(now=utcnow() + timedelta(minutes=30)) == 1
    assert a.overdue_flagged_at is not None and "published_late" in _actions(a)
    late = _outbox("channels.overdue")
    assert late and college.admin.email in late[0].recipients


def test_saving_an_old_version_is_a_conflict(college):
    a = helpers.draft(college.teacher, college.official)
    helpers.edit(college.admin, a, body="Правка администратора")
    with pytest.raises(drafting.EditConflict) as caught:
        drafting.save(
            a, drafting.Draft(title="Моё", body="Моя версия"), actor=college.teacher, base_no=1
        )
    assert caught.value.current.number == 2 and caught.value.mine.body == "Моя версия"
    assert a.current_no == 2


def test_named_approvers_and_one_person_one_stage(college, make):
    from intranet.services.channels.manage import StageSpec

    other_deputy = make.user("deputy", last_name="Второй")
    target = helpers.channel(
        college.admin,
        "Два зама",
        stages=[
            StageSpec(role=Role.DEPUTY),
            StageSpec(people_ids=[college.deputy.id, other_deputy.id]),
        ],
    )
    a = helpers.draft(college.teacher, target, submit=True)
    helpers.approve(college.deputy, a)
    # The deputy decided stage 1, so stage 2 is the other named person's.
    with pytest.raises(PermissionDenied):
        review.approve(a, actor=college.deputy, revision_no=1)
    helpers.approve(other_deputy, a)
    assert a.status is S.PUBLISHED


def test_stage_with_nobody_in_the_role_passes_to_admins(college, make):
    from intranet.services.channels.manage import StageSpec

    target = helpers.channel(college.admin, "Кураторский", stages=[StageSpec(role=Role.TUTOR)])
    a = helpers.draft(college.tutor, target, submit=True)  # the only tutor wrote it
    with pytest.raises(PermissionDenied):
        review.approve(a, actor=college.tutor, revision_no=1)
    helpers.approve(college.admin, a)
    assert a.status is S.PUBLISHED


def test_every_transition_is_audited_with_actor_and_revision(college):
    a = helpers.draft(college.teacher, college.official, submit=True)
    review.request_changes(a, actor=college.deputy, revision_no=1, comment="Короче")
    db.session.commit()
    helpers.edit(college.teacher, a, body="Коротко.")
    helpers.submit(college.teacher, a)
    helpers.approve(college.deputy, a)
    helpers.approve(college.head, a)
    events = db.session.scalars(
        db.select(AuditEvent)
        .where(AuditEvent.object_type == "Announcement", AuditEvent.object_id == a.id)
        .order_by(AuditEvent.id)
    ).all()
    by_action = {e.action.removeprefix("announcement."): e for e in events}
    for action in ("created", "submitted", "changes_requested", "edited", "approved", "published"):
        assert action in by_action, action
    assert by_action["changes_requested"].actor_id == college.deputy.id
    assert by_action["changes_requested"].data["comment"] == "Короче"
    assert by_action["changes_requested"].data["revision"] == 1
    assert by_action["approved"].data["revision"] == 2
