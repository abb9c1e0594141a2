"""Movement: transfers from an effective date (access follows it), leave and return,
expulsion, graduation of a whole group, hiring and leaving with the hand-over to a successor,
cancelling, the worker's job, the report, and tutor distribution by order."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from intranet import policy
from intranet.extensions import db
from intranet.jobs import JOBS
from intranet.models import (
    Enrollment,
    ExtracurricularGroup,
    Invitation,
    MovementKind,
    MovementStatus,
    TeachingAssignment,
    TutorAssignment,
    User,
)
from intranet.services import movement
from intranet.services.errors import InvalidTransition, PermissionDenied, ValidationFailed
from tests.onboarding.helpers import club, document, invitation

TODAY = date.today()
LATER = TODAY + timedelta(days=10)


@pytest.fixture
def admin(make):
    return make.user("admin", last_name="Админова")


@pytest.fixture
def order():
    return document(title="О переводе обучающихся", issued_on=TODAY - timedelta(days=3))


@pytest.fixture
def student(make, group):
    person = make.user("student", last_name="Переводов")
    make.enroll(person, group, starts_on=date(2024, 9, 1))
    return person


@pytest.mark.pg
def test_a_transfer_takes_effect_on_its_date(admin, order, student, group, other_group):
    m = movement.move_student(
        admin,
        student,
        kind="transfer",
        effective_on=LATER,
        basis_id=order.id,
        to_group_id=other_group.id,
        comment="по заявлению",
        today=TODAY,
    )
    assert m.status is MovementStatus.SCHEDULED
    assert (m.from_group_id, m.to_group_id) == (group.id, other_group.id)
    assert policy.student_group_ids(student.id, TODAY) == {group.id}
    assert policy.student_group_ids(student.id, LATER - timedelta(days=1)) == {group.id}
    assert policy.student_group_ids(student.id, LATER) == {other_group.id}
    assert policy.event_reach(student, LATER).group_ids == {other_group.id}
    # The worker marks it applied on the day, not before.
    assert movement.apply_due(TODAY) == 0
    assert movement.apply_due(LATER) == 1
    assert m.status is MovementStatus.APPLIED


@pytest.mark.pg
def test_a_parent_follows_the_child_to_the_new_group(
    make, admin, order, student, group, other_group
):
    parent = make.user("parent")
    make.guardian(parent, student)
    movement.move_student(
        admin, student, kind="transfer", effective_on=LATER, basis_id=order.id,
        to_group_id=other_group.id, today=TODAY,
    )  # fmt: skip
    assert policy.children_group_ids(parent.id, TODAY) == {group.id}
    assert policy.children_group_ids(parent.id, LATER) == {other_group.id}


@pytest.mark.pg
def test_cancelling_a_scheduled_transfer_restores_the_group(
    admin, order, student, group, other_group
):
    m = movement.move_student(
        admin, student, kind="transfer", effective_on=LATER, basis_id=order.id,
        to_group_id=other_group.id, today=TODAY,
    )  # fmt: skip
    movement.cancel(m, admin)
    assert m.status is MovementStatus.CANCELLED
    assert policy.student_group_ids(student.id, LATER) == {group.id}
    rows = db.session.scalars(select(Enrollment).where(Enrollment.student_id == student.id)).all()
    assert [(e.group_id, e.ends_on) for e in rows] == [(group.id, None)]
    with pytest.raises(InvalidTransition):
        movement.cancel(m, admin)


@pytest.mark.pg
@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"kind": "transfer", "to_group_id": None}, ValidationFailed),
        ({"kind": "transfer", "basis_id": None}, ValidationFailed),
        ({"kind": "transfer", "effective_on": None}, ValidationFailed),
        ({"kind": "hired"}, ValidationFailed),
        ({"kind": "return"}, InvalidTransition),  # already in a group
        ({"kind": "expulsion", "effective_on": date(2024, 9, 1)}, InvalidTransition),
        ({"kind": "expulsion", "effective_on": date(2020, 1, 1)}, InvalidTransition),
    ],
)
def test_impossible_movements_are_refused(admin, order, student, other_group, fields, error):
    values = {
        "kind": "transfer",
        "effective_on": LATER,
        "basis_id": order.id,
        "to_group_id": other_group.id,
        "today": TODAY,
    }
    values.update(fields)
    with pytest.raises(error):
        movement.move_student(admin, student, **values)


@pytest.mark.pg
def test_only_admins_record_movement(make, order, student, other_group):
    for role in ("head", "deputy", "tutor"):
        with pytest.raises(PermissionDenied):
            movement.move_student(
                make.user(role), student, kind="expulsion", effective_on=LATER,
                basis_id=order.id, today=TODAY,
            )  # fmt: skip


@pytest.mark.pg
def test_leave_and_return(admin, order, student, group):
    leave_day, back_day = TODAY + timedelta(days=2), TODAY + timedelta(days=200)
    movement.move_student(
        admin, student, kind="academic_leave", effective_on=leave_day, basis_id=order.id,
        today=TODAY,
    )  # fmt: skip
    assert policy.student_group_ids(student.id, leave_day) == set()
    with pytest.raises(InvalidTransition):  # a later movement must be cancelled first
        movement.move_student(
            admin, student, kind="expulsion", effective_on=TODAY + timedelta(days=1),
            basis_id=order.id, today=TODAY,
        )  # fmt: skip
    back = movement.move_student(
        admin, student, kind="return", effective_on=back_day, basis_id=order.id, today=TODAY
    )
    assert back.to_group_id == group.id  # the group before the leave
    assert policy.student_group_ids(student.id, back_day) == {group.id}
    kinds = [m.kind for m in movement.history_for(student.id)]
    assert kinds == [MovementKind.RETURN, MovementKind.ACADEMIC_LEAVE]


@pytest.mark.pg
def test_an_expelled_student_loses_access_on_the_day(admin, order, student):
    m = movement.move_student(
        admin, student, kind="expulsion", effective_on=LATER, basis_id=order.id, today=TODAY
    )
    assert student.is_active
    movement.apply_due(LATER)
    assert not student.is_active and m.outcome == {"account_disabled": True}


@pytest.mark.pg
def test_expulsion_today_applies_at_once_but_keeps_other_roles(make, admin, order, group):
    person = make.user("student", "parent")
    make.enroll(person, group, starts_on=date(2024, 9, 1))
    m = movement.move_student(
        admin, person, kind="expulsion", effective_on=TODAY, basis_id=order.id, today=TODAY
    )
    assert m.status is MovementStatus.APPLIED and person.is_active


@pytest.mark.pg
def test_a_whole_group_graduates_and_is_archived_on_the_day(make, admin, order, group):
    people = [make.user("student") for _ in range(3)]
    for p in people:
        make.enroll(p, group, starts_on=date(2022, 9, 1))
    moves = movement.graduate_group(
        admin, group, effective_on=LATER, basis_id=order.id, comment="выпуск 2026", today=TODAY
    )
    assert len(moves) == 3 and len({m.batch for m in moves}) == 1
    assert not group.is_archived
    movement.apply_due(LATER)
    assert group.is_archived
    assert all(not p.is_active for p in people)
    with pytest.raises(InvalidTransition):
        movement.graduate_group(admin, group, effective_on=LATER, basis_id=order.id, today=TODAY)


@pytest.mark.pg
def test_the_worker_job_applies_due_movements(app, admin, order, student):
    movement.move_student(
        admin, student, kind="expulsion", effective_on=TODAY, basis_id=order.id, today=TODAY
    )
    assert "movement.apply_due" in JOBS
    JOBS["movement.apply_due"].func()  # idempotent: nothing left to apply
    assert not student.is_active


# --- staff ----------------------------------------------------------------------------------------


@pytest.mark.pg
def test_hiring_opens_the_account_on_the_first_day(admin, order):
    m = movement.hire(
        admin, last_name="Новикова", first_name="Анна", email="novikova@kolledzh.ru",
        roles=["teacher"], effective_on=LATER, basis_id=order.id, confirm_teacher=True,
        today=TODAY,
    )  # fmt: skip
    person = db.session.get(User, m.person_id)
    assert not person.is_active and person.password_hash is None
    assert policy.can(person, "events.create") is False
    movement.apply_due(LATER)
    assert person.is_active and policy.can(person, "events.create")
    with pytest.raises(ValidationFailed):
        movement.hire(
            admin, last_name="X", first_name="Y", roles=["admin"], effective_on=TODAY,
            basis_id=order.id, today=TODAY,
        )  # fmt: skip


@pytest.fixture
def leaving(make, group, admin):
    """A tutor and teacher of the group who leads a club, with an open link and ticket."""
    person = make.user("tutor", "teacher", "admin", last_name="Уходящая")
    make.tutor_of(person, group, starts_on=date(2024, 9, 1))
    make.teaches(person, group)
    led = club(leader=person)
    link = invitation(person, "student", group=group)
    ticket = make.ticket(make.user("student"), status="open", assignee_id=person.id)
    return person, led, link, ticket


@pytest.mark.pg
def test_leaving_staff_hand_everything_over_before_access_ends(make, admin, order, group, leaving):
    person, led, link, ticket = leaving
    successor = make.user("tutor", "teacher", "admin", last_name="Преемникова")
    held = {item.key: n for item, n in movement.pending_for(person, LATER)}
    assert held == {
        "tutorships": 1, "teaching": 1, "clubs": 1, "invitations": 1, "helpdesk.tickets": 1,
    }  # fmt: skip
    with pytest.raises(ValidationFailed) as error:  # tutorships need a successor
        movement.leave(
            admin, person, successor_id=None, effective_on=LATER, basis_id=order.id, today=TODAY
        )
    assert error.value.field == "successor_id"
    m = movement.leave(
        admin, person, successor_id=successor.id, effective_on=LATER, basis_id=order.id,
        today=TODAY,
    )  # fmt: skip
    assert m.status is MovementStatus.SCHEDULED and person.is_active
    movement.apply_due(LATER)
    assert not person.is_active
    assert policy.tutored_group_ids(successor, LATER) == {group.id}
    assert policy.tutored_group_ids(person, LATER - timedelta(days=1)) == {group.id}
    assert policy.tutored_group_ids(person, LATER) == set()
    assert (
        db.session.scalar(
            select(TeachingAssignment.teacher_id).where(TeachingAssignment.group_id == group.id)
        )
        == successor.id
    )
    assert db.session.get(ExtracurricularGroup, led.id).leader_id == successor.id
    assert db.session.get(Invitation, link.id).revoked_at is not None
    db.session.refresh(ticket)
    assert ticket.assignee_id == successor.id
    assert m.outcome["handover"]["tutorships"] == 1 and m.outcome["account_disabled"]


@pytest.mark.pg
def test_a_successor_who_cannot_take_tutorships_is_refused(make, admin, order, leaving):
    person = leaving[0]
    student_successor = make.user("teacher")  # not a tutor
    with pytest.raises(ValidationFailed) as error:
        movement.leave(
            admin, person, successor_id=student_successor.id, effective_on=LATER,
            basis_id=order.id, today=TODAY,
        )  # fmt: skip
    assert "не тьютор" in error.value.message


@pytest.mark.pg
def test_tickets_go_back_to_the_queue_if_the_successor_is_no_admin(make, admin, order, group):
    person = make.user("admin", last_name="Дежурная")
    ticket = make.ticket(make.user("student"), status="open", assignee_id=person.id)
    successor = make.user("teacher")
    movement.leave(
        admin, person, successor_id=successor.id, effective_on=TODAY, basis_id=order.id,
        today=TODAY,
    )  # fmt: skip
    db.session.refresh(ticket)
    assert ticket.assignee_id is None and not person.is_active


@pytest.mark.pg
def test_named_reviewers_of_channels_are_handed_over(make, admin, order):
    from intranet.models.channels import Audience, Channel, ChannelStage, channel_stage_approver

    person = make.user("deputy", last_name="Рецензентова")
    successor = make.user("deputy", last_name="Сменщица")
    channel = Channel(name="Новости колледжа", name_key="новости колледжа", audience=Audience.STAFF)
    channel.stages.append(ChannelStage(position=1, approvers=[person]))
    db.session.add(channel)
    db.session.commit()
    assert dict((i.key, n) for i, n in movement.pending_for(person, TODAY)) == {
        "channels.reviews": 1
    }
    movement.leave(
        admin, person, successor_id=successor.id, effective_on=TODAY, basis_id=order.id,
        today=TODAY,
    )  # fmt: skip
    named = set(db.session.scalars(select(channel_stage_approver.c.user_id)))
    assert named == {successor.id}


@pytest.mark.pg
def test_the_main_and_the_last_admin_cannot_just_leave(make, order):
    main = make.user("admin")
    main.roles[0].is_main = True
    db.session.commit()
    actor = make.user("admin")
    with pytest.raises(InvalidTransition):
        movement.leave(
            actor, main, successor_id=None, effective_on=TODAY, basis_id=order.id, today=TODAY
        )
    with pytest.raises(ValidationFailed):  # your own leaving is recorded by someone else
        movement.leave(
            actor, actor, successor_id=None, effective_on=TODAY, basis_id=order.id, today=TODAY
        )


# --- report and pages -----------------------------------------------------------------------------


def test_the_report_for_a_period_as_csv(client, login_as, make, order, student, other_group):
    admin = make.user("admin")
    movement.move_student(
        admin, student, kind="transfer", effective_on=TODAY, basis_id=order.id,
        to_group_id=other_group.id, today=TODAY,
    )  # fmt: skip
    cancelled = make.user("student", last_name="Отменённый")
    make.enroll(cancelled, other_group, starts_on=date(2024, 9, 1))
    m = movement.move_student(
        admin, cancelled, kind="expulsion", effective_on=LATER, basis_id=order.id, today=TODAY
    )
    movement.cancel(m, admin)
    db.session.commit()
    login_as("head")
    since, until = (TODAY - timedelta(days=1)).isoformat(), (TODAY + timedelta(days=30)).isoformat()
    page = client.get(f"/movement/?since={since}&until={until}")
    assert "Переводов" in page.text and "Отменённый" not in page.text
    response = client.get(f"/movement/report.csv?since={since}&until={until}")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["Дата вступления в силу", "Движение", "ФИО"]
    assert len(rows) == 2 and rows[1][1] == "Перевод в другую группу"
    assert order.number in rows[1][5]


def test_the_person_page_shows_the_movement_history(
    client, login_as, make, order, student, other_group
):
    admin = login_as("admin")
    movement.move_student(
        admin, student, kind="transfer", effective_on=LATER, basis_id=order.id,
        to_group_id=other_group.id, today=TODAY,
    )  # fmt: skip
    db.session.commit()
    page = client.get(f"/people/{student.id}")
    assert 'id="h-movement"' in page.text and "запланировано" in page.text
    (m,) = movement.history_for(student.id)
    assert f"/movement/{m.id}" in page.text and "ИСП-24-2" in page.text
    assert f"/onboarding/people/{student.id}/link" in page.text  # its activation QR


def test_recording_a_transfer_through_the_page(client, login_as, order, student, other_group):
    login_as("admin")
    form = {
        "kind": "transfer",
        "to_group_id": str(other_group.id),
        "effective_on": LATER.isoformat(),
        "basis_id": str(order.id),
        "comment": "",
    }
    done = client.post(f"/movement/students/{student.id}", data=form)
    assert done.status_code == 302
    assert "запланировано" in client.get(done.location).text
    again = client.post(f"/movement/students/{student.id}", data=form)
    assert again.status_code == 200 and "более позднее движение" in again.text


# --- tutor distribution ---------------------------------------------------------------------------


@pytest.mark.pg
def test_a_new_tutor_by_order_replaces_the_current_one_and_history_stays(make, admin, group):
    old, new = make.user("tutor", last_name="Прежняя"), make.user("tutor", last_name="Новая")
    make.tutor_of(old, group, starts_on=date(2024, 9, 1))
    order = document(title="О распределении руководства учебными группами", number="77-к")
    assignment = movement.assign_tutor(
        admin, group_id=group.id, tutor_id=new.id, starts_on=LATER, basis_id=order.id
    )
    assert assignment.basis_document_id == order.id and assignment.basis_number == "77-к"
    assert policy.tutored_group_ids(old, LATER - timedelta(days=1)) == {group.id}
    assert policy.tutored_group_ids(old, LATER) == set()
    assert policy.tutored_group_ids(new, LATER) == {group.id}
    history = db.session.scalars(movement.history_query(group.id)).all()
    assert [t.tutor_id for t in history] == [new.id, old.id]
    assert "77-к" in movement.bases_of(history)[assignment.id]
    with pytest.raises(ValidationFailed):
        movement.assign_tutor(
            admin, group_id=group.id, tutor_id=new.id, starts_on=LATER, basis_id=None
        )


@pytest.mark.pg
def test_two_tutors_may_work_together(make, admin, group):
    first, second = make.user("tutor"), make.user("tutor")
    make.tutor_of(first, group, starts_on=date(2024, 9, 1))
    order = document()
    movement.assign_tutor(
        admin, group_id=group.id, tutor_id=second.id, starts_on=TODAY, basis_id=order.id,
        replace=False,
    )  # fmt: skip
    rows = db.session.scalars(
        select(TutorAssignment).where(TutorAssignment.group_id == group.id)
    ).all()
    assert {r.tutor_id for r in rows if r.ends_on is None} == {first.id, second.id}


@pytest.mark.pg
def test_a_movement_that_cannot_be_applied_waits_and_says_why(make, order):
    actor = make.user("admin")
    person = make.user("admin", "teacher", last_name="Последняя")
    m = movement.leave(
        actor, person, successor_id=None, effective_on=LATER, basis_id=order.id, today=TODAY
    )
    actor.is_active = False  # meanwhile the other administrator's account was closed
    db.session.commit()
    assert movement.apply_due(LATER) == 0
    assert m.status is MovementStatus.SCHEDULED and person.is_active
    assert "Последнего администратора" in m.outcome["error"]
    assert movement.apply_due(LATER) == 0  # tried again, reported once
    from intranet.models import AuditEvent

    failures = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "movement.apply_failed")
    ).all()
    assert len(failures) == 1
