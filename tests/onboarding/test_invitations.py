"""Invitation links: who may make which, and every way a link can be unusable — tampered,
signed with another key or for another purpose, expired, revoked, reissued, used up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from intranet.extensions import db
from intranet.models import AuditEvent, Invitation, Role, User
from intranet.models.base import utcnow
from intranet.services import onboarding, security
from intranet.services.errors import InvalidTransition, PermissionDenied, ValidationFailed
from intranet.services.onboarding import LinkState
from tests.onboarding.helpers import invitation, token_in
from tests.onboarding.test_flows import register_form


def token(inv: Invitation) -> str:
    return security.make_token("invitation", inv.id, inv.token_version)


# --- who makes which links ---------------------------------------------------------------------


@pytest.mark.pg
def test_admin_links_for_staff_and_students_with_target_expiry_and_uses(make, group):
    admin = make.user("admin")
    inv = onboarding.create_invitation(
        admin, role="student", group_id=group.id, days=10, max_uses=25, note="  ИСП  "
    )
    assert inv.group_id == group.id and inv.department_id == group.department_id
    assert inv.max_uses == 25 and inv.note == "ИСП"
    assert timedelta(days=9, hours=23) < inv.expires_at - utcnow() <= timedelta(days=10)
    staff = onboarding.create_invitation(admin, role="head", department_id=group.department_id)
    assert staff.group_id is None and staff.department_id == group.department_id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "invitation.created"))
    assert event.actor_id == admin.id


@pytest.mark.pg
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"role": "student"}, "group_id"),  # students need their group
        ({"role": "parent"}, "role"),  # parent links are made for one student
        ({"role": "admin"}, "role"),  # administrators are appointed, not invited
        ({"role": "nonsense"}, "role"),
        ({"role": "teacher", "days": 0}, "days"),
        ({"role": "teacher", "days": 181}, "days"),
        ({"role": "teacher", "max_uses": 0}, "max_uses"),
        ({"role": "teacher", "max_uses": 1001}, "max_uses"),
        ({"role": "head", "group_id": -1}, "group_id"),
    ],
)
def test_bad_links_are_refused_with_the_field_named(make, fields, field):
    admin = make.user("admin")
    with pytest.raises(ValidationFailed) as error:
        onboarding.create_invitation(admin, **fields)
    assert error.value.field == field


@pytest.mark.pg
def test_tutors_and_teachers_invite_students_of_their_own_groups_only(make, group, other_group):
    tutor = make.user("tutor", "teacher")
    make.tutor_of(tutor, group)
    teacher = make.user("teacher")
    make.teaches(teacher, other_group)
    assert onboarding.create_invitation(tutor, role="student", group_id=group.id)
    assert onboarding.create_invitation(teacher, role="student", group_id=other_group.id)
    with pytest.raises(ValidationFailed) as error:
        onboarding.create_invitation(tutor, role="student", group_id=other_group.id)
    assert error.value.field == "group_id"
    with pytest.raises(ValidationFailed):
        onboarding.create_invitation(tutor, role="teacher")
    unconfirmed = make.user("tutor", confirmed=False)
    make.tutor_of(unconfirmed, group)
    with pytest.raises(PermissionDenied):
        onboarding.create_invitation(unconfirmed, role="student", group_id=group.id)
    assert {g.id for g in onboarding.groups_for(tutor)} == {group.id}


@pytest.mark.pg
def test_archived_groups_take_no_new_students(make, group):
    admin = make.user("admin")
    group.is_archived = True
    db.session.commit()
    with pytest.raises(ValidationFailed):
        onboarding.create_invitation(admin, role="student", group_id=group.id)


@pytest.mark.pg
def test_a_parent_link_by_the_student_or_their_tutor_for_one_use(make, group, other_group):
    student, other = make.user("student"), make.user("student")
    make.enroll(student, group)
    make.enroll(other, other_group)
    tutor = make.user("tutor", "teacher")
    make.tutor_of(tutor, group)
    by_student = onboarding.create_parent_link(student, student)
    by_tutor = onboarding.create_parent_link(tutor, student)
    assert by_student.role is Role.PARENT and by_student.max_uses == 1
    assert by_tutor.student_id == student.id
    for actor, target in ((student, other), (tutor, other), (make.user("teacher"), student)):
        with pytest.raises(PermissionDenied):
            onboarding.create_parent_link(actor, target)
    assert [s.id for s in onboarding.parent_link_students(student, db_today())] == [student.id]
    assert [s.id for s in onboarding.parent_link_students(tutor, db_today())] == [student.id]


def db_today():
    from datetime import date

    return date.today()


# --- unusable links -----------------------------------------------------------------------------


def test_a_tampered_token_gets_a_clear_page(client, make):
    inv = invitation(make.user("admin"), "teacher")
    good = token(inv)
    payload, _dot, rest = good.partition(".")
    for bad in (
        good[:-2] + ("AA" if not good.endswith("AA") else "BB"),  # signature changed
        good + "x",
        "x" * 400,  # absurdly long
        security.make_token("activation", inv.id, 0),  # another purpose
        URLSafeTimedSerializer("another key", salt="intranet.invitation").dumps([inv.id, 0]),
        security.make_token("invitation", inv.id + 1000, 0),  # no such invitation
    ):
        page = client.get(f"/join/{bad}")
        assert page.status_code == 404, bad
        assert "Ссылка недействительна" in page.text
        assert client.post(f"/join/{bad}", data=register_form()).status_code == 404
    assert db.session.scalar(select(func.count(User.id))) == 1  # nobody was registered
    del payload, rest


@pytest.mark.pg
def test_expired_revoked_and_used_up_links_each_say_why(client, make):
    admin = make.user("admin")
    expired = invitation(admin, "teacher", days=-1)
    revoked = invitation(admin, "teacher")
    onboarding.revoke(revoked, admin)
    used_up = invitation(admin, "teacher", max_uses=2, uses=2)
    db.session.commit()
    cases = ((expired, "истёк"), (revoked, "отозвал"), (used_up, "уже использовали"))
    for inv, words in cases:
        page = client.get(f"/join/{token(inv)}")
        assert page.status_code == 410 and words in page.text
        posted = client.post(f"/join/{token(inv)}", data=register_form(email="x@kolledzh.ru"))
        assert posted.status_code == 410
    assert onboarding.resolve(token(revoked))[1] is LinkState.REVOKED
    with pytest.raises(InvalidTransition):
        onboarding.revoke(revoked, admin)


@pytest.mark.pg
def test_a_reissued_link_replaces_the_old_one(client, make):
    admin = make.user("admin")
    inv = invitation(admin, "teacher")
    old = token(inv)
    onboarding.reissue(inv, admin)
    db.session.commit()
    assert client.get(f"/join/{old}").status_code == 404
    assert client.get(f"/join/{token(inv)}").status_code == 200


@pytest.mark.pg
def test_the_last_use_of_a_link_goes_to_one_person_only(client, make, group):
    inv = invitation(make.user("admin"), "student", group=group, max_uses=1)
    first = client.post(f"/join/{token(inv)}", data=register_form(phone="+7 901 000-00-01"))
    second = client.post(f"/join/{token(inv)}", data=register_form(phone="+7 901 000-00-02"))
    assert (first.status_code, second.status_code) == (302, 410)
    db.session.refresh(inv)
    assert inv.uses == 1


def test_only_the_author_or_an_admin_revokes(make):
    admin, tutor, other_tutor = make.user("admin"), make.user("tutor"), make.user("tutor")
    inv = invitation(tutor, "teacher")
    with pytest.raises(PermissionDenied):
        onboarding.revoke(inv, other_tutor)
    onboarding.revoke(inv, admin)
    assert inv.revoked_by_id == admin.id


# --- pages -----------------------------------------------------------------------------------------


def test_the_invitation_page_shows_the_link_and_a_printable_qr_code(client, login_as, group):
    admin = login_as("admin")
    inv = invitation(admin, "student", group=group)
    page = client.get(f"/onboarding/invitations/{inv.id}")
    assert page.status_code == 200
    assert token_in(page.text) == token(inv)
    assert 'src="data:image/svg+xml' in page.text and "ИСП-24-1" in page.text
    assert " style=" not in page.text  # the CSP forbids inline styles
    onboarding.revoke(inv, admin)
    db.session.commit()
    page = client.get(f"/onboarding/invitations/{inv.id}")
    assert "data:image/svg+xml" not in page.text and "Ссылка отозвана" in page.text


def test_the_list_filters_by_state_and_a_tutor_sees_only_their_links(client, login_as, make, group):
    admin = make.user("admin")
    tutor = login_as("tutor", "teacher")
    make.tutor_of(tutor, group)
    mine = invitation(tutor, "student", group=group, note="моя ссылка")
    invitation(admin, "teacher", note="чужая ссылка")
    invitation(tutor, "student", group=group, days=-1, note="старая ссылка")
    page = client.get("/onboarding/")
    assert "моя ссылка" in page.text and "чужая ссылка" not in page.text
    assert "старая ссылка" not in page.text
    expired = client.get("/onboarding/?state=expired")
    assert "старая ссылка" in expired.text and "моя ссылка" not in expired.text
    assert f"/onboarding/invitations/{mine.id}" in page.text


def test_the_list_costs_the_same_queries_for_3_or_30_links(client, login_as, make, group):
    from tests.views.test_people import counted_queries

    admin = login_as("admin")
    for _ in range(3):
        invitation(admin, "student", group=group)
    with counted_queries() as few:
        client.get("/onboarding/?state=all")
    for _ in range(27):
        invitation(make.user("tutor"), "student", group=group)
    with counted_queries() as many:
        assert client.get("/onboarding/?state=all").status_code == 200
    from tests.onboarding.test_pages import page_queries

    assert len(page_queries(many)) == len(page_queries(few))
