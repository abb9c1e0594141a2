"""Personal data (152-ФЗ): export on request, the consent log with withdrawal, anonymisation
of people who left, and the policy page."""

from __future__ import annotations

import io
import json
import secrets
import zipfile
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from intranet.extensions import db
from intranet.jobs import JOBS
from intranet.models import (
    AuditEvent,
    Consent,
    Enrollment,
    LoginSession,
    Movement,
    MovementKind,
    MovementStatus,
    OutboxMessage,
    Ticket,
    TicketMessage,
    Upload,
    User,
)
from intranet.models.base import utcnow
from intranet.services import audit, personal_data
from intranet.services import uploads as upload_files

TODAY = date(2030, 6, 1)


def _consent(person, *, days_ago: int = 100, withdrawn_days_ago: int | None = None, version="v1"):
    now = utcnow()
    row = Consent(
        user_id=person.id,
        policy_version=version,
        context="activation",
        accepted_at=now - timedelta(days=days_ago),
        ip="192.0.2.10",
        withdrawn_at=(
            now - timedelta(days=withdrawn_days_ago) if withdrawn_days_ago is not None else None
        ),
    )
    db.session.add(row)
    db.session.flush()
    return row


def _archive(response) -> tuple[dict, zipfile.ZipFile]:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    return json.loads(archive.read("personal-data.json")), archive


def _upload(person, content: bytes = b"%PDF-1.4 my certificate") -> Upload:
    root = upload_files.upload_dir()
    row = Upload(
        key=secrets.token_urlsafe(32)[:43],
        stored_name=secrets.token_hex(16),
        original_name="справка.pdf",
        content_type="application/pdf",
        size=len(content),
        sha256="0" * 64,
        purpose="helpdesk",
        uploaded_by_id=person.id,
    )
    db.session.add(row)
    db.session.flush()
    path = upload_files.file_path(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    assert root in path.parents
    return row


# --- export -------------------------------------------------------------------------------


@pytest.mark.pg
def test_a_person_downloads_everything_held_about_them(client, login_as, make):
    group = make.group()
    student = make.user("student", phone="+79120000001")
    make.enroll(student, group)
    parent = make.user("parent")
    make.guardian(parent, student)
    _consent(student, version="2026-09-01")
    ticket = make.ticket(student, subject="Не могу войти в Сферум")
    make.outbox_message(subject="Ваша заявка", to=f"Студент <{student.email}>")
    make.outbox_message(subject="Чужое письмо", to="Другой <other@example.test>")
    upload = _upload(student)
    audit.record("person.disabled", actor=None, obj=student, summary=student.full_name)
    stranger = make.user("student", email="stranger@example.test")
    make.ticket(stranger, subject="Чужое обращение")
    login_as(user=student)

    data, archive = _archive(client.post("/profile/personal-data/export"))

    assert data["profile"]["email"] == student.email
    assert data["profile"]["phone"] == "+79120000001"
    assert [r["role"] for r in data["roles"]] == ["student"]
    records = data["records"]
    assert [e["group_id"] for e in records["enrollment"]] == [group.id]
    assert records["guardian"][0]["parent_id"] == parent.id
    assert records["consent"][0]["policy_version"] == "2026-09-01"
    assert records["login_session"] and "token_hash" not in records["login_session"][0]
    assert [t["subject"] for t in records["helpdesk_ticket"]] == [ticket.subject]
    assert records["helpdesk_message"][0]["body"].startswith("Не приходит код")
    assert [m["subject"] for m in data["mail"]] == ["Ваша заявка"]
    assert [a["action"] for a in data["audit_about"]] == ["person.disabled"]
    assert archive.read(f"files/{upload.id}-справка.pdf") == b"%PDF-1.4 my certificate"
    text = archive.read("personal-data.json").decode()
    for secret in ("password_hash", "token_hash", "stored_name", "session_epoch"):
        assert secret not in text
    assert "stranger@example.test" not in text and "Чужое" not in text
    logged = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "personal_data.exported")
    )
    assert logged.actor_id == student.id and logged.object_id == student.id
    assert logged.data["by_self"] is True


def test_every_table_pointing_at_a_person_is_exported(app, make):
    """The export walks the schema: a table with a foreign key to user.id is not forgotten."""
    columns = {(t.name, c) for t, c in personal_data._user_columns()}
    assert ("enrollment", "student_id") in columns
    assert ("chat", "owner_id") in columns
    assert ("announcement", "author_id") in columns
    assert ("join_request", "user_id") in columns
    assert ("audit_event", "actor_id") in columns
    staff = make.user("teacher")
    chat = make.chat(staff)
    data = personal_data.collect(staff)
    assert [c["id"] for c in data["records"]["chat"]] == [chat.id]


def test_an_admin_exports_a_persons_data_from_their_page(client, login_as, make):
    student = make.user("student")
    _consent(student)
    admin = login_as("admin")

    page = client.get(f"/people/{student.id}")
    data, _archive_file = _archive(client.post(f"/people/{student.id}/personal-data/export"))

    assert f"/people/{student.id}/personal-data/export" in page.text
    assert data["profile"]["id"] == student.id
    logged = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "personal_data.exported")
    )
    assert logged.actor_id == admin.id and logged.object_id == student.id
    assert logged.data["by_self"] is False


def test_a_tutor_cannot_export_a_students_data(client, login_as, make):
    student = make.user("student")
    login_as("tutor")

    assert client.post(f"/people/{student.id}/personal-data/export").status_code == 403
    assert client.post("/people/999999/personal-data/export").status_code == 403
    assert not db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "personal_data.exported")
    )


# --- consents -----------------------------------------------------------------------------


def test_the_profile_shows_the_consent_history(client, login_as, make):
    person = make.user("parent")
    _consent(person, days_ago=400, withdrawn_days_ago=300, version="2026-01-10")
    _consent(person, days_ago=200, version="2026-09-01")
    login_as(user=person)

    profile = client.get("/profile")
    page = client.get("/profile/personal-data")

    assert "/profile/personal-data" in profile.text
    assert page.status_code == 200
    assert "История согласий" in page.text
    assert "2026-01-10" in page.text and "2026-09-01" in page.text
    assert "действует" in page.text  # the one in force
    assert "Отозвать согласие" in page.text


@pytest.mark.pg
def test_withdrawing_consent_disables_the_account_and_is_logged(client, login_as, make):
    person = make.user("student")
    consent = _consent(person)
    login_as(user=person)

    explained = client.get("/profile/personal-data/withdraw")
    unticked = client.post("/profile/personal-data/withdraw", data={})
    assert db.session.get(User, person.id).is_active
    done = client.post("/profile/personal-data/withdraw", data={"understood": "y"})

    assert "учётная запись сразу отключается" in explained.text
    assert "через 30 дней ваши фамилия" in explained.text
    assert unticked.status_code == 200
    assert "Отметьте флажок" in unticked.text
    assert done.status_code == 302 and "/login" in done.headers["Location"]
    db.session.expire_all()
    assert db.session.get(Consent, consent.id).withdrawn_at is not None
    assert not db.session.get(User, person.id).is_active
    assert not db.session.scalar(
        select(func.count(LoginSession.id)).where(
            LoginSession.user_id == person.id, LoginSession.ended_at.is_(None)
        )
    )
    assert "Согласие отозвано, учётная запись отключена" in client.get("/login").text
    assert client.get("/profile/personal-data").status_code == 302  # signed out
    logged = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "consent.withdrawn"))
    assert logged.actor_id == person.id and logged.object_id == person.id


def test_nothing_to_withdraw_is_said_plainly(client, login_as, make):
    person = make.user("student")
    _consent(person, withdrawn_days_ago=1)
    login_as(user=person)

    response = client.post(
        "/profile/personal-data/withdraw", data={"understood": "y"}, follow_redirects=True
    )

    assert "Действующего согласия, которое можно отозвать, нет." in response.text
    assert db.session.get(User, person.id).is_active


def test_the_last_admin_cannot_withdraw_and_lock_everyone_out(client, login_as, make):
    admin = login_as("admin")
    _consent(admin)

    response = client.post(
        "/profile/personal-data/withdraw", data={"understood": "y"}, follow_redirects=True
    )

    assert "Вы — последний администратор платформы" in response.text
    assert db.session.get(User, admin.id).is_active
    assert personal_data.has_active_consent(admin)


def test_admins_see_withdrawals_and_who_is_due(client, login_as, make):
    person = make.user("student", last_name="Отозвавшая")
    _consent(person, withdrawn_days_ago=2)
    login_as("admin")

    page = client.get("/admin/personal-data")

    assert page.status_code == 200
    assert "Отозванные согласия" in page.text
    assert "Отозвавшая" in page.text
    assert "Подлежат обезличиванию" in page.text
    assert 'href="/admin/personal-data"' in page.text  # in the navigation


# --- anonymisation ------------------------------------------------------------------------


def _left(make, kind=MovementKind.EXPULSION, *, on: date, role="student", **fields) -> User:
    person = make.user(role, is_active=False, **fields)
    if role == "student":
        make.enroll(person, make.group(), starts_on=on - timedelta(days=700), ends_on=on)
    db.session.add(
        Movement(
            kind=kind,
            status=MovementStatus.APPLIED,
            person_id=person.id,
            effective_on=on,
            applied_at=utcnow(),
        )
    )
    db.session.flush()
    return person


@pytest.mark.pg
def test_who_is_due_for_anonymisation(app, make):
    long_ago = TODAY - timedelta(days=4 * 365)
    expelled = _left(make, on=long_ago)
    recent = _left(make, on=TODAY - timedelta(days=365))
    teacher = _left(make, MovementKind.LEFT, on=long_ago, role="teacher")
    studying = make.user("student")
    make.enroll(studying, make.group(), starts_on=TODAY - timedelta(days=3000))
    quitter = make.user("student", is_active=False)
    _consent(quitter, withdrawn_days_ago=(utcnow().date() - TODAY).days + 40)
    fresh_quitter = make.user("student", is_active=False)
    _consent(fresh_quitter, withdrawn_days_ago=(utcnow().date() - TODAY).days + 10)
    parent = make.user("parent")
    make.guardian(parent, expelled)
    busy_parent = make.user("parent")
    make.guardian(busy_parent, studying)

    due = {d.person.id: d for d in personal_data.due_for_anonymisation(TODAY)}

    assert due[expelled.id].reason.value == "left" and due[expelled.id].left_on == long_ago
    assert due[teacher.id].reason.value == "left"
    assert due[quitter.id].reason.value == "withdrawn"
    assert due[parent.id].reason.value == "children_left"
    for kept in (recent, studying, fresh_quitter, busy_parent):
        assert kept.id not in due
    assert due[expelled.id].due_on == long_ago + timedelta(days=3 * 365)


def test_the_retention_period_is_configurable(app, make):
    left_on = TODAY - timedelta(days=100)
    person = _left(make, on=left_on)
    app.config["PERSONAL_DATA_RETENTION_DAYS"] = 90
    try:
        due = [d.person.id for d in personal_data.due_for_anonymisation(TODAY)]
    finally:
        app.config.pop("PERSONAL_DATA_RETENTION_DAYS")
    assert person.id in due
    assert person.id not in [d.person.id for d in personal_data.due_for_anonymisation(TODAY)]


@pytest.mark.pg
def test_anonymisation_replaces_personal_data_and_keeps_the_rows(app, make):
    today = date.today()
    person = _left(
        make, on=today - timedelta(days=4 * 365), phone="+79125550011", last_name="Заречная"
    )
    email = person.email
    _consent(person)
    make.login_session(person)
    ticket = make.ticket(person, contact_name="Нина Заречная", contact_phone="+79125550011")
    message = db.session.scalar(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id))
    message.body = f"Пишите на {email} или звоните +79125550011. {person.full_name}"
    make.outbox_message(to=f"Нина <{email}>")
    audit.record("person.updated", actor=None, obj=person, summary=person.full_name)
    enrollments_before = db.session.scalar(
        select(func.count(Enrollment.id)).where(Enrollment.student_id == person.id)
    )
    db.session.flush()
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["personal-data", "anonymise", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Заречная" in dry.output and "ничего не изменено" in dry.output
    assert db.session.get(User, person.id).anonymised_at is None

    done = runner.invoke(args=["personal-data", "anonymise"])

    assert done.exit_code == 0, done.output
    db.session.expire_all()
    row = db.session.get(User, person.id)
    assert row.anonymised_at is not None
    assert (row.last_name, row.first_name, row.middle_name) == ("Обезличено", f"№ {row.id}", "")
    assert row.email is None and row.phone is None and row.password_hash is None
    assert not row.is_active
    assert not db.session.scalar(
        select(func.count(LoginSession.id)).where(
            LoginSession.user_id == person.id, LoginSession.ended_at.is_(None)
        )
    )
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.contact_name == "Обезличено" and ticket.contact_phone is None
    assert ticket.contact_email is None and ticket.requester_id == person.id
    body = db.session.get(TicketMessage, message.id).body
    assert email not in body and "+79125550011" not in body and "Заречная" not in body
    assert not db.session.scalar(
        select(func.count(OutboxMessage.id)).where(personal_data._recipient_is(email))
    )
    summaries = db.session.scalars(
        select(AuditEvent.summary).where(AuditEvent.object_id == person.id)
    ).all()
    assert summaries and not any("Заречная" in s for s in summaries)
    assert (
        db.session.scalar(
            select(func.count(Enrollment.id)).where(Enrollment.student_id == person.id)
        )
        == enrollments_before
    )  # statistics keep their rows
    assert db.session.scalar(select(func.count(Consent.id)).where(Consent.user_id == person.id))
    assert (
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "person.anonymised")
        )
        == 1
    )
    again = runner.invoke(args=["personal-data", "anonymise"])
    assert "Обезличено: 0." in again.output


def test_the_worker_runs_the_anonymisation_daily(app):
    job = JOBS["personal_data.anonymise"]
    assert job.every_seconds == 24 * 3600


# --- the policy page ----------------------------------------------------------------------


def test_the_policy_page_is_public_versioned_and_in_the_footer(client, make):
    page = client.get("/privacy")
    login = client.get("/login")

    assert page.status_code == 200
    assert "152-ФЗ" in page.text
    assert "Редакции политики" in page.text
    assert "2026-11-29" in page.text and "2026-09-01" in page.text
    assert "данные хранятся 3 года, а затем обезличиваются" in page.text
    assert "в течение 30 дней" in page.text
    assert 'href="/privacy"' in login.text


def test_an_anonymised_account_cannot_be_enabled_again(client, login_as, make):
    person = _left(make, on=date.today() - timedelta(days=4 * 365))
    personal_data.anonymise(person, actor=None, reason="left")
    login_as("admin")

    page = client.get(f"/people/{person.id}")
    refused = client.post(f"/people/{person.id}/enable", follow_redirects=True)

    assert "данные обезличены" in page.text
    assert f"/people/{person.id}/enable" not in page.text
    assert "учётную запись нельзя включить снова" in refused.text
    assert not db.session.get(User, person.id).is_active


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (1, "1 день"),
        (3, "3 дня"),
        (30, "30 дней"),
        (365, "1 год"),
        (1095, "3 года"),
        (1825, "5 лет"),
    ],
)
def test_periods_read_in_russian(app, days, expected):
    with app.test_request_context():
        assert personal_data.period_text(days) == expected
