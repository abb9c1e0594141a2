"""Platform administrators (§2.1): the head appoints the main one by an order; the main one
appoints and removes others from the confirmed staff; the last one is never removed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from intranet.extensions import db
from intranet.models import AdminAction, AdminAppointment, Role
from intranet.services import onboarding
from intranet.services.errors import InvalidTransition, PermissionDenied, ValidationFailed
from tests.onboarding.helpers import document


def make_main(admin):
    for link in admin.roles:
        if link.role is Role.ADMIN:
            link.is_main = True
    db.session.commit()
    return admin


@pytest.mark.pg
def test_the_head_appoints_the_main_admin_by_an_order(make):
    head = make.user("head")
    old_main = make_main(make.user("admin"))
    teacher = make.user("teacher", last_name="Назначаемая")
    order = document(title="О назначении администратора платформы «Сферум»")
    with pytest.raises(ValidationFailed) as error:
        onboarding.appoint_main(head, person_id=teacher.id, basis_id=None)
    assert error.value.field == "basis_id"
    onboarding.appoint_main(head, person_id=teacher.id, basis_id=order.id)
    assert teacher.has_role(Role.ADMIN) and teacher.is_main_admin
    db.session.refresh(old_main)
    assert old_main.has_role(Role.ADMIN) and not old_main.is_main_admin
    entry = db.session.scalar(
        select(AdminAppointment).where(AdminAppointment.user_id == teacher.id)
    )
    assert entry.action is AdminAction.APPOINTED_MAIN and entry.basis_id == order.id
    with pytest.raises(PermissionDenied):
        onboarding.appoint_main(old_main, person_id=old_main.id, basis_id=order.id)


@pytest.mark.pg
def test_the_main_admin_appoints_others_from_confirmed_staff(make):
    main = make_main(make.user("admin"))
    other_admin = make.user("admin")
    confirmed = make.user("tutor")
    pending = make.user("teacher", confirmed=False)
    student = make.user("student")
    for person in (pending, student):
        with pytest.raises(ValidationFailed):
            onboarding.add_admin(main, person_id=person.id)
    with pytest.raises(PermissionDenied):
        onboarding.add_admin(other_admin, person_id=confirmed.id)
    onboarding.add_admin(main, person_id=confirmed.id, comment="на время отпуска")
    assert confirmed.has_role(Role.ADMIN)
    roster = onboarding.roster()
    assert roster.main == main and confirmed in roster.admins
    assert pending not in roster.candidates and student not in roster.candidates


@pytest.mark.pg
def test_removal_keeps_the_main_and_the_last_admin(make):
    main = make_main(make.user("admin"))
    other = make.user("admin", "teacher")
    with pytest.raises(InvalidTransition):
        onboarding.remove_admin(main, main)
    onboarding.remove_admin(main, other)
    assert not other.has_role(Role.ADMIN) and other.has_role(Role.TEACHER)
    with pytest.raises(InvalidTransition):
        onboarding.remove_admin(main, other)
    # Even a main admin who is somehow the only one is never left out.
    from intranet.services import accounts

    with pytest.raises(PermissionDenied):
        accounts.ensure_not_last_admin(main)


def test_the_admins_page_as_the_head_and_as_the_main_admin(client, login_as, make):
    head = login_as("head")
    teacher = make.user("teacher", last_name="Кандидатова")
    order = document()
    page = client.get("/onboarding/admins")
    assert "Назначить главного администратора" in page.text and "Кандидатова" in page.text
    done = client.post(
        "/onboarding/admins/main", data={"person_id": str(teacher.id), "basis_id": str(order.id)}
    )
    assert done.status_code == 302
    login_as(user=teacher)
    page = client.get("/onboarding/admins")
    assert "Назначить ещё одного администратора" in page.text
    assert "Назначить главного администратора" not in page.text
    history = page.text
    assert "назначен главным администратором" in history and order.number in history
    del head
