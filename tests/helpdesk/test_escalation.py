"""Escalation: the forward as previewed, personal data only with consent, the vendor case's
clock and reminders, and the mail as it reaches a real SMTP server."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from intranet.extensions import db
from intranet.models import AuditEvent, Organisation, OutboxMessage
from intranet.models.helpdesk import (
    Category,
    MessageKind,
    TicketStatus,
    VendorCaseState,
)
from intranet.services.errors import Conflict, InvalidTransition
from intranet.services.helpdesk import escalation, sweep, tickets
from tests.helpdesk.conftest import msk

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 200


def _file(requester, *, consent: bool, category=Category.CALLS, files=(), now=None):
    data = tickets.NewTicket(
        category=category,
        subject="Звонок обрывается через минуту",
        description=(
            "На уроке звонок обрывается. Мой телефон +7 912 345-67-89, почта anna@example.com."
            " Подпись: Студентова Анна."
        ),
        details={"platform": "vk", "device": "android", "app_version": "25.4.1"},
        consent_vendor=consent,
        files=[FileStorage(io.BytesIO(c), filename=n) for n, c in files],
    )
    return tickets.file_ticket(data, requester=requester, now=now)


@pytest.fixture
def college(app):
    org = Organisation(
        full_name="ГБПОУ «Колледж информационных технологий»",
        short_name="КИТ",
        address="г. Москва, ул. Примерная, д. 1",
        admin_contact="Админова А. А., +7 900 111-22-33",
    )
    db.session.add(org)
    db.session.flush()
    return org


@pytest.mark.pg
def test_forward_without_consent_leaves_personal_data_out(app, college, admin, make):
    student = make.user(
        "student", last_name="Студентова", first_name="Анна", email="anna@example.com"
    )
    ticket = _file(student, consent=False, files=[("screen.png", PNG)])
    forward = escalation.preview(
        ticket, actor=admin, steps_taken="Переустановили приложение.", include_personal=True
    )
    body = forward.body
    assert forward.to == "info@sferum.ru"
    assert forward.subject.startswith(f"[{ticket.number}] ")
    assert "ГБПОУ «Колледж информационных технологий»" in body
    assert "Админова" in body and "+7 (900) 111-22-33" in body  # the admin's own contacts
    assert "Переустановили приложение." in body
    assert "Android" in body and "25.4.1" in body
    for personal in ("912", "anna@example.com", "Студентова", "Анна"):
        assert personal not in body, personal
    assert "[phone removed]" not in body  # the forward is in Russian whatever the admin reads
    assert "[телефон удалён]" in body
    assert forward.files == []
    assert not forward.include_personal


@pytest.mark.pg
def test_forward_with_consent_carries_contacts_and_screenshots(app, college, admin, make):
    student = make.user(
        "student", last_name="Студентова", first_name="Анна", email="anna@example.com"
    )
    ticket = _file(student, consent=True, files=[("screen.png", PNG)])
    forward = escalation.preview(ticket, actor=admin, steps_taken="", include_personal=True)
    assert "anna@example.com" in forward.body and "Студентова" in forward.body
    assert [f.filename for f in forward.files] == ["screen.png"]
    # The admin may still leave them out.
    bare = escalation.preview(ticket, actor=admin, steps_taken="", include_personal=False)
    assert "anna@example.com" not in bare.body and bare.files == []


@pytest.mark.pg
def test_college_categories_are_never_forwarded(app, admin, student):
    for category in (Category.TEACHER_STATUS, Category.WRONG_ROLE):
        ticket = _file(student, consent=True, category=category)
        with pytest.raises(InvalidTransition):
            escalation.preview(ticket, actor=admin, steps_taken="", include_personal=False)


@pytest.mark.pg
def test_confirming_a_stale_preview_is_refused(app, college, admin, student):
    ticket = _file(student, consent=False)
    shown = escalation.preview(ticket, actor=admin, steps_taken="А", include_personal=False)
    with pytest.raises(Conflict):
        escalation.escalate(
            ticket, actor=admin, steps_taken="Б", include_personal=False, digest=shown.digest
        )
    assert not ticket.vendor_cases if False else escalation.open_case(ticket.id) is None


@pytest.mark.pg
def test_escalation_opens_a_case_and_queues_the_forward(app, college, admin, student):
    ticket = _file(student, consent=True, files=[("screen.png", PNG)], now=msk(2026, 3, 2, 10, 0))
    shown = escalation.preview(
        ticket, actor=admin, steps_taken="Проверили сеть.", include_personal=True
    )
    case = escalation.escalate(
        ticket,
        actor=admin,
        steps_taken="Проверили сеть.",
        include_personal=True,
        digest=shown.digest,
        now=msk(2026, 3, 2, 11, 0),
    )
    assert ticket.status is TicketStatus.ESCALATED
    assert case.state is VendorCaseState.QUEUED and case.body == shown.body
    row = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.message_id == case.message_id)
    )
    assert row.recipients == ["info@sferum.ru"] and row.kind == "helpdesk.vendor"
    assert case.message_id.startswith(f"<hd{ticket.id}.")
    with pytest.raises(Conflict):
        escalation.preview(ticket, actor=admin, steps_taken="", include_personal=False)
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "helpdesk.escalated"))
    notes = [m for m in tickets.load_for_page(ticket.id, staff=True).messages]
    assert notes[-1].kind is MessageKind.VENDOR_OUT and notes[-1].body == shown.body


@pytest.mark.pg
def test_case_clock_delivery_and_reminders(app, college, admin, student, outbox):
    ticket = _file(student, consent=False, now=msk(2026, 3, 2, 10, 0))  # Monday
    shown = escalation.preview(ticket, actor=admin, steps_taken="", include_personal=False)
    case = escalation.escalate(
        ticket,
        actor=admin,
        steps_taken="",
        include_personal=False,
        digest=shown.digest,
        now=msk(2026, 3, 2, 11, 0),
    )
    # The worker delivered it at 11:05.
    row = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.message_id == case.message_id)
    )
    row.status, row.sent_at = "sent", msk(2026, 3, 2, 11, 5)
    db.session.flush()
    sweep.sweep(now=msk(2026, 3, 2, 11, 6))
    assert case.state is VendorCaseState.SENT
    assert case.sent_at == msk(2026, 3, 2, 11, 5)
    assert ticket.status is TicketStatus.WAITING_VENDOR
    # Three working days later; Saturday–Monday (9 March is a holiday) do not count.
    assert case.next_reminder_at == msk(2026, 3, 5, 11, 5)
    sweep.sweep(now=msk(2026, 3, 5, 11, 0))
    assert case.reminders_sent == 0
    sweep.sweep(now=msk(2026, 3, 5, 11, 10))
    assert case.reminders_sent == 1
    reminder = outbox("helpdesk.vendor")[-1]
    assert reminder["In-Reply-To"] == case.message_id
    assert f"[{ticket.number}]" in reminder["Subject"]
    assert case.next_reminder_at == msk(2026, 3, 11, 11, 10)
    sweep.sweep(now=msk(2026, 3, 5, 11, 20))
    assert case.reminders_sent == 1  # not twice


@pytest.mark.pg
def test_sweep_proposes_escalation_once_for_vendor_categories(app, make, admin, student, outbox):
    start = msk(2026, 3, 2, 10, 0)
    calls = make.ticket(student, category="calls", created_at=start)
    own = make.ticket(student, category="teacher_status", created_at=start)
    late = start + timedelta(days=4)  # far past the 18 working hours
    counts = sweep.sweep(now=late)
    assert counts["proposed"] == 1
    assert calls.escalation_proposed_at == late and own.escalation_proposed_at is None
    assert calls.first_response_breached and own.first_response_breached
    digest = outbox("helpdesk.sla")
    assert len(digest) == 1 and calls.number in digest[0].get_body(("plain",)).get_content()
    again = sweep.sweep(now=late + timedelta(minutes=1))
    assert again["proposed"] == 0 and again["overdue"] == 0
    assert len(outbox("helpdesk.sla")) == 1  # told once


@pytest.mark.pg
def test_sweep_warns_due_soon_then_overdue(app, make, admin, student, outbox):
    ticket = make.ticket(student, created_at=msk(2026, 3, 2, 10, 0))  # first response by 14:00
    assert sweep.sweep(now=msk(2026, 3, 2, 12, 30))["due_soon"] == 0
    assert sweep.sweep(now=msk(2026, 3, 2, 13, 10))["due_soon"] == 1
    assert ticket.sla_alert.value == "due_soon"
    assert sweep.sweep(now=msk(2026, 3, 2, 14, 1))["overdue"] == 1
    assert ticket.first_response_breached
    assert len(outbox("helpdesk.sla")) == 2
