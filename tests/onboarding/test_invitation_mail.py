"""Invitation links sent by e-mail through the outbox: who may, to how many, and what a
mistyped address or an unusable link gets."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from intranet.extensions import db
from intranet.models import AuditEvent, OutboxMessage, Role
from intranet.services import onboarding
from intranet.services.errors import InvalidTransition, ValidationFailed
from tests.onboarding.helpers import invitation, token_in


def queued() -> int:
    return db.session.scalar(select(func.count(OutboxMessage.id)))


@pytest.mark.pg
def test_an_admin_mails_a_link_to_several_addresses_once_each(client, login_as, make, group, sent):
    admin = make.user("admin", last_name="Админова", first_name="Анна", middle_name="")
    link = invitation(admin, Role.TEACHER, group=group)
    login_as(user=admin)
    response = client.post(
        f"/onboarding/invitations/{link.id}/mail",
        data={
            "emails": "ivanov@example.com, Petrova@Example.com;\nivanov@example.com",
            "note": "Ждём вас на педсовете",
        },
    )
    assert response.status_code == 302
    messages = sent("onboarding.invitation")
    assert sorted(to for to, _s, _t in messages) == ["ivanov@example.com", "petrova@example.com"]
    to, subject, text = messages[0]
    assert subject == "Приглашение в интранет колледжа"
    assert "Админова Анна приглашает вас" in text and "ИСП-24-1" in text
    assert "Ждём вас на педсовете" in text
    found, state = onboarding.resolve(token_in(text))  # signed with a time: not the same text
    assert found.id == link.id and state is onboarding.LinkState.VALID
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "invitation.mailed")
    ).one()
    assert event.data["count"] == 2


def test_a_mistyped_address_is_named_the_entry_kept_and_nothing_sent(
    client, login_as, make, group
):
    admin = make.user("admin")
    link = invitation(admin, Role.STUDENT, group=group)
    login_as(user=admin)
    response = client.post(
        f"/onboarding/invitations/{link.id}/mail",
        data={"emails": "good@example.com, not-an-address", "note": "до пятницы"},
    )
    assert response.status_code == 400
    assert "Это не адреса электронной почты: not-an-address." in response.text
    assert "good@example.com, not-an-address" in response.text
    assert "до пятницы" in response.text
    assert queued() == 0


def test_a_parent_link_goes_to_one_address_and_a_revoked_link_to_none(make, group):
    admin = make.user("admin")
    student = make.user("student")
    make.enroll(student, group)
    parent_link = invitation(admin, Role.PARENT, student=student)
    with pytest.raises(ValidationFailed) as error:
        onboarding.mail_invitation(parent_link, admin, emails="a@example.com b@example.com")
    assert error.value.field == "emails"
    assert onboarding.mail_invitation(parent_link, admin, emails="mama@example.com") == 1
    revoked = invitation(admin, Role.STUDENT, group=group)
    onboarding.revoke(revoked, admin)
    with pytest.raises(InvalidTransition):
        onboarding.mail_invitation(revoked, admin, emails="x@example.com")
    with pytest.raises(ValidationFailed):
        onboarding.mail_invitation(
            invitation(admin, Role.STUDENT, group=group),
            admin,
            emails=", ".join(f"s{i}@example.com" for i in range(51)),
        )
    assert queued() == 1


def test_the_page_offers_the_form_for_a_working_link_only(client, login_as, make, group):
    admin = make.user("admin")
    working = invitation(admin, Role.STUDENT, group=group)
    revoked = invitation(admin, Role.STUDENT, group=group)
    onboarding.revoke(revoked, admin)
    db.session.commit()
    login_as(user=admin)
    assert "Отправить по электронной почте" in client.get(
        f"/onboarding/invitations/{working.id}"
    ).text
    assert "Отправить по электронной почте" not in client.get(
        f"/onboarding/invitations/{revoked.id}"
    ).text
