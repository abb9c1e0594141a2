"""Activation of accounts made without a password: personal one-time links, the tutor's QR
sheet for a group, e-mailed links; and a one-time reset link for someone with no e-mail."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from intranet.extensions import db
from intranet.models import AuditEvent, Consent
from intranet.services import onboarding, password_reset
from intranet.services.errors import PermissionDenied, ValidationFailed
from intranet.services.onboarding.activation import activation_token
from tests.onboarding.helpers import token_in
from tests.onboarding.test_flows import PASSWORD

TODAY = date.today()


@pytest.fixture
def tutored(make, group):
    """A tutor of the group, a student without a password and their parent (phone only)."""
    tutor = make.user("tutor", "teacher")
    make.tutor_of(tutor, group)
    student = make.user("student", last_name="Безпарольный")
    make.enroll(student, group)
    parent = make.user("parent", email=None, phone="+79160000001", last_name="Телефонная")
    make.guardian(parent, student)
    return tutor, student, parent


@pytest.mark.pg
def test_an_activation_link_works_once(make):
    person = make.user("student")
    token = activation_token(person)
    assert onboarding.user_for_activation(token) == person
    with pytest.raises(ValidationFailed) as error:
        onboarding.activate(token, password=PASSWORD, consent=False)
    assert error.value.field == "consent"
    onboarding.activate(token, password=PASSWORD, consent=True)
    assert person.password_hash is not None
    consent = db.session.scalar(select(Consent).where(Consent.user_id == person.id))
    assert consent.context == "activation"
    assert onboarding.user_for_activation(token) is None
    with pytest.raises(ValidationFailed) as error:
        onboarding.activate(token, password=PASSWORD, consent=True)
    assert error.value.field == "token"


@pytest.mark.pg
def test_no_activation_for_a_disabled_account_or_one_with_a_password(make):
    disabled = make.user("student", is_active=False)
    assert onboarding.user_for_activation(activation_token(disabled)) is None
    with_password = make.password_user("student")
    assert onboarding.user_for_activation(activation_token(with_password)) is None
    assert onboarding.user_for_activation("garbage") is None
    assert onboarding.user_for_activation(password_reset.make_reset_token(with_password)) is None


@pytest.mark.pg
def test_a_tutor_issues_links_for_their_students_and_parents_only(
    make, group, other_group, tutored
):
    tutor, student, parent = tutored
    stranger = make.user("student")
    make.enroll(stranger, other_group)
    link = onboarding.sign_in_link(parent, tutor)
    assert link.kind == "activation" and "/activate/" in link.url
    assert link.qr.startswith("data:image/svg+xml")
    with pytest.raises(PermissionDenied):
        onboarding.sign_in_link(stranger, tutor)
    with pytest.raises(PermissionDenied):
        onboarding.sign_in_link(make.user("teacher"), tutor)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "account.link_issued"))
    assert event.actor_id == tutor.id and event.object_id == parent.id


@pytest.mark.pg
def test_someone_with_a_password_gets_a_one_hour_reset_link_instead(make, group):
    tutor = make.user("tutor", "teacher")
    make.tutor_of(tutor, group)
    student = make.password_user("student", email=None, phone="+79160000002")
    make.enroll(student, group)
    link = onboarding.sign_in_link(student, tutor)
    assert link.kind == "reset" and "/password/reset/" in link.url
    assert password_reset.user_for_token(link.url.rsplit("/", 1)[1]) == student


def test_the_reset_link_page_says_it_works_for_an_hour(client, login_as, make, group):
    tutor = login_as("tutor", "teacher")
    make.tutor_of(tutor, group)
    student = make.password_user("student", email=None, phone="+79160000003")
    make.enroll(student, group)
    assert "один час" in client.get(f"/onboarding/people/{student.id}/link").text
    page = client.post(f"/onboarding/people/{student.id}/link")
    assert "/password/reset/" in page.text and "один час" in page.text


@pytest.mark.pg
def test_the_sheet_lists_those_not_yet_activated(make, group, tutored):
    tutor, student, parent = tutored
    active = make.password_user("student", last_name="Активный")
    make.enroll(active, group)
    students, parents = onboarding.not_activated(group, TODAY)
    assert [s.id for s in students] == [student.id]
    assert [(p.id, c.id) for p, c in parents] == [(parent.id, student.id)]
    entries = onboarding.activation_sheet(group, tutor, TODAY)
    assert [e.person.id for e in entries] == [student.id, parent.id]
    only_parent = onboarding.activation_sheet(group, tutor, TODAY, person_ids={parent.id})
    assert [e.person.id for e in only_parent] == [parent.id]
    with pytest.raises(ValidationFailed):
        onboarding.activation_sheet(group, tutor, TODAY, person_ids={active.id})
    with pytest.raises(PermissionDenied):
        onboarding.activation_sheet(group, make.user("tutor"), TODAY)


def test_the_printed_sheet_has_a_qr_code_per_person(client, login_as, make, group, tutored):
    tutor, student, parent = tutored
    login_as(user=tutor)
    page = client.get(f"/onboarding/groups/{group.id}/activation")
    assert student.full_name in page.text and parent.full_name in page.text
    sheet = client.post(f"/onboarding/groups/{group.id}/activation/sheet")
    assert sheet.status_code == 200
    assert sheet.text.count('src="data:image/svg+xml') == 2
    assert " style=" not in sheet.text
    token = token_in(sheet.text, "/activate/")
    assert onboarding.user_for_activation(token) in (student, parent)


def test_links_are_mailed_to_those_with_an_address(client, login_as, group, tutored, sent):
    tutor, student, parent = tutored
    login_as(user=tutor)
    assert client.post(f"/onboarding/groups/{group.id}/activation/mail").status_code == 302
    messages = sent("onboarding.activation")
    assert len(messages) == 1 and student.email in messages[0][0]  # the parent has no e-mail
    assert "/activate/" in messages[0][2]
    with pytest.raises(ValidationFailed):
        onboarding.send_activation_mail(parent, tutor)
