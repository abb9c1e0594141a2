"""Mail services in-process: building, queueing, preferences, claims and retries, jobs."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes
from email import policy as email_policy
from email.headerregistry import Address
from types import SimpleNamespace

import pytest
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from intranet import jobs
from intranet.extensions import db
from intranet.models import JobRun, OutboxMessage, OutboxStatus
from intranet.models.base import utcnow
from intranet.services import mail
from intranet.services.mail import delivery
from intranet.services.mail.transport import (
    ConnectionFailure,
    DeliveryFailure,
    FileTransport,
    SMTPTransport,
)

PERSON = SimpleNamespace(first_name="Анна")
SETTINGS = delivery.DeliverySettings(
    batch_size=10, lease_seconds=60, max_attempts=3, retry_base_seconds=10, retry_max_seconds=40
)


def parse(row: OutboxMessage):
    return message_from_bytes(row.raw, policy=email_policy.default)


def queue_test(to="anna@example.test", **kwargs) -> OutboxMessage:
    return mail.queue_mail("mail.test", to, "Проверка", "test", {"user": PERSON}, **kwargs)


def count_rows() -> int:
    return db.session.scalar(select(func.count(OutboxMessage.id)))


# --- building and queueing ------------------------------------------------------------------


@pytest.mark.pg
def test_queue_mail_writes_in_the_callers_transaction(app):
    with app.test_request_context():
        row = queue_test()
        assert row.id is not None and row.status is OutboxStatus.PENDING
        assert count_rows() == 1
        db.session.rollback()
        assert count_rows() == 0


def test_message_is_russian_text_and_html_with_auto_submitted(app, make):
    person = make.user("student", first_name="Анна", email="anna@example.test")
    with app.test_request_context():
        row = mail.queue_mail(
            "account.password_reset", person, _l("Password reset"), "test", {"user": person}
        )
    msg = parse(row)
    assert msg["Subject"] == "Смена пароля"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Message-ID"] == row.message_id and row.message_id.endswith("@college.local>")
    assert msg["To"].addresses[0].display_name == person.full_name
    assert "Здравствуйте, Анна!" in msg.get_body(("plain",)).get_content()
    assert '<html lang="ru">' in msg.get_body(("html",)).get_content()
    assert row.recipients == ["anna@example.test"]


def test_message_in_the_recipients_language(app, make):
    person = make.user("teacher", email="t@example.test", locale="en")
    with app.test_request_context():
        row = mail.queue_mail("mail.test", person, _l("Test message"), "test", {"user": person})
    assert parse(row)["Subject"] == "Test message"
    assert "This is a test message" in parse(row).get_body(("plain",)).get_content()


def test_calendar_invitation_and_attachments(app):
    ics = "BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nBEGIN:VEVENT\r\nUID:e1@college\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    with app.test_request_context():
        row = queue_test(
            calendar=mail.CalendarPart(ics, method="CANCEL"),
            attachments=[mail.Attachment("скриншот.png", b"\x89PNG\r\n\x1a\n", "image/png")],
        )
    msg = parse(row)
    calendar = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_param("method") == "CANCEL"
    assert "UID:e1@college" in calendar.get_content()
    files = {p.get_filename(): p for p in msg.iter_attachments()}
    assert files["скриншот.png"].get_content() == b"\x89PNG\r\n\x1a\n"
    assert files["invite.ics"].get_content_type() == "application/ics"
    with app.test_request_context(), pytest.raises(ValueError):
        queue_test(calendar=mail.CalendarPart(ics, method="DELETE"))


def test_headers_cannot_be_injected_or_overridden(app):
    with app.test_request_context():
        row = queue_test(
            to="eve@example.test",
            headers={"X-Intranet-Ticket": "HD-2026-00001\r\nBcc: x@evil.test"},
            reply_to="Поддержка <help@college.local>",
        )
        msg = parse(row)
        assert msg["X-Intranet-Ticket"] == "HD-2026-00001 Bcc: x@evil.test"
        assert msg["Bcc"] is None
        assert msg["Reply-To"].addresses[0].addr_spec == "help@college.local"
        for bad in ("a@b.test\r\nBcc: x@evil.test", "a@b.test, c@d.test", "nobody", "a@@b.test"):
            with pytest.raises(ValueError):
                queue_test(to=bad)
        with pytest.raises(ValueError):
            queue_test(to=Address("Ева\r\nBcc: x@evil.test", addr_spec="eve@example.test"))
        with pytest.raises(ValueError):
            queue_test(headers={"Bcc": "x@evil.test"})
        with pytest.raises(ValueError):
            queue_test(headers={"X-Bad\nName": "1"})
        with pytest.raises(ValueError):
            mail.queue_mail("no.such.kind", "a@b.test", "x", "test", {"user": PERSON})


def test_long_cyrillic_names_and_subject_fold_and_read_back(app):
    names = ["Петрова Анна Сергеевна", 'Иванов, "Иван"', "Константинопольская-Оглы Ангелина"]
    with app.test_request_context():
        row = mail.queue_mail(
            "mail.test",
            [Address(n, addr_spec=f"p{i}@example.test") for i, n in enumerate(names)],
            "Очень длинная тема письма про демонстрационный экзамен и чемпионат «Профессионалы»",
            "test",
            {"user": PERSON},
        )
    head = row.raw.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    msg = parse(row)
    assert msg["Subject"].startswith("Очень длинная тема") and msg["Subject"].endswith("»")
    got = [(a.display_name.replace(" ", ""), a.addr_spec) for a in msg["To"].addresses]
    assert got == [(n.replace(" ", ""), f"p{i}@example.test") for i, n in enumerate(names)]
    assert row.recipients == [f"p{i}@example.test" for i in range(3)]


@pytest.mark.pg
def test_preferences_decide_who_gets_optional_mail(app, make):
    keen = make.user("student", email="keen@example.test")
    quiet = make.user("student", email="quiet@example.test")
    gone = make.user("student", email="gone@example.test", is_active=False)
    nomail = make.user("student", email=None)
    mail.save_preferences(quiet, {"channels.announcement": False, "events.reminder": True})
    db.session.commit()
    assert mail.preferences(quiet)["channels.announcement"] is False
    assert mail.preferences(keen)["channels.announcement"] is True
    assert "helpdesk.queue" not in mail.preferences(keen)  # offered to admins only
    ids = [keen.id, quiet.id, gone.id, nomail.id]
    assert mail.accepting("channels.announcement", ids) == {keen.id, gone.id, nomail.id}
    with app.test_request_context():
        row = mail.queue_mail(
            "channels.announcement", [keen, quiet, gone, nomail], "x", "test", {"user": PERSON}
        )
        assert row.recipients == ["keen@example.test"]
        assert mail.queue_mail("channels.announcement", quiet, "x", "test", {"user": quiet}) is None
        # Security mail cannot be switched off.
        assert mail.queue_mail("account.password_reset", quiet, "x", "test", {"user": quiet})
    assert "/profile/mail" in parse(row).get_body(("plain",)).get_content()


# --- delivery: claims, outcomes, retries ----------------------------------------------------


class FakeTransport:
    description = "fake"

    def __init__(self, outcomes=None):
        self.outcomes = dict(outcomes or {})  # recipient → exception to raise
        self.sent: list[str] = []
        self.closed = 0

    def send(self, sender, recipients, raw, name):
        error = self.outcomes.get(recipients[0])
        if error is not None:
            raise error
        self.sent.append(recipients[0])
        return {}

    def close(self):
        self.closed += 1


def rows_by_address() -> dict[str, OutboxMessage]:
    db.session.expire_all()
    return {r.recipients[0]: r for r in db.session.scalars(select(OutboxMessage))}


@pytest.mark.pg
def test_claim_takes_a_lease_and_expired_leases_are_taken_again(app):
    with app.test_request_context():
        for n in range(3):
            queue_test(to=f"c{n}@example.test")
        db.session.commit()
    first = delivery.claim("w1", limit=2, lease_seconds=60)
    assert len(first) == 2
    second = delivery.claim("w2", limit=10, lease_seconds=60)
    assert [m.recipients for m in second] == [["c2@example.test"]]
    assert delivery.claim("w3", limit=10, lease_seconds=60) == []
    rows = rows_by_address()
    assert {r.status for r in rows.values()} == {OutboxStatus.SENDING}
    assert rows["c0@example.test"].claimed_by == "w1"
    # w1 dies: once its lease runs out, another worker takes its messages.
    rows["c0@example.test"].lease_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    again = delivery.claim("w3", limit=10, lease_seconds=60)
    assert [m.recipients for m in again] == [["c0@example.test"]]
    assert again[0].message_id == first[0].message_id and again[0].raw == first[0].raw


@pytest.mark.pg
def test_outcomes_sent_retry_dead_and_released(app):
    with app.test_request_context():
        for name in ("ok", "busy", "gone", "later"):
            queue_test(to=f"{name}@example.test")
        db.session.commit()
    transport = FakeTransport(
        {
            "busy@example.test": DeliveryFailure("451 try later", permanent=False),
            "gone@example.test": DeliveryFailure("550 no such user", permanent=True),
        }
    )
    stops = iter([False, False, False, True])
    result = delivery.deliver_batch(
        transport, worker_id="w1", settings=SETTINGS, should_stop=lambda: next(stops)
    )
    assert (result.claimed, result.sent, result.retried, result.dead) == (4, 1, 1, 1)
    assert result.released == 1 and transport.closed == 1
    rows = rows_by_address()
    assert rows["ok@example.test"].status is OutboxStatus.SENT
    assert rows["ok@example.test"].sent_at is not None and rows["ok@example.test"].attempts == 1
    busy = rows["busy@example.test"]
    assert busy.status is OutboxStatus.RETRY and busy.attempts == 1
    assert busy.last_error == "451 try later"
    delay = (busy.next_attempt_at - busy.last_attempt_at).total_seconds()
    assert 5 <= delay <= 10.5  # the base, jittered down to half
    assert rows["gone@example.test"].status is OutboxStatus.DEAD
    later = rows["later@example.test"]
    assert later.status is OutboxStatus.PENDING and later.lease_until is None


@pytest.mark.pg
def test_too_many_temporary_failures_make_a_message_dead(app):
    with app.test_request_context():
        queue_test(to="flaky@example.test")
        db.session.commit()
    transport = FakeTransport({"flaky@example.test": DeliveryFailure("421 busy", permanent=False)})
    for _ in range(SETTINGS.max_attempts):
        row = rows_by_address()["flaky@example.test"]
        row.next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        delivery.deliver_batch(transport, worker_id="w1", settings=SETTINGS)
    row = rows_by_address()["flaky@example.test"]
    assert row.status is OutboxStatus.DEAD and row.attempts == SETTINGS.max_attempts


@pytest.mark.pg
def test_unreachable_server_puts_the_whole_batch_back_to_wait(app):
    with app.test_request_context():
        for n in range(3):
            queue_test(to=f"d{n}@example.test")
        db.session.commit()
    transport = FakeTransport({"d0@example.test": ConnectionFailure("connection refused")})
    result = delivery.deliver_batch(transport, worker_id="w1", settings=SETTINGS)
    assert (result.sent, result.retried) == (0, 3)
    assert {r.status for r in rows_by_address().values()} == {OutboxStatus.RETRY}
    assert transport.sent == []


def test_backoff_doubles_with_jitter_up_to_the_cap():
    for attempt, full in ((1, 10), (2, 20), (3, 40), (4, 40), (9, 40)):
        for _ in range(20):
            assert full / 2 <= delivery.backoff(attempt, SETTINGS) <= full


@pytest.mark.pg
def test_purge_keeps_recent_and_unsent_messages(app, make):
    old = utcnow() - timedelta(days=200)
    make.outbox_message("sent", sent_at=old, created_at=old)
    make.outbox_message("sent")
    make.outbox_message("dead", created_at=old)
    assert delivery.purge_sent() == 1
    assert count_rows() == 2


def test_smtp_transport_reuses_one_connection_per_batch(app, smtp):
    with app.test_request_context():
        for n in range(4):
            queue_test(to=f"s{n}@example.test")
        db.session.commit()
    transport = SMTPTransport("127.0.0.1", smtp.port, timeout=5)
    result = delivery.deliver_batch(transport, worker_id="w1", settings=SETTINGS)
    assert result.sent == 4
    assert smtp.recorder.connections == 1
    assert len(smtp.recorder.messages) == 4


def test_file_transport_overwrites_a_resend(tmp_path):
    transport = FileTransport(tmp_path / "mail")
    for _ in range(2):
        transport.send("a@b.test", ["c@d.test"], b"Subject: x\r\n\r\nbody\r\n", "00000001-<x@y>")
    assert [p.name for p in (tmp_path / "mail").iterdir()] == ["00000001-_x_y.eml"]


# --- the job registry -----------------------------------------------------------------------


@pytest.fixture
def job_registry(monkeypatch):
    monkeypatch.setattr(jobs, "JOBS", {})
    return jobs


@pytest.mark.pg
def test_a_job_runs_in_one_worker_per_period(app, job_registry):
    calls = []
    job_registry.register_job("test.count", 60, lambda: calls.append(1))
    first, second = jobs.JobRunner("w1"), jobs.JobRunner("w2")
    assert first.run_due() == ["test.count"]
    assert second.run_due() == []  # not due again for a minute
    run = db.session.get(JobRun, "test.count")
    assert run.run_count == 1 and run.lease_until is None and run.last_error is None
    run.next_run_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    # A runner remembers when the job is next due and does not ask before then.
    assert second.run_due() == []
    assert jobs.JobRunner("w3").run_due() == ["test.count"]
    assert len(calls) == 2


@pytest.mark.pg
def test_a_held_lease_keeps_other_workers_off(app, job_registry):
    job_registry.register_job("test.held", 60, lambda: None, lease_seconds=600)
    now = utcnow()
    db.session.add(
        JobRun(
            name="test.held",
            next_run_at=now,
            lease_until=now + timedelta(minutes=5),
            claimed_by="w1",
            run_count=0,
        )
    )
    db.session.commit()
    assert jobs.JobRunner("w2").run_due() == []
    db.session.get(JobRun, "test.held").lease_until = now - timedelta(seconds=1)
    db.session.commit()
    assert jobs.JobRunner("w2").run_due() == ["test.held"]


@pytest.mark.pg
def test_a_failing_job_is_rolled_back_and_its_error_kept(app, job_registry, make):
    def broken():
        make.outbox_message(commit=False)
        raise RuntimeError("boom")

    job_registry.register_job("test.broken", 30, broken)
    assert jobs.JobRunner("w1").run_due() == ["test.broken"]
    run = db.session.get(JobRun, "test.broken")
    assert run.last_error == "RuntimeError: boom" and run.lease_until is None
    assert count_rows() == 0
    with pytest.raises(ValueError):
        job_registry.register_job("test.never", 0, lambda: None)


def test_a_stored_address_that_is_not_one_is_left_out(app, make):
    good = make.user("student", email="good@example.test")
    broken = make.user("student", email="broken@localhost")
    with app.test_request_context():
        row = mail.queue_mail("mail.test", [broken, good], "x", "test", {"user": PERSON})
        assert row.recipients == ["good@example.test"]
        assert mail.queue_mail("mail.test", broken, "x", "test", {"user": PERSON}) is None
