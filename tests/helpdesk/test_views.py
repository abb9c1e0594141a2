"""The help desk through the browser's eyes: forms, pages, uploads, the queue, the public form."""

from __future__ import annotations

import io
import re
import time

import pytest
from sqlalchemy import event, func, select
from werkzeug.datastructures import FileStorage

from intranet.extensions import db
from intranet.models import HelpArticle, Incident, Ticket, TicketAttachment
from intranet.models.helpdesk import IncidentStatus, MessageKind, TicketStatus
from intranet.services.helpdesk import public, tickets
from intranet.services.security import make_token

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


def _form(**fields) -> dict:
    values = {
        "subject": "Не приходит код",
        "description": "Жду СМС с кодом уже десять минут.",
        "q_platform": "vk",
        "q_device": "android",
        "q_happened_at": "2026-03-02T10:00",
        "contact_email": "anna@example.com",
    }
    values.update(fields)
    return values


def _post_ticket(client, category="login", files=(), **fields):
    data = _form(**fields)
    data["files"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(f"/helpdesk/new/{category}", data=data, content_type="multipart/form-data")


def fresh(*objects):
    """Re-read rows that a request (in its own session) has changed."""
    for obj in objects:
        db.session.refresh(obj)
    return objects[0] if len(objects) == 1 else objects


class Counter:
    """Counts the SQL statements a block runs."""

    def __init__(self):
        self.count = 0

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._hit)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._hit)

    def _hit(self, *args):
        self.count += 1


@pytest.mark.pg
def test_student_files_a_ticket_with_a_screenshot(client, login_as):
    student = login_as("student", email="anna@example.com")
    page = client.get("/helpdesk/new/login")
    assert "Вход и коды подтверждения" in page.text
    assert 'name="q_app_version"' in page.text and 'name="q_chat_name"' not in page.text
    response = _post_ticket(client, files=[("снимок экрана.png", PNG), ("справка.pdf", PDF)])
    assert response.status_code == 302
    ticket = db.session.scalar(select(Ticket).where(Ticket.requester_id == student.id))
    assert response.headers["Location"].endswith(f"/helpdesk/tickets/{ticket.id}")
    page = client.get(response.headers["Location"])
    assert ticket.number in page.text and "снимок экрана.png" in page.text
    assert "Android" in page.text  # the answers, by their labels
    files = db.session.scalars(select(TicketAttachment).order_by(TicketAttachment.id)).all()
    assert [f.content_type for f in files] == ["image/png", "application/pdf"]
    download = client.get(f"/helpdesk/attachments/{files[0].id}")
    assert download.status_code == 200 and download.data == PNG
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    listing = client.get("/helpdesk/mine")
    assert ticket.number in listing.text


def test_form_keeps_the_entry_on_error(client, login_as):
    login_as("student")
    page = _post_ticket(client, subject="", description="Подробное описание проблемы")
    assert page.status_code == 200
    assert "Подробное описание проблемы" in page.text
    assert "Напишите в двух словах, что случилось." in page.text


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("screen.png", b"<html><script>alert(1)</script></html>", "Можно прикрепить только"),
        ("photo.jpg", b"MZ\x90\x00\x03" + b"\x00" * 64, "Можно прикрепить только"),
        ("empty.png", b"", "пуст"),
    ],
)
def test_hostile_uploads_are_refused(client, login_as, name, content, message):
    login_as("student")
    page = _post_ticket(client, files=[(name, content)])
    assert page.status_code == 200
    assert message in page.text
    assert db.session.scalar(select(func.count(Ticket.id))) == 0
    assert db.session.scalar(select(func.count(TicketAttachment.id))) == 0


def test_oversized_upload_is_refused_with_a_message(client, login_as):
    login_as("student")
    big = PNG + b"\x00" * (10 * 1024 * 1024)
    page = _post_ticket(client, files=[("big.png", big)])
    assert page.status_code == 200
    assert "больше 10 МБ" in page.text
    assert db.session.scalar(select(func.count(Ticket.id))) == 0


def test_too_many_files_are_refused(client, login_as):
    login_as("student")
    page = _post_ticket(client, files=[(f"s{n}.png", PNG) for n in range(6)])
    assert page.status_code == 200
    assert "не больше 5 файлов" in page.text


def test_path_traversal_name_is_neutralised(client, login_as, app):
    login_as("student")
    response = _post_ticket(client, files=[("../../../etc/passwd.png", PNG)])
    assert response.status_code == 302
    stored = db.session.scalar(select(TicketAttachment))
    assert stored.filename == "passwd.png"
    path = tickets.attachments.path_of(stored)
    assert str(path).startswith(app.config["UPLOAD_DIR"])
    assert path.name != "passwd.png"


@pytest.mark.pg
def test_someone_elses_ticket_and_file_are_refused(client, login_as, make):
    owner = make.user("student")
    ticket = make.ticket(owner)
    tickets.requester_reply(
        ticket,
        actor=owner,
        body="Вот снимок",
        files=[FileStorage(io.BytesIO(PNG), filename="s.png")],
    )
    db.session.commit()
    file_id = db.session.scalar(select(TicketAttachment.id))
    login_as("student")
    assert client.get(f"/helpdesk/tickets/{ticket.id}").status_code == 403
    assert client.get(f"/helpdesk/attachments/{file_id}").status_code == 403
    assert (
        client.post(f"/helpdesk/tickets/{ticket.id}/reply", data={"body": "x"}).status_code == 403
    )
    assert ticket.number not in client.get("/helpdesk/mine").text


def test_requester_does_not_see_internal_notes(client, login_as, make):
    admin = make.user("admin")
    student = login_as("student")
    ticket = make.ticket(student)
    tickets.staff_reply(ticket, actor=admin, body="Секретная заметка", internal=True)
    tickets.staff_reply(ticket, actor=admin, body="Публичный ответ")
    db.session.commit()
    page = client.get(f"/helpdesk/tickets/{ticket.id}")
    assert "Публичный ответ" in page.text and "Секретная заметка" not in page.text


def test_admin_works_a_ticket_from_the_queue(client, login_as, make):
    admin = login_as("admin")
    student = make.user("student", email="anna@example.com")
    ticket = make.ticket(student)
    queue = client.get("/helpdesk/queue")
    assert ticket.number in queue.text
    assert client.post(f"/helpdesk/tickets/{ticket.id}/claim").status_code == 302
    fresh(ticket)
    assert ticket.assignee_id == admin.id and ticket.status is TicketStatus.OPEN
    client.post(f"/helpdesk/tickets/{ticket.id}/priority", data={"priority": "high"})
    assert fresh(ticket).priority.value == "high"
    response = client.post(
        f"/helpdesk/tickets/{ticket.id}/answer",
        data={"body": "Пришлите снимок экрана.", "then": "waiting_requester"},
    )
    assert response.status_code == 302
    fresh(ticket)
    assert ticket.status is TicketStatus.WAITING_REQUESTER and ticket.first_response_at
    client.post(f"/helpdesk/tickets/{ticket.id}/status", data={"status": "resolved"})
    assert fresh(ticket).status is TicketStatus.RESOLVED
    page = client.get(f"/helpdesk/tickets/{ticket.id}")
    assert "Пришлите снимок экрана." in page.text
    refused = client.post(
        f"/helpdesk/tickets/{ticket.id}/status",
        data={"status": "waiting_vendor"},
        follow_redirects=True,
    )
    assert "нельзя перевести" in refused.text


def test_canned_reply_is_offered_and_inserted(client, login_as, make):
    login_as("admin")
    ticket = make.ticket(make.user("student"))
    client.post(
        "/helpdesk/canned/new", data={"title": "Версия", "body": "Какая у вас версия приложения?"}
    )
    page = client.get(f"/helpdesk/tickets/{ticket.id}")
    assert 'data-body="Какая у вас версия приложения?"' in page.text
    canned_id = re.search(r'<option value="(\d+)" data-body', page.text).group(1)
    filled = client.get(f"/helpdesk/tickets/{ticket.id}?canned={canned_id}")
    assert "Какая у вас версия приложения?</textarea>" in filled.text


def test_queue_filters_and_order(client, login_as, make):
    admin = login_as("admin")
    student = make.user("student")
    from tests.helpdesk.conftest import msk

    late = make.ticket(student, subject="Старая проблема", created_at=msk(2026, 3, 2, 9, 0))
    soon = make.ticket(
        student, subject="Новая проблема", category="calls", created_at=msk(2026, 3, 3, 9, 0)
    )
    done = make.ticket(student, subject="Решённая", status="resolved")
    text = client.get("/helpdesk/queue").text
    assert text.index(late.number) < text.index(soon.number)
    assert done.number not in text
    only_calls = client.get("/helpdesk/queue?category=calls").text
    assert soon.number in only_calls and late.number not in only_calls
    assert done.number in client.get("/helpdesk/queue?status=resolved").text
    tickets.claim(soon, actor=admin)
    db.session.commit()
    mine = client.get("/helpdesk/queue?assignee=me").text
    assert soon.number in mine and late.number not in mine
    assert late.number in client.get("/helpdesk/queue?overdue=y").text
    assert late.number in client.get(f"/helpdesk/queue?q={late.number}").text
    assert soon.number in client.get("/helpdesk/queue?q=новая").text


def test_queue_and_ticket_page_query_counts_do_not_grow(client, login_as, make):
    admin = login_as("admin")
    student = make.user("student")
    tickets.claim(make.ticket(student), actor=admin)
    db.session.commit()
    client.get("/helpdesk/queue")
    with Counter() as few:
        client.get("/helpdesk/queue")
    for _ in range(30):
        ticket = make.ticket(make.user("student"))
        tickets.claim(ticket, actor=admin)
    db.session.commit()
    with Counter() as many:
        assert client.get("/helpdesk/queue").status_code == 200
    assert many.count == few.count

    ticket = make.ticket(student)
    tickets.staff_reply(ticket, actor=admin, body="Первый ответ")
    db.session.commit()
    with Counter() as short:
        client.get(f"/helpdesk/tickets/{ticket.id}")
    for n in range(20):
        tickets.staff_reply(ticket, actor=admin, body=f"Ответ {n}", internal=n % 2 == 0)
        tickets.requester_reply(ticket, actor=student, body=f"Вопрос {n}")
    db.session.commit()
    with Counter() as long:
        assert client.get(f"/helpdesk/tickets/{ticket.id}").status_code == 200
    assert long.count == short.count


def test_category_form_shows_its_help_articles(client, login_as, make):
    admin = make.user("admin")
    from intranet.models.helpdesk import Category
    from intranet.services.helpdesk import knowledge

    knowledge.save_article(
        None,
        actor=admin,
        title="Код не приходит: что делать",
        body="1. Проверьте **сеть**.\n\n<script>alert(1)</script>",
        category=Category.LOGIN,
        is_published=True,
    )
    knowledge.save_article(
        None, actor=admin, title="Про звонки", body="…", category=Category.CALLS, is_published=True
    )
    db.session.commit()
    login_as("parent")
    page = client.get("/helpdesk/new/login")
    assert "Код не приходит: что делать" in page.text and "Про звонки" not in page.text
    article_id = db.session.scalar(
        select(HelpArticle.id).where(HelpArticle.title.startswith("Код"))
    )
    article = client.get(f"/helpdesk/help/{article_id}")
    assert "<strong>сеть</strong>" in article.text
    assert "<script>alert(1)</script>" not in article.text


def test_contacts_page_gives_what_section_3_promises(client):
    page = client.get("/helpdesk/contacts")
    assert page.status_code == 200
    assert "info@sferum.ru" in page.text and "prof-sferum.ru" in page.text


def test_public_form_files_a_ticket_and_gives_a_link(client, app, outbox):
    page = client.get("/helpdesk/public/login")
    started = re.search(r'name="started" type="hidden" value="([^"]+)"', page.text).group(1)
    data = _form(
        contact_name="Пётр Петров",
        consent_personal_data="y",
        started=make_token(public.PURPOSE, int(time.time()) - 30),
        website="",
    )
    assert started  # the page hands out its own timestamp
    response = client.post("/helpdesk/public/login", data=data)
    assert response.status_code == 302
    link = response.headers["Location"]
    ticket = db.session.scalar(select(Ticket))
    assert ticket.requester_id is None and ticket.contact_name == "Пётр Петров"
    followed = client.get(link)
    assert ticket.number in followed.text
    ack = outbox("helpdesk.ticket")[0]
    assert link.split("/t/")[1] in ack.get_body(("plain",)).get_content()
    reply = client.post(f"{link}/reply", data={"body": "Уточняю: телефон Android 14"})
    assert reply.status_code == 302
    assert "Android 14" in client.get(link).text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"website": "http://spam.example"}, "Не удалось принять форму"),
        ({"started": "forged"}, "Срок действия формы истёк"),
        ({"started": "now"}, "Не удалось принять форму"),
        ({"consent_personal_data": ""}, "только с вашим согласием"),
    ],
)
def test_public_form_refuses_automation(client, change, message):
    data = _form(
        contact_name="Бот",
        consent_personal_data="y",
        started=make_token(public.PURPOSE, int(time.time()) - 30),
    )
    if change.get("started") == "now":
        change = {**change, "started": make_token(public.PURPOSE, int(time.time()))}
    data.update(change)
    page = client.post("/helpdesk/public/login", data=data)
    assert page.status_code == 200
    assert message in page.text
    assert db.session.scalar(select(func.count(Ticket.id))) == 0


def test_public_form_flood_is_throttled(client):
    statuses = []
    for n in range(40):
        data = _form(
            contact_name="Флуд",
            contact_email=f"flood{n}@example.com",
            consent_personal_data="y",
            started=make_token(public.PURPOSE, int(time.time()) - 30),
        )
        statuses.append(client.post("/helpdesk/public/login", data=data).status_code)
    assert set(statuses) <= {302, 429}
    assert statuses.count(302) == 10  # HELPDESK_PUBLIC_RATE: 10 per hour per address
    assert statuses[-1] == 429
    assert db.session.scalar(select(func.count(Ticket.id))) == 10


def test_public_form_limits_one_contact(client, app):
    ok = 0
    for n in range(7):
        data = _form(
            contact_name="Пётр",
            consent_personal_data="y",
            started=make_token(public.PURPOSE, int(time.time()) - 30),
        )
        response = client.post(
            "/helpdesk/public/login", data=data, environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}
        )
        ok += response.status_code == 302
    assert ok == 5  # HELPDESK_PUBLIC_PER_CONTACT: 5 per day per e-mail
    assert "много обращений" in response.text


def test_incident_answers_all_and_shows_a_banner(client, login_as, make, outbox):
    login_as("admin")
    students = [make.user("student", email=f"s{n}@example.com") for n in range(3)]
    linked = [make.ticket(s, category="calls") for s in students]
    response = client.post(
        "/helpdesk/incidents/new",
        data={
            "title": "Не работают звонки",
            "show_banner": "y",
            "banner_text": "Звонки не работают с 10:00",
        },
    )
    incident = db.session.scalar(select(Incident))
    assert response.status_code == 302
    assert "Звонки не работают с 10:00" in client.get("/").text
    numbers = " ".join(t.number for t in linked) + " HD-2026-99999"
    page = client.post(
        f"/helpdesk/incidents/{incident.id}/link", data={"numbers": numbers}, follow_redirects=True
    )
    assert "HD-2026-99999" in page.text  # the unknown number is reported
    client.post(
        f"/helpdesk/incidents/{incident.id}/answer",
        data={"body": "Сбой у оператора связи, чиним.", "resolve": "y"},
    )
    assert all(fresh(t).status is TicketStatus.RESOLVED for t in linked)
    mailed = [
        m for m in outbox("helpdesk.ticket") if "чиним" in m.get_body(("plain",)).get_content()
    ]
    assert len(mailed) == 3
    client.post(f"/helpdesk/incidents/{incident.id}/resolve")
    assert fresh(incident).status is IncidentStatus.RESOLVED
    assert "Звонки не работают с 10:00" not in client.get("/").text


def test_escalation_preview_then_confirm(client, login_as, make, outbox):
    login_as("admin", phone="+79001112233")
    student = make.user("student", email="anna@example.com")
    ticket = make.ticket(student, category="calls")
    preview = client.get(f"/helpdesk/tickets/{ticket.id}/escalate")
    assert preview.status_code == 200
    assert "info@sferum.ru" in preview.text
    again = client.post(
        f"/helpdesk/tickets/{ticket.id}/escalate",
        data={"steps_taken": "Переустановили приложение", "preview": "1", "digest": "stale"},
    )
    assert "Переустановили приложение" in again.text
    digest = re.search(r'name="digest" type="hidden" value="([0-9a-f]+)"', again.text).group(1)
    stale = client.post(
        f"/helpdesk/tickets/{ticket.id}/escalate",
        data={"steps_taken": "Другое", "confirm": "1", "digest": digest},
    )
    assert stale.status_code == 200 and fresh(ticket).status is TicketStatus.NEW
    sent = client.post(
        f"/helpdesk/tickets/{ticket.id}/escalate",
        data={"steps_taken": "Переустановили приложение", "confirm": "1", "digest": digest},
    )
    assert sent.status_code == 302
    assert fresh(ticket).status is TicketStatus.ESCALATED
    forward = outbox("helpdesk.vendor")[0]
    assert forward["To"].addresses[0].addr_spec == "info@sferum.ru"
    page = client.get(f"/helpdesk/tickets/{ticket.id}")
    assert "ждёт отправки" in page.text


def test_college_category_offers_no_escalation(client, login_as, make):
    login_as("admin")
    ticket = make.ticket(make.user("teacher", confirmed=False), category="teacher_status")
    page = client.get(f"/helpdesk/tickets/{ticket.id}")
    assert "Такие обращения колледж решает сам." in page.text
    assert client.get(f"/helpdesk/tickets/{ticket.id}/escalate").status_code == 302


def test_unmatched_mail_list_and_attach(client, login_as, make):
    from intranet.services.helpdesk import inbound

    login_as("admin")
    ticket = make.ticket(make.user("student"))
    raw = (
        "From: Мама <mama@example.com>\r\nSubject: Не может войти\r\nMessage-ID: <m1@example.com>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nДочь не может войти в Сферум."
    ).encode()
    record = inbound.ingest(raw).inbound
    db.session.commit()
    listing = client.get("/helpdesk/mail")
    assert "Не может войти" in listing.text
    item = client.get(f"/helpdesk/mail/{record.id}")
    assert "Дочь не может войти в Сферум." in item.text
    response = client.post(
        f"/helpdesk/mail/{record.id}/assign",
        data={"number": ticket.number.lower(), "as_requester": "y"},
    )
    assert response.status_code == 302
    messages = tickets.load_for_page(ticket.id, staff=True).messages
    assert messages[-1].kind is MessageKind.PUBLIC and "Дочь" in messages[-1].body


def test_reports_and_csv(client, login_as, make):
    login_as("head")
    student = make.user("student")
    make.ticket(student, category="calls")
    make.ticket(student, category="login", status="resolved")
    page = client.get("/helpdesk/reports")
    assert page.status_code == 200 and "Звонки и видеоуроки" in page.text
    csv = client.get("/helpdesk/reports.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    text = csv.data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("номер;создана;категория")
    assert len(text.strip().splitlines()) == 3
    assert student.last_name not in text  # no personal data in the export


def test_forward_is_in_russian_for_an_admin_reading_english(client, login_as, make):
    login_as("admin", locale="en")
    ticket = make.ticket(make.user("student"), category="calls")
    page = client.get(f"/helpdesk/tickets/{ticket.id}/escalate")
    assert "Send to the vendor's support" in page.text  # the page speaks the admin's language
    body = re.search(r'id="forward-body"[^>]*>(.*?)</pre>', page.text, re.S).group(1)
    assert "Категория: Звонки и видеоуроки" in body and "Category" not in body
