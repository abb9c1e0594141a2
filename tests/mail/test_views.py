"""Pages: password reset by e-mail, e-mail settings, and the «Почта» admin page."""

from __future__ import annotations

import re
import time
from email import message_from_bytes
from email import policy as email_policy

import pytest
from sqlalchemy import event, func, select

from intranet.extensions import db
from intranet.models import AuditEvent, MailPreference, OutboxMessage, OutboxStatus, User
from intranet.services.password_reset import make_reset_token

PASSWORD = "correct horse battery"
NEW_PASSWORD = "зелёный слон танцует"


def outbox() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def reset_link(row: OutboxMessage) -> str:
    msg = message_from_bytes(row.raw, policy=email_policy.default)
    text = msg.get_body(("plain",)).get_content()
    found = re.search(r"http://localhost(/password/reset/\S+)", text)
    assert found, text
    return found.group(1)


# --- password reset -------------------------------------------------------------------------


def test_login_page_offers_the_reset(client):
    page = client.get("/login")
    assert "Забыли пароль?" in page.text and 'href="/password/forgot"' in page.text


def test_same_answer_whether_or_not_the_account_exists(client, make):
    make.password_user("student", email="known@example.test")
    known = client.post("/password/forgot", data={"login": "known@example.test"})
    unknown = client.post("/password/forgot", data={"login": "ghost@example.test"})
    assert known.status_code == unknown.status_code == 302
    assert known.location == unknown.location == "/login"
    [row] = outbox()
    assert row.kind == "account.password_reset" and row.recipients == ["known@example.test"]
    page = client.get("/login")
    assert "ссылка для смены пароля" in page.text


def test_reset_flow_ends_every_session_and_the_link_works_once(app, client, make):
    user = make.password_user("teacher", email="t@example.test", phone="+79123456789")
    elsewhere = app.test_client()
    elsewhere.post("/login", data={"login": user.email, "password": PASSWORD})
    assert elsewhere.get("/").status_code == 200

    client.post("/password/forgot", data={"login": "8 912 345-67-89"})  # by phone
    link = reset_link(outbox()[0])
    form = client.get(link)
    assert form.status_code == 200 and "Задать новый пароль" in form.text

    short = client.post(link, data={"password": "корот", "confirm": "корот"})
    assert short.status_code == 200 and "не короче 8 символов" in short.text

    done = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.location == "/login"
    assert elsewhere.get("/").status_code == 302  # the other session has ended
    again = client.get(link)
    assert "Ссылка больше не действует" in again.text
    reused = client.post(link, data={"password": "ещё один пароль", "confirm": "ещё один пароль"})
    assert "Ссылка больше не действует" in reused.text
    signed_in = client.post("/login", data={"login": user.email, "password": NEW_PASSWORD})
    assert signed_in.status_code == 302 and signed_in.location == "/"
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == user.id))
    assert {"account.password_reset_requested", "account.password_set"} <= set(actions)


def test_a_link_expires_after_an_hour(client, make, monkeypatch):
    user = make.password_user("student")
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 3601)
    with client.application.test_request_context():
        token = make_reset_token(db.session.get(User, user.id))
    monkeypatch.setattr(time, "time", real)
    page = client.get(f"/password/reset/{token}")
    assert "Ссылка больше не действует" in page.text
    tampered = client.get(f"/password/reset/{token[:-2]}xx")
    assert "Ссылка больше не действует" in tampered.text


def test_links_are_built_from_base_url_not_the_host_header(app, client, make, monkeypatch):
    make.password_user("student", email="host@example.test")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)  # the cookie is for localhost
    response = client.post(
        "/password/forgot",
        data={"login": "host@example.test"},
        base_url="http://evil.example",
    )
    assert response.status_code == 302
    [row] = outbox()
    assert b"evil.example" not in row.raw
    assert reset_link(row).startswith("/password/reset/")


def test_reset_requests_are_throttled_per_account(client, make):
    make.password_user("student", email="many@example.test")
    for _ in range(7):
        response = client.post("/password/forgot", data={"login": "many@example.test"})
        assert response.status_code == 302
    assert len(outbox()) == 5  # RESET_LINKS_PER_ACCOUNT: "5 per hour"


def test_disabled_accounts_get_no_link(client, make):
    make.password_user("student", email="off@example.test", is_active=False)
    client.post("/password/forgot", data={"login": "off@example.test"})
    assert outbox() == []


# --- e-mail settings ------------------------------------------------------------------------


def test_settings_switch_optional_mail_off(client, login_as):
    user = login_as("student", email="s@example.test")
    page = client.get("/profile/mail")
    assert page.status_code == 200
    assert "Новые объявления в каналах" in page.text
    assert "Ссылки для смены пароля" in page.text  # listed as always sent
    assert "Новые обращения в очереди поддержки" not in page.text  # for admins only
    saved = client.post("/profile/mail", data={"kind_events__reminder": "y"})
    assert saved.status_code == 302
    choices = dict(
        db.session.execute(
            select(MailPreference.kind, MailPreference.is_enabled).where(
                MailPreference.user_id == user.id
            )
        ).all()
    )
    assert choices["events.reminder"] is True
    assert choices["channels.announcement"] is False
    page = client.get("/profile/mail")
    assert 'id="kind_events__reminder" name="kind_events__reminder" type="checkbox" value="y"' in (
        page.text.replace(" checked", "")
    )
    assert re.search(r'<input checked[^>]*name="kind_events__reminder"', page.text)
    assert not re.search(r'<input checked[^>]*name="kind_channels__announcement"', page.text)


def test_profile_links_to_the_settings(client, login_as):
    login_as("parent")
    assert 'href="/profile/mail"' in client.get("/profile").text


# --- the «Почта» page -----------------------------------------------------------------------


@pytest.mark.pg
def test_admin_page_lists_filters_and_searches(client, login_as, make):
    login_as("admin")
    make.outbox_message(
        "dead",
        to="Ольга Иванова <olga@example.test>",
        subject="Приглашение",
        last_error="550 5.1.1 No such user",
        attempts=1,
    )
    make.outbox_message("sent", to="petr@example.test", subject="Объявление")
    make.outbox_message(
        "retry",
        to="ivan@example.test",
        subject="Напоминание",
        last_error="451 greylisted",
        attempts=2,
    )
    page = client.get("/admin/mail/")
    assert page.status_code == 200
    assert all(s in page.text for s in ("Приглашение", "Объявление", "Напоминание"))
    assert "Фоновый обработчик ещё ни разу не запускался" in page.text
    dead = client.get("/admin/mail/?status=dead")
    assert "550 5.1.1 No such user" in dead.text and "Объявление" not in dead.text
    found = client.get("/admin/mail/?q=ИВАНОВА")
    assert "Приглашение" in found.text and "Напоминание" not in found.text
    none = client.get("/admin/mail/?q=nothing-like-this")
    assert "Подходящих писем нет" in none.text
    assert client.get("/admin/mail/?status=bogus&page=x").status_code == 200


def test_admin_list_queries_do_not_grow_with_rows(app, client, login_as, make):
    login_as("admin")

    def queries() -> int:
        seen = []

        def count(*_args):
            seen.append(1)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/admin/mail/").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    make.outbox_message()
    few = queries()
    for _ in range(20):
        make.outbox_message("dead", commit=False)
    db.session.commit()
    assert queries() == few


@pytest.mark.pg
def test_admin_reads_a_message_and_retries_it(client, login_as, make):
    admin = login_as("admin")
    row = make.outbox_message(
        "dead", subject="Письмо поставщику", last_error="550 rejected", attempts=3
    )
    page = client.get(f"/admin/mail/{row.id}")
    assert page.status_code == 200
    assert "Текст письма." in page.text and "&lt;p&gt;Текст письма.&lt;/p&gt;" in page.text
    assert "550 rejected" in page.text and row.message_id.strip("<>") in page.text
    eml = client.get(f"/admin/mail/{row.id}.eml")
    assert eml.mimetype == "message/rfc822" and eml.data == row.raw
    assert "attachment" in eml.headers["Content-Disposition"]

    retried = client.post(f"/admin/mail/{row.id}/retry")
    assert retried.status_code == 302
    db.session.refresh(row)
    assert row.status is OutboxStatus.PENDING and row.attempts == 0
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "mail.retried"))
    assert audit.actor_id == admin.id and audit.object_id == row.id
    # A message that is not failed cannot be retried.
    again = client.post(f"/admin/mail/{row.id}/retry", follow_redirects=True)
    assert "Повторно отправить можно только" in again.text
    assert client.get("/admin/mail/999999").status_code == 404


def test_admin_sends_a_test_message_to_themselves(client, login_as):
    admin = login_as("admin", email="boss@example.test")
    response = client.post("/admin/mail/test")
    assert response.status_code == 302
    [row] = outbox()
    assert row.recipients == ["boss@example.test"] and row.kind == "mail.test"
    assert response.location == f"/admin/mail/{row.id}"
    assert db.session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "mail.test_queued", AuditEvent.actor_id == admin.id
        )
    )


def test_only_admins_see_the_mail_page(client, login_as):
    login_as("head")
    assert client.get("/admin/mail/").status_code == 403
    assert 'href="/admin/mail/"' not in client.get("/").text
