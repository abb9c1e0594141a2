"""The flows a new user walks, through the pages: an admin invites a teacher who registers and
is approved and confirmed; a tutor invites a parent who registers and, once confirmed, sees
only the child's group; a parent with only a phone gets in with the tutor's QR code."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from intranet import policy
from intranet.extensions import db
from intranet.models import Consent, Guardian, JoinRequest, JoinStatus, Role, TeacherStatus, User
from intranet.services.onboarding import POLICY_VERSION
from tests.onboarding.helpers import token_in

PASSWORD = "зелёный слон 2026"


def register_form(**fields) -> dict:
    data = {
        "last_name": "Петрова",
        "first_name": "Мария",
        "middle_name": "Ивановна",
        "phone": "+7 912 345-67-89",
        "email": "",
        "password": PASSWORD,
        "password2": PASSWORD,
        "consent": "y",
        "relation": "",
    }
    data.update(fields)
    return data


def sign_out(client) -> None:
    client.post("/logout")


@pytest.mark.pg
def test_admin_invites_a_teacher_who_registers_and_is_approved_and_confirmed(
    client, login_as, sent
):
    admin = login_as("admin", last_name="Админова")
    created = client.post(
        "/onboarding/invitations/new",
        data={"role": "teacher", "days": "7", "max_uses": "5", "note": "Новые преподаватели"},
    )
    assert created.status_code == 302
    page = client.get(created.location)
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in page.text  # the QR code, as an image
    token = token_in(page.text)
    sign_out(client)

    landing = client.get(f"/join/{token}")
    assert landing.status_code == 200
    assert "Преподаватель" in landing.text and "персональных данных" in landing.text
    no_email = client.post(f"/join/{token}", data=register_form())
    assert no_email.status_code == 200
    assert "Для входа сотрудникам нужен адрес электронной почты." in no_email.text
    assert 'value="Петрова"' in no_email.text  # the entry is kept
    done = client.post(f"/join/{token}", data=register_form(email="Petrova@Kolledzh.ru"))
    assert done.status_code == 302 and done.location.endswith("/join/done")

    teacher = db.session.scalar(select(User).where(User.email == "petrova@kolledzh.ru"))
    assert teacher.role_set == frozenset()  # nothing until approved
    consent = db.session.scalar(select(Consent).where(Consent.user_id == teacher.id))
    assert consent.policy_version == POLICY_VERSION and consent.accepted_at is not None
    request_ = db.session.scalar(select(JoinRequest).where(JoinRequest.user_id == teacher.id))
    assert request_.status is JoinStatus.PENDING and request_.role is Role.TEACHER

    login_as(user=admin)
    queue = client.get("/onboarding/requests")
    assert "Петрова Мария Ивановна" in queue.text
    approved = client.post(
        f"/onboarding/requests/{request_.id}/approve", data={"confirm_teacher": "y"}
    )
    assert approved.status_code == 302
    db.session.refresh(teacher)
    assert Role.TEACHER in teacher.role_set
    assert teacher.teacher_status is TeacherStatus.CONFIRMED
    assert policy.can(teacher, "events.create")
    (message,) = sent("onboarding.decision")
    assert "petrova@kolledzh.ru" in message[0] and "одобрена" in message[2]


@pytest.mark.pg
def test_an_approved_teacher_stays_pending_until_confirmed(client, login_as, make):
    from tests.onboarding.helpers import join_request

    admin = login_as("admin")
    applicant = make.user(email="new.teacher@college.test")
    request_ = join_request(applicant, Role.TUTOR)
    client.post(f"/onboarding/requests/{request_.id}/approve", data={})
    db.session.refresh(applicant)
    assert applicant.role_set == {Role.TUTOR}
    assert applicant.teacher_status is TeacherStatus.PENDING
    assert not policy.can(applicant, "channels.draft")  # cannot act until confirmed
    assert not policy.can(applicant, "onboarding.invite")
    client.post(f"/people/{applicant.id}/confirm-teacher")
    db.session.refresh(applicant)
    assert policy.can(applicant, "onboarding.invite")
    del admin


@pytest.mark.pg
def test_tutor_invites_a_parent_who_then_sees_only_that_childs_group(
    client, login_as, make, group, other_group
):
    tutor = login_as("tutor", "teacher", last_name="Кураторова")
    make.tutor_of(tutor, group)
    student = make.user("student", last_name="Сидоров")
    make.enroll(student, group)
    stranger = make.user("student", last_name="Чужой")
    make.enroll(stranger, other_group)

    created = client.post("/onboarding/parent-links/new", data={"student_id": str(student.id)})
    assert created.status_code == 302
    token = token_in(client.get(created.location).text)
    sign_out(client)

    form = register_form(phone="8 (999) 111-22-33", relation="мать")
    assert client.post(f"/join/{token}", data=form).status_code == 302
    parent = db.session.scalar(select(User).where(User.phone == "+79991112233"))
    assert parent.email is None  # e-mail is optional for parents
    link = db.session.scalar(select(Guardian).where(Guardian.parent_id == parent.id))
    assert link.student_id == student.id and not link.is_confirmed
    assert policy.children_group_ids(parent.id) == set()

    # The link is for one parent only.
    again = client.post(f"/join/{token}", data=register_form(phone="+7 999 444-55-66"))
    assert again.status_code == 410
    assert "уже использовали" in again.text

    login_as(user=tutor)
    request_ = db.session.scalar(select(JoinRequest).where(JoinRequest.user_id == parent.id))
    queue = client.get("/onboarding/requests")
    assert parent.full_name in queue.text and "ИСП-24-1" in queue.text
    assert client.post(f"/onboarding/requests/{request_.id}/approve").status_code == 302
    db.session.refresh(parent)
    db.session.refresh(link)
    assert link.is_confirmed and Role.PARENT in parent.role_set

    assert policy.children_group_ids(parent.id) == {group.id}
    assert policy.event_reach(parent).group_ids == {group.id}
    login_as(user=parent)
    assert client.get(f"/people/{student.id}").status_code == 200
    assert client.get(f"/people/{stranger.id}").status_code == 403


@pytest.mark.pg
def test_a_parent_with_only_a_phone_gets_in_with_the_tutors_qr_code(client, login_as, make, group):
    tutor = login_as("tutor", "teacher")
    make.tutor_of(tutor, group)
    student = make.user("student")
    make.enroll(student, group)
    parent = make.user("parent", email=None, phone="+79995554433", last_name="Телефонова")
    make.guardian(parent, student)
    assert parent.password_hash is None

    page = client.get(f"/onboarding/people/{parent.id}/link")
    assert page.status_code == 200
    issued = client.post(f"/onboarding/people/{parent.id}/link")
    assert issued.status_code == 200
    assert 'src="data:image/svg+xml' in issued.text
    token = token_in(issued.text, "/activate/")
    sign_out(client)

    assert client.get(f"/activate/{token}").status_code == 200
    no_consent = client.post(
        f"/activate/{token}", data={"password": PASSWORD, "password2": PASSWORD}
    )
    assert no_consent.status_code == 200 and "согласия" in no_consent.text
    done = client.post(
        f"/activate/{token}", data={"password": PASSWORD, "password2": PASSWORD, "consent": "y"}
    )
    assert done.status_code == 302
    signed_in = client.post("/login", data={"login": "8 999 555-44-33", "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in.location.endswith("/")
    # The link worked once.
    sign_out(client)
    assert client.get(f"/activate/{token}").status_code == 404
