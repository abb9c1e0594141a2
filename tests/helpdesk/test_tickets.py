"""Tickets: numbering, the workflow, replies and mail, and who sees what."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from intranet import create_app, policy
from intranet.extensions import db
from intranet.models import AuditEvent, MailRef, TicketCounter
from intranet.models.helpdesk import Category, MessageKind, TicketStatus
from intranet.services.errors import InvalidTransition, PermissionDenied, ValidationFailed
from intranet.services.helpdesk import tickets
from tests.conftest import PG_URL, make_test_config
from tests.helpdesk.conftest import msk


def _new(**fields) -> tickets.NewTicket:
    values = {
        "category": Category.LOGIN,
        "subject": "Не приходит код",
        "description": "Жду СМС с кодом уже десять минут.",
        "details": {"platform": "max", "device": "android", "bogus": "x"},
    }
    values.update(fields)
    return tickets.NewTicket(**values)


@pytest.mark.pg
def test_numbers_run_per_year(app, student):
    first = tickets.file_ticket(_new(), requester=student, now=msk(2026, 3, 2, 10, 0))
    second = tickets.file_ticket(_new(), requester=student, now=msk(2026, 3, 2, 10, 1))
    next_year = tickets.file_ticket(_new(), requester=student, now=msk(2027, 1, 11, 10, 0))
    assert (first.number, second.number) == ("HD-2026-00001", "HD-2026-00002")
    assert next_year.number == "HD-2027-00001"


def test_numbers_are_unique_under_concurrency(tmp_path):
    """Eight writers at once on one SQLite file: every number issued once, none skipped."""
    app = create_app(make_test_config(f"sqlite:///{tmp_path / 'n.sqlite3'}", tmp_path))
    with app.app_context():
        db.create_all()
    issued: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            with app.app_context():
                for _ in range(15):
                    _seq, number = tickets.next_number(2026)
                    db.session.commit()
                    with lock:
                        issued.append(number)
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(issued) == [f"HD-2026-{n:05d}" for n in range(1, 121)]
    with app.app_context():
        assert db.session.get(TicketCounter, 2026).last == 120
        db.engine.dispose()


@pytest.mark.pg
def test_filing_keeps_only_the_categorys_answers(app, student, outbox):
    ticket = tickets.file_ticket(_new(), requester=student)
    assert ticket.details == {"platform": "max", "device": "android"}
    assert ticket.platform.value == "max"
    assert ticket.status is TicketStatus.NEW
    assert ticket.contact_name == student.full_name
    assert ticket.due_at == ticket.first_response_due_at
    ack = [m for m in outbox("helpdesk.ticket")]
    assert len(ack) == 1
    assert f"[{ticket.number}]" in ack[0]["Subject"]
    assert ack[0]["Reply-To"].addresses[0].addr_spec == "helpdesk@college.local"
    refs = db.session.scalars(select(MailRef.message_id).where(MailRef.ticket_id == ticket.id))
    assert str(ack[0]["Message-ID"]) in set(refs)
    assert db.session.scalar(
        select(AuditEvent.id).where(AuditEvent.action == "helpdesk.ticket_filed")
    )


def test_public_ticket_needs_consent_and_a_way_to_answer(app):
    with pytest.raises(ValidationFailed) as no_consent:
        tickets.file_ticket(_new(contact=tickets.Contact("Пётр", "p@example.com")), requester=None)
    assert no_consent.value.field == "consent_personal_data"
    with pytest.raises(ValidationFailed) as no_contact:
        tickets.file_ticket(
            _new(contact=tickets.Contact("Пётр"), consent_personal_data=True), requester=None
        )
    assert no_contact.value.field == "contact_email"
    with pytest.raises(ValidationFailed) as bad_phone:
        tickets.file_ticket(
            _new(contact=tickets.Contact("Пётр", phone="12345"), consent_personal_data=True),
            requester=None,
        )
    assert bad_phone.value.field == "contact_phone"


@pytest.mark.pg
def test_lifecycle(app, make, admin, student, outbox):
    ticket = tickets.file_ticket(_new(), requester=student, now=msk(2026, 3, 2, 10, 0))
    tickets.claim(ticket, actor=admin, now=msk(2026, 3, 2, 10, 5))
    assert ticket.status is TicketStatus.OPEN and ticket.assignee_id == admin.id

    tickets.staff_reply(
        ticket,
        actor=admin,
        body="Проверили: это сбой на стороне оператора.",
        internal=True,
        now=msk(2026, 3, 2, 10, 10),
    )
    assert ticket.first_response_at is None  # a note is not an answer
    tickets.staff_reply(
        ticket,
        actor=admin,
        body="Какая версия приложения у вас стоит?",
        then=TicketStatus.WAITING_REQUESTER,
        now=msk(2026, 3, 2, 10, 20),
    )
    assert ticket.first_response_at == msk(2026, 3, 2, 10, 20)
    assert ticket.status is TicketStatus.WAITING_REQUESTER
    answers = outbox("helpdesk.ticket")
    assert len(answers) == 2  # the acknowledgement and the answer; the note is not mailed
    assert "Какая версия" in answers[-1].get_body(("plain",)).get_content()
    assert "Проверили" not in answers[-1].as_string()
    assert answers[-1]["In-Reply-To"] == answers[0]["Message-ID"]

    tickets.requester_reply(ticket, actor=student, body="25.4", now=msk(2026, 3, 2, 11, 0))
    assert ticket.status is TicketStatus.OPEN
    tickets.change_status(ticket, TicketStatus.RESOLVED, actor=admin, now=msk(2026, 3, 2, 12, 0))
    assert ticket.resolved_at is not None
    tickets.requester_reply(
        ticket, actor=student, body="Снова не приходит.", now=msk(2026, 3, 3, 9, 30)
    )
    assert ticket.status is TicketStatus.OPEN and ticket.resolved_at is None
    tickets.change_status(ticket, TicketStatus.RESOLVED, actor=admin, now=msk(2026, 3, 3, 10, 0))
    tickets.change_status(ticket, TicketStatus.CLOSED, actor=admin, now=msk(2026, 3, 4, 10, 0))
    with pytest.raises(InvalidTransition):
        tickets.change_status(ticket, TicketStatus.OPEN, actor=admin)
    with pytest.raises(InvalidTransition):
        tickets.requester_reply(ticket, actor=student, body="Ещё вопрос")
    actions = list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == "Ticket", AuditEvent.object_id == ticket.id)
            .order_by(AuditEvent.id)
        )
    )
    assert actions.count("helpdesk.status") == 3
    assert {"helpdesk.assigned", "helpdesk.note", "helpdesk.reply"} <= set(actions)
    kinds = [m.kind for m in tickets.load_for_page(ticket.id, staff=True).messages]
    assert kinds.count(MessageKind.INTERNAL) == 1


@pytest.mark.pg
def test_guarded_transitions(app, make, admin, student):
    ticket = make.ticket(student)
    with pytest.raises(InvalidTransition):
        tickets.change_status(ticket, TicketStatus.CLOSED, actor=admin)
    with pytest.raises(InvalidTransition):
        tickets.change_status(ticket, TicketStatus.WAITING_VENDOR, actor=admin)
    with pytest.raises(PermissionDenied):
        tickets.change_status(ticket, TicketStatus.OPEN, actor=student)
    with pytest.raises(PermissionDenied):
        tickets.staff_reply(ticket, actor=student, body="Я сам себе админ")


@pytest.mark.pg
def test_who_sees_which_ticket(app, make):
    student, child, stranger = make.user("student"), make.user("student"), make.user("student")
    parent, admin = make.user("parent"), make.user("admin")
    make.guardian(parent, child)
    own = make.ticket(child)
    for_child = make.ticket(parent, for_student=child)
    other = make.ticket(stranger)
    assert policy.can(child, "helpdesk.view_ticket", own)
    assert policy.can(child, "helpdesk.view_ticket", for_child)
    assert policy.can(parent, "helpdesk.view_ticket", for_child)
    assert not policy.can(parent, "helpdesk.view_ticket", own)  # the child's own stays theirs
    assert not policy.can(student, "helpdesk.view_ticket", own)
    assert policy.can(admin, "helpdesk.view_ticket", other)
    listed = set(db.session.scalars(tickets.requester_query(parent)))
    assert listed == {for_child}
    assert set(db.session.scalars(tickets.requester_query(child))) == {own, for_child}


def test_unconfirmed_teacher_may_ask_for_help(app, make):
    teacher = make.user("teacher", confirmed=False)
    assert not policy.can(teacher, "home.view")
    ticket = tickets.file_ticket(_new(category=Category.TEACHER_STATUS), requester=teacher)
    assert policy.can(teacher, "helpdesk.view_ticket", ticket)


def test_parent_files_only_for_own_child(app, make):
    parent, child, stranger = make.user("parent"), make.user("student"), make.user("student")
    make.guardian(parent, child)
    ticket = tickets.file_ticket(_new(for_student_id=child.id), requester=parent)
    assert ticket.for_student_id == child.id
    with pytest.raises(ValidationFailed):
        tickets.file_ticket(_new(for_student_id=stranger.id), requester=parent)


def test_public_link_can_be_revoked(app, make, admin):
    ticket = make.ticket(None)
    token = tickets.public_token(ticket)
    assert tickets.ticket_by_token(token) == ticket
    assert tickets.ticket_by_token(token + "x") is None
    tickets.regenerate_public_link(ticket, actor=admin)
    assert tickets.ticket_by_token(token) is None
    assert tickets.ticket_by_token(tickets.public_token(ticket)) == ticket


@pytest.mark.skipif(not PG_URL, reason="INTRANET_TEST_DATABASE_URL is not set")
def test_numbers_are_unique_under_concurrency_on_postgresql(tmp_path):
    """The same on PostgreSQL: the counter row's lock orders the writers."""
    from sqlalchemy import delete

    app = create_app(make_test_config(PG_URL, tmp_path))
    year = 2999  # a year of its own, removed afterwards
    with app.app_context():
        db.create_all()
        db.session.execute(delete(TicketCounter).where(TicketCounter.year == year))
        db.session.commit()
    issued: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        with app.app_context():
            for _ in range(10):
                _seq, number = tickets.next_number(year)
                db.session.commit()
                with lock:
                    issued.append(number)
            db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert sorted(issued) == [f"HD-{year}-{n:05d}" for n in range(1, 61)]
    finally:
        with app.app_context():
            db.session.execute(delete(TicketCounter).where(TicketCounter.year == year))
            db.session.commit()
            db.engine.dispose()
