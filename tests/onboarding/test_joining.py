"""Joining: registration rules (consent, contacts, passwords), an existing account joining by a
link, and the queue: filters, approve or reject with a reason, several at once, the mail."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from intranet.extensions import db
from intranet.models import (
    Consent,
    Enrollment,
    Guardian,
    JoinRequest,
    JoinStatus,
    Role,
    TeacherStatus,
    User,
)
from intranet.services import onboarding, security
from intranet.services.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from tests.onboarding.helpers import invitation, join_request
from tests.onboarding.test_flows import PASSWORD

TODAY = date(2026, 10, 1)


def token(inv) -> str:
    return security.make_token("invitation", inv.id, inv.token_version)


def register(inv, **fields):
    values = {
        "last_name": "Орлова",
        "first_name": "Ирина",
        "phone": "+7 913 000-00-01",
        "password": PASSWORD,
        "consent": True,
    }
    values.update(fields)
    return onboarding.register(token(inv), **values)


@pytest.mark.pg
def test_registration_needs_consent_and_stores_nothing_without_it(make, group):
    inv = invitation(make.user("admin"), "student", group=group)
    with pytest.raises(ValidationFailed) as error:
        register(inv, consent=False)
    assert error.value.field == "consent"
    db.session.rollback()
    assert db.session.scalar(select(func.count(Consent.id))) == 0
    assert db.session.scalar(select(User.id).where(User.last_name == "Орлова")) is None


@pytest.mark.pg
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"phone": ""}, "phone"),
        ({"password": "short"}, "password"),
        ({"password": "password123"}, "password"),  # a common one
        ({"last_name": "  "}, "last_name"),
        ({"first_name": ""}, "first_name"),
    ],
)
def test_registration_checks_each_field(make, group, fields, field):
    inv = invitation(make.user("admin"), "student", group=group)
    with pytest.raises(ValidationFailed) as error:
        register(inv, **fields)
    assert error.value.field == field


@pytest.mark.pg
def test_contacts_of_an_existing_account_send_the_person_to_sign_in(make, group):
    make.user("parent", phone="+79130000001", email="busy@kolledzh.ru")
    inv = invitation(make.user("admin"), "student", group=group)
    with pytest.raises(ValidationFailed) as error:
        register(inv)
    assert error.value.field == "phone" and "Войдите" in error.value.message
    with pytest.raises(ValidationFailed) as error:
        register(inv, phone="+7 913 000-00-02", email="BUSY@kolledzh.ru")
    assert error.value.field == "email"


@pytest.mark.pg
def test_a_student_joins_the_group_of_the_link_when_approved(make, group, sent):
    admin = make.user("admin")
    inv = invitation(admin, "student", group=group)
    request_ = register(inv, email="orlova@kolledzh.ru")
    assert request_.group_id == group.id
    onboarding.approve(request_, admin, today=TODAY)
    enrollment = db.session.scalar(
        select(Enrollment).where(Enrollment.student_id == request_.user_id)
    )
    assert (enrollment.group_id, enrollment.starts_on) == (group.id, TODAY)
    assert request_.status is JoinStatus.APPROVED and request_.decided_by_id == admin.id
    (message,) = sent("onboarding.decision")
    assert "orlova@kolledzh.ru" in message[0]
    with pytest.raises(InvalidTransition):
        onboarding.reject(request_, admin, reason="поздно")


@pytest.mark.pg
def test_rejecting_needs_a_reason_that_the_applicant_is_told(make, sent):
    admin = make.user("admin")
    applicant = make.user(email="appl@kolledzh.ru")
    request_ = join_request(applicant, Role.TEACHER)
    with pytest.raises(ValidationFailed):
        onboarding.reject(request_, admin, reason="   ")
    onboarding.reject(request_, admin, reason="Не работает в колледже")
    assert request_.status is JoinStatus.REJECTED
    (message,) = sent("onboarding.decision")
    assert "Не работает в колледже" in message[2] and "отклонена" in message[2]
    assert applicant.role_set == frozenset()


@pytest.mark.pg
def test_nobody_is_mailed_without_an_address(make):
    admin = make.user("admin")
    request_ = join_request(make.user(email=None, phone="+79130000009"), Role.TEACHER)
    onboarding.approve(request_, admin, today=TODAY)
    from intranet.models import OutboxMessage

    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


@pytest.mark.pg
def test_a_rejected_parent_leaves_no_family_link(make, group):
    tutor = make.user("tutor", "teacher")
    make.tutor_of(tutor, group)
    student = make.user("student")
    make.enroll(student, group)
    inv = onboarding.create_parent_link(tutor, student)
    request_ = register(inv, relation="отец")
    assert db.session.scalar(select(Guardian).where(Guardian.parent_id == request_.user_id))
    onboarding.reject(request_, tutor, reason="Это не родитель")
    assert db.session.scalar(select(Guardian).where(Guardian.parent_id == request_.user_id)) is None


@pytest.mark.pg
def test_a_tutor_decides_only_parents_of_their_students(make, group, other_group):
    tutor = make.user("tutor", "teacher")
    make.tutor_of(tutor, group)
    mine, theirs = make.user("student"), make.user("student")
    make.enroll(mine, group)
    make.enroll(theirs, other_group)
    parent_mine = join_request(make.user(), Role.PARENT, student=mine)
    parent_theirs = join_request(make.user(), Role.PARENT, student=theirs)
    teacher = join_request(make.user(), Role.TEACHER)
    for other in (parent_theirs, teacher):
        with pytest.raises(PermissionDenied):
            onboarding.approve(other, tutor, today=TODAY)
    visible = db.session.scalars(
        onboarding.requests_query(tutor, onboarding.RequestFilters(), TODAY)
    ).all()
    assert [r.id for r in visible] == [parent_mine.id]
    assert onboarding.pending_count(tutor, TODAY) == 1


@pytest.mark.pg
def test_several_at_once_skips_those_already_decided(make, group):
    admin = make.user("admin")
    requests = [join_request(make.user(last_name=f"Массов{i}"), Role.TEACHER) for i in range(3)]
    onboarding.reject(requests[0], admin, reason="дубль")
    outcome = onboarding.decide_many(
        [r.id for r in requests], admin, approve_them=True, confirm_teacher=True, today=TODAY
    )
    assert outcome.done == 2 and len(outcome.skipped) == 1
    assert "уже принято решение" in outcome.skipped[0]
    for r in requests[1:]:
        user = db.session.get(User, r.user_id)
        assert user.teacher_status is TeacherStatus.CONFIRMED
    with pytest.raises(ValidationFailed):
        onboarding.decide_many([requests[1].id], admin, approve_them=False, reason="", today=TODAY)
    with pytest.raises(ValidationFailed):
        onboarding.decide_many([], admin, approve_them=True, today=TODAY)


def test_the_queue_page_decides_several_at_once(client, login_as, make):
    login_as("admin")
    ids = [join_request(make.user(last_name=f"Пакетов{i}"), Role.DEPUTY).id for i in range(2)]
    page = client.get("/onboarding/requests?role=deputy")
    assert "Пакетов0" in page.text and "Пакетов1" in page.text
    refused = client.post(
        "/onboarding/requests/decide", data={"ids": [str(i) for i in ids], "decision": "reject"}
    )
    assert refused.status_code == 400 and "Укажите причину отказа." in refused.text
    done = client.post(
        "/onboarding/requests/decide",
        data={
            "ids": [str(i) for i in ids],
            "decision": "reject",
            "reason": "Нет такого сотрудника",
        },
    )
    assert done.status_code == 302
    statuses = db.session.scalars(select(JoinRequest.status).where(JoinRequest.id.in_(ids))).all()
    assert set(statuses) == {JoinStatus.REJECTED}
    assert "Пакетов0" in client.get("/onboarding/requests?status=rejected").text


@pytest.mark.pg
def test_a_parent_with_an_account_joins_for_a_second_child(make, group):
    tutor = make.user("tutor", "teacher")
    make.tutor_of(tutor, group)
    first, second = make.user("student"), make.user("student")
    make.enroll(first, group)
    make.enroll(second, group)
    parent = make.user("parent")
    make.guardian(parent, first)
    inv = onboarding.create_parent_link(tutor, second)
    with pytest.raises(ValidationFailed):
        onboarding.accept_with_account(token(inv), parent, consent=False)
    request_ = onboarding.accept_with_account(token(inv), parent, relation="мать", consent=True)
    with pytest.raises(onboarding.LinkUnusable) as spent:  # the one use is spent
        onboarding.accept_with_account(token(inv), parent, consent=True)
    assert spent.value.state is onboarding.LinkState.USED_UP
    onboarding.approve(request_, tutor, today=TODAY)
    from intranet import policy

    assert set(policy.children_group_ids(parent.id)) == {group.id}
    links = db.session.scalars(select(Guardian.student_id).where(Guardian.parent_id == parent.id))
    assert set(links) == {first.id, second.id}


@pytest.mark.pg
def test_an_account_cannot_ask_twice_or_for_a_role_it_has(make, group):
    admin = make.user("admin")
    teacher = make.user("teacher")
    with pytest.raises(Conflict):
        onboarding.accept_with_account(token(invitation(admin, "teacher")), teacher, consent=True)
    person = make.user()
    onboarding.accept_with_account(token(invitation(admin, "deputy")), person, consent=True)
    with pytest.raises(Conflict):
        onboarding.accept_with_account(token(invitation(admin, "deputy")), person, consent=True)


def test_the_signed_in_page_offers_to_join_with_the_account(client, login_as, make):
    login_as("parent", last_name="Вошедшая")
    inv = invitation(make.user("admin"), "teacher")
    page = client.get(f"/join/{token(inv)}")
    assert "Вошедшая" in page.text and f"/join/{token(inv)}/accept" in page.text
    done = client.post(f"/join/{token(inv)}/accept", data={"consent": "y"})
    assert done.status_code == 302
    assert "ждёт решения" in client.get("/join/done").text
