"""End to end: an admin previews the forward, confirms it, the worker delivers it to a real
SMTP server exactly as previewed, and the vendor's answer comes back through the MTA pipe."""

from __future__ import annotations

import html
import io
import re

import pytest
from werkzeug.datastructures import FileStorage

from intranet.extensions import db
from intranet.models import Organisation, VendorCase
from intranet.models.helpdesk import Category, MessageKind, TicketStatus, VendorCaseState
from intranet.services.helpdesk import sweep, tickets
from intranet.worker import Worker
from tests import factories
from tests.helpdesk.conftest import signed_in_client

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4

pytestmark = pytest.mark.slow


def _preview(page: str) -> tuple[str, str, str]:
    subject = re.search(r'id="forward-subject">([^<]*)<', page).group(1)
    body = re.search(r'<pre[^>]*id="forward-body"[^>]*>(.*?)</pre>', page, re.S).group(1)
    digest = re.search(r'name="digest" type="hidden" value="([0-9a-f]+)"', page).group(1)
    return html.unescape(subject), html.unescape(body), digest


def test_forward_reaches_smtp_exactly_as_previewed(own_app, smtp_inbox):
    port, inbox = smtp_inbox
    app = own_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    with app.app_context():
        db.session.add(
            Organisation(
                full_name="ГБПОУ «Колледж связи № 54»",
                short_name="КС-54",
                admin_contact="Админова А. А., +7 900 111-22-33",
            )
        )
        admin = factories.user("admin", last_name="Админова", phone="+79001112233")
        student = factories.user("student", last_name="Студентова", email="anna@example.com")
        ticket = tickets.file_ticket(
            tickets.NewTicket(
                category=Category.CALLS,
                subject="Звонок обрывается",
                description="Звонок обрывается через минуту. Пишите мне на anna@example.com.",
                details={"platform": "vk", "device": "android", "app_version": "25.4.1"},
                consent_vendor=True,
                files=[FileStorage(io.BytesIO(PNG), filename="звонок.png")],
            ),
            requester=student,
        )
        db.session.commit()
        client = signed_in_client(app, admin)
        url = f"/helpdesk/tickets/{ticket.id}/escalate"
        page = client.post(
            url,
            data={
                "steps_taken": "Переустановили приложение, проверили Wi-Fi.",
                "include_personal": "y",
                "preview": "1",
            },
        ).text
        subject, body, digest = _preview(page)
        assert "Переустановили приложение" in body and "anna@example.com" in body
        response = client.post(
            url,
            data={
                "steps_taken": "Переустановили приложение, проверили Wi-Fi.",
                "include_personal": "y",
                "confirm": "1",
                "digest": digest,
            },
        )
        assert response.status_code == 302

        totals = Worker(app, run_jobs=False).run(drain=True, max_seconds=30)
        assert totals.dead == 0
        (forward,) = inbox.to("info@sferum.ru")
        case = db.session.scalar(db.select(VendorCase))
        assert str(forward["Subject"]) == subject
        # SMTP carries text with CRLF line ends; the words, lines and order are the same.
        text = forward.get_body(("plain",)).get_content().replace("\r\n", "\n")
        assert text.rstrip("\n") == body
        assert forward["Message-ID"] == case.message_id
        assert re.fullmatch(rf"<hd{ticket.id}\.[0-9a-f]+@college\.local>", case.message_id)
        assert forward["Reply-To"].addresses[0].addr_spec == "helpdesk@college.local"
        assert forward["Auto-Submitted"] == "auto-generated"
        (screenshot,) = list(forward.iter_attachments())
        assert screenshot.get_filename() == "звонок.png"
        assert screenshot.get_content() == PNG

        sweep.sweep()
        db.session.commit()
        db.session.refresh(case)
        assert case.state is VendorCaseState.SENT and case.sent_at is not None
        assert db.session.get(type(ticket), ticket.id).status is TicketStatus.WAITING_VENDOR

        # The vendor answers; the MTA pipes the message to `flask helpdesk ingest`.
        reply = (
            "From: Sferum Support <info@sferum.ru>\r\n"
            "To: helpdesk@college.local\r\n"
            f"Subject: Re: {forward['Subject']} [Обращение № 5550001]\r\n"
            "Message-ID: <answer-1@support.sferum.ru>\r\n"
            f"In-Reply-To: {case.message_id}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            "Обновите приложение до 25.5, проблема исправлена.\r\n"
        ).encode()
        runner = app.test_cli_runner()
        result = runner.invoke(args=["helpdesk", "ingest"], input=reply)
        assert result.exit_code == 0, result.output
        assert result.output.startswith(f"matched {ticket.number}")
        again = runner.invoke(args=["helpdesk", "ingest"], input=reply)
        assert again.output.startswith("duplicate")
        db.session.expire_all()
        case = db.session.scalar(db.select(VendorCase))
        assert case.state is VendorCaseState.ANSWERED and case.vendor_ref == "5550001"
        loaded = tickets.load_for_page(ticket.id, staff=True)
        assert loaded.status is TicketStatus.OPEN
        assert loaded.messages[-1].kind is MessageKind.VENDOR_IN
        assert "Обновите приложение" in loaded.messages[-1].body


def test_ingest_without_a_message_fails_cleanly(own_app):
    app = own_app()
    result = app.test_cli_runner().invoke(args=["helpdesk", "ingest"], input=b"")
    assert result.exit_code != 0 and "no message" in result.output
