"""Inbound mail: requester and vendor replies, auto-replies, loops, duplicates, forgeries."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlalchemy import func, select

from intranet.extensions import db
from intranet.models import InboundMail, TicketMessage, VendorCase
from intranet.models.helpdesk import (
    InboundStatus,
    MessageKind,
    MessageSource,
    TicketStatus,
    VendorCaseState,
)
from intranet.services.helpdesk import inbound, tickets
from tests.helpdesk.conftest import msk

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

# A reply from the vendor's ticket system, as such systems write them: their own reference
# in the subject, our tag kept, the history quoted below.
VENDOR_REPLY = """\
From: =?utf-8?b?0J/QvtC00LTQtdGA0LbQutCwINCh0YTQtdGA0YPQvNCw?= <info@sferum.ru>
To: helpdesk@college.local
Subject: Re: [{number}] Sferum: Signing in =?utf-8?b?W9Ce0LHRgNCw0YnQtdC90LjQtSDihJYgNzc3MTIzNF0=?=
Message-ID: <vendor-{n}@support.sferum.ru>
In-Reply-To: {in_reply_to}
Date: Tue, 03 Mar 2026 12:00:00 +0300
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Здравствуйте!

Проблема с доставкой СМС у оператора устранена, попросите пользователя повторить вход.

--
С уважением, служба поддержки Сферума

> Здравствуйте!
> Мы администраторы платформы …
"""


def eml(
    *,
    sender: str = "Студентова Анна <student@college.test>",
    subject: str = "Re: вопрос",
    body: str = "Спасибо, теперь всё работает.",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    headers: dict | None = None,
    files: list[tuple[str, bytes, str]] = (),
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "Поддержка <helpdesk@college.local>"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain="mail.example")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    for filename, content, mimetype in files:
        maintype, subtype = mimetype.split("/")
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


@pytest.fixture
def answered(app, make, admin, student, outbox):
    """A student's ticket that an admin has answered by mail."""
    ticket = make.ticket(student, created_at=msk(2026, 3, 2, 10, 0))
    tickets.staff_reply(
        ticket,
        actor=admin,
        body="Какая версия приложения?",
        then=TicketStatus.WAITING_REQUESTER,
        now=msk(2026, 3, 2, 11, 0),
    )
    sent = outbox("helpdesk.ticket")[-1]
    return ticket, str(sent["Message-ID"])


@pytest.mark.pg
def test_requester_reply_by_thread_becomes_a_public_message(app, answered, student):
    ticket, our_id = answered
    raw = eml(
        in_reply_to=our_id,
        subject=f"Re: [{ticket.number}] Ответ",
        body="Версия 25.4\n\nOn Mon, 2 Mar 2026 Help desk wrote:\n> Какая версия приложения?",
        files=[
            ("снимок.png", PNG, "image/png"),
            ("virus.exe", b"MZ\x90\x00", "application/octet-stream"),
        ],
    )
    result = inbound.ingest(raw, now=msk(2026, 3, 2, 12, 0))
    assert result.status is InboundStatus.MATCHED
    assert result.inbound.matched_by == "thread"
    assert ticket.status is TicketStatus.OPEN  # the clock runs again
    message = db.session.scalars(
        select(TicketMessage)
        .where(TicketMessage.ticket_id == ticket.id)
        .order_by(TicketMessage.id.desc())
    ).first()
    assert message.kind is MessageKind.PUBLIC and message.from_requester
    assert message.source is MessageSource.EMAIL
    assert message.author_id == student.id
    assert message.body == "Версия 25.4"  # the quoted history is cut off
    loaded = tickets.load_for_page(ticket.id, staff=True)
    names = [a.filename for m in loaded.messages for a in m.attachments]
    assert names == ["снимок.png"]  # the executable is refused by content


@pytest.mark.pg
def test_tag_from_the_requester_matches(app, answered):
    ticket, _our_id = answered
    raw = eml(subject=f"Re: [{ticket.number}] Ответ", body="Пишу заново")
    result = inbound.ingest(raw)
    assert result.status is InboundStatus.MATCHED and result.inbound.matched_by == "tag"
    assert result.ticket == ticket


@pytest.mark.pg
def test_forged_tag_from_a_stranger_is_not_matched(app, answered):
    ticket, _our_id = answered
    before = db.session.scalar(select(func.count(TicketMessage.id)))
    raw = eml(sender="Злоумышленник <evil@attacker.example>", subject=f"[{ticket.number}] Закройте")
    result = inbound.ingest(raw)
    assert result.status is InboundStatus.UNMATCHED
    assert "neither" in result.reason
    assert result.inbound.raw == raw  # kept for an admin to decide
    assert db.session.scalar(select(func.count(TicketMessage.id))) == before


@pytest.mark.pg
def test_stranger_replying_in_the_thread_makes_an_internal_note(app, answered):
    ticket, our_id = answered
    result = inbound.ingest(eml(sender="colleague@college.test", in_reply_to=our_id))
    assert result.status is InboundStatus.MATCHED
    note = db.session.scalars(
        select(TicketMessage)
        .where(TicketMessage.ticket_id == ticket.id)
        .order_by(TicketMessage.id.desc())
    ).first()
    assert note.kind is MessageKind.INTERNAL


@pytest.mark.pg
def test_duplicate_is_stored_once(app, answered):
    ticket, our_id = answered
    raw = eml(in_reply_to=our_id, message_id="<same@mail.example>")
    first = inbound.ingest(raw)
    again = inbound.ingest(raw)
    assert first.status is InboundStatus.MATCHED
    assert again.duplicate
    assert db.session.scalar(select(func.count(InboundMail.id))) == 1
    count = db.session.scalar(
        select(func.count(TicketMessage.id)).where(
            TicketMessage.body == "Спасибо, теперь всё работает."
        )
    )
    assert count == 1


@pytest.mark.pg
@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "Out of office"},
        {"Precedence": "bulk"},
        {"Precedence": "auto_reply"},
        {"Subject": "Автоответ: я в отпуске"},
    ],
)
def test_auto_replies_are_dropped(app, answered, headers):
    ticket, our_id = answered
    headers = dict(headers)  # the parameter is shared by the SQLite and PostgreSQL runs
    subject = headers.pop("Subject", f"Re: [{ticket.number}]")
    result = inbound.ingest(eml(in_reply_to=our_id, subject=subject, headers=headers))
    assert result.status is InboundStatus.DROPPED
    assert result.reason.startswith("automatic message")
    assert ticket.status is TicketStatus.WAITING_REQUESTER  # nothing reopened, nothing sent


@pytest.mark.pg
def test_bounce_is_dropped(app, answered):
    ticket, our_id = answered
    raw = eml(
        sender="Mail Delivery System <MAILER-DAEMON@mx.example>",
        subject="Undelivered Mail Returned to Sender",
        in_reply_to=our_id,
    )
    assert inbound.ingest(raw).status is InboundStatus.DROPPED


@pytest.mark.pg
def test_our_own_message_looped_back_is_dropped(app, answered):
    from intranet.models import OutboxMessage

    ticket, our_id = answered
    ours = db.session.scalar(select(OutboxMessage).where(OutboxMessage.message_id == our_id))
    result = inbound.ingest(ours.raw)
    assert result.status is InboundStatus.DROPPED and result.reason == "our own message"
    # The same text re-sent by a forwarding rule under a new Message-ID is caught too.
    forwarded = ours.raw.replace(our_id.encode(), b"<forwarded@relay.example>")
    assert inbound.ingest(forwarded).status is InboundStatus.DROPPED


@pytest.mark.pg
def test_unmatched_mail_waits_for_an_admin_and_can_be_attached(app, make, admin, student):
    ticket = make.ticket(student)
    result = inbound.ingest(
        eml(sender="Мама <mama@example.com>", subject="Помогите", body="Дочь не может войти")
    )
    assert result.status is InboundStatus.UNMATCHED
    listed = list(db.session.scalars(inbound.unmatched_query()))
    assert listed == [result.inbound]
    inbound.assign_to_ticket(result.inbound, ticket, actor=admin, as_requester=False)
    assert result.inbound.status is InboundStatus.ASSIGNED and result.inbound.raw is None
    note = db.session.scalars(
        select(TicketMessage)
        .where(TicketMessage.ticket_id == ticket.id)
        .order_by(TicketMessage.id.desc())
    ).first()
    assert note.kind is MessageKind.INTERNAL and note.body == "Дочь не может войти"
    other = inbound.ingest(eml(sender="spam@spam.example", subject="Выгодное предложение"))
    inbound.discard(other.inbound, actor=admin)
    assert list(db.session.scalars(inbound.unmatched_query())) == []


@pytest.mark.pg
def test_reply_to_a_closed_ticket_goes_to_the_admins(app, make, student):
    ticket = make.ticket(student, status="closed")
    result = inbound.ingest(eml(subject=f"Re: [{ticket.number}] снова"))
    assert result.status is InboundStatus.UNMATCHED
    assert "closed" in result.reason


@pytest.mark.pg
def test_vendor_reply_becomes_a_note_and_then_matches_by_reference(app, make, admin, student):
    ticket = make.ticket(student, status="open")
    case = VendorCase(
        ticket_id=ticket.id,
        state=VendorCaseState.SENT,
        to_address="info@sferum.ru",
        subject=f"[{ticket.number}] Sferum",
        body="…",
        message_id="<hd1.forward@college.local>",
        sent_at=msk(2026, 3, 2, 12, 0),
        next_reminder_at=msk(2026, 3, 5, 12, 0),
    )
    db.session.add(case)
    ticket.status = TicketStatus.WAITING_VENDOR
    db.session.flush()
    from intranet.models.helpdesk import MailDirection
    from intranet.services.helpdesk import notify

    notify.remember(ticket, case.message_id, direction=MailDirection.OUT, vendor_case_id=case.id)
    raw = VENDOR_REPLY.format(number=ticket.number, n=1, in_reply_to=case.message_id).encode()
    result = inbound.ingest(raw, now=msk(2026, 3, 3, 12, 0))
    assert result.status is InboundStatus.MATCHED
    assert case.state is VendorCaseState.ANSWERED
    assert case.vendor_ref == "7771234"
    assert case.first_vendor_reply_at == msk(2026, 3, 3, 12, 0)
    assert case.next_reminder_at is None
    assert ticket.status is TicketStatus.OPEN  # back to the admin, to relay
    note = db.session.scalars(
        select(TicketMessage)
        .where(TicketMessage.ticket_id == ticket.id)
        .order_by(TicketMessage.id.desc())
    ).first()
    assert note.kind is MessageKind.VENDOR_IN
    assert note.body.startswith("Здравствуйте!") and "> " not in note.body
    # A later message from the vendor carries only their number: it still finds the ticket.
    later = eml(
        sender="Поддержка Сферума <support@sferum.ru>",
        subject="Обращение № 7771234: дополнительная информация",
        body="Исправление выкатили.",
    )
    again = inbound.ingest(later, now=msk(2026, 3, 4, 9, 0))
    assert again.status is InboundStatus.MATCHED and again.inbound.matched_by == "vendor_ref"
    assert case.last_vendor_reply_at == msk(2026, 3, 4, 9, 0)
    # The same number from someone else is not accepted.
    forged = eml(sender="evil@attacker.example", subject="Обращение № 7771234")
    assert inbound.ingest(forged).status is InboundStatus.UNMATCHED


def test_hostile_headers_do_not_stop_intake(app):
    raw = (
        b"From: =?bogus?q?broken?= <\r\n"
        b"Subject: =?utf-8?b?!!!not-base64?=\r\n"
        b"Message-ID: <x@y>\r\n"
        b"Content-Type: text/plain; charset=unknown-8bit\r\n\r\n"
        b"\xff\xfe text"
    )
    result = inbound.ingest(raw)
    assert result.status in (InboundStatus.UNMATCHED, InboundStatus.DROPPED)
