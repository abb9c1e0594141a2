"""The worker as a real subprocess against a real SMTP server: delivery, retries, failures,
kills, header injection, .eml files, and two workers on PostgreSQL."""

from __future__ import annotations

import signal
import time
from collections import Counter
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from intranet.extensions import db
from intranet.models import OutboxMessage, OutboxStatus
from intranet.services.mail import queue_mail
from tests.mail.conftest import wait_for

pytestmark = pytest.mark.slow
PERSON = SimpleNamespace(first_name="Анна")


def queue(store, addresses, *, subject="Проверка", commit=True) -> list[str]:
    """Queue one message per address in the store's database; returns their Message-IDs."""
    ids = []
    with store.context():
        for address in addresses:
            row = queue_mail("mail.test", address, subject, "test", {"user": PERSON})
            ids.append(row.message_id)
        if commit:
            db.session.commit()
        else:
            db.session.rollback()
    return ids


def queue_many(store, count: int) -> list[str]:
    """Queue many messages at once (one INSERT statement), built as queue_mail builds them."""
    from sqlalchemy import insert

    from intranet.models.base import utcnow
    from intranet.services.mail import build_message, new_message_id, parse_address

    with store.context():
        sender = parse_address(store.app.config["MAIL_SENDER"])
        rows = []
        for n in range(count):
            message_id, now = new_message_id("bulk"), utcnow()
            to = parse_address(f"Получатель {n} <n{n}@example.test>")
            raw = build_message(
                sender=sender,
                to=[to],
                subject=f"Письмо {n}",
                text="Текст.\n",
                message_id=message_id,
                date=now,
            ).as_bytes()
            rows.append(
                {
                    "message_id": message_id,
                    "kind": "mail.test",
                    "sender": sender.addr_spec,
                    "recipients": [to.addr_spec],
                    "subject": f"Письмо {n}",
                    "raw": raw,
                    "size": len(raw),
                    "created_at": now,
                    "next_attempt_at": now,
                }
            )
        db.session.execute(insert(OutboxMessage), rows)
        db.session.commit()
    return [r["message_id"] for r in rows]


def statuses(store) -> dict[str, OutboxStatus]:
    with store.context():
        rows = db.session.execute(select(OutboxMessage.message_id, OutboxMessage.status)).all()
        db.session.rollback()
    return dict(rows)


def test_delivered_once_and_a_rolled_back_transaction_sends_nothing(mail_db, smtp, start_worker):
    sent = queue(mail_db, [f"student{n}@example.test" for n in range(5)])
    queue(mail_db, ["ghost@example.test"], commit=False)  # the business transaction failed
    evil = queue_evil(mail_db)

    out = start_worker(mail_db, "--drain", "--max-seconds", "30", smtp_port=smtp.port).wait()

    received = {m.message_id: m for m in smtp.recorder.messages}
    assert sorted(smtp.recorder.ids()) == sorted([*sent, evil]), out
    assert all(m.recipients != ["ghost@example.test"] for m in received.values())
    first = received[sent[0]].message
    assert first["Auto-Submitted"] == "auto-generated"
    assert first["From"].addresses[0].addr_spec == "intranet@college.local"
    assert {p.get_content_type() for p in first.walk()} >= {"text/plain", "text/html"}
    assert "Здравствуйте, Анна!" in first.get_body(("plain",)).get_content()
    assert set(statuses(mail_db).values()) == {OutboxStatus.SENT}
    assert "sent=6" in out
    check_no_injection(received[evil])


def queue_evil(store) -> str:
    """Names and subjects come from users: try to start new headers with line breaks."""
    from tests import factories

    with store.context():
        person = factories.user(
            "student",
            first_name="Мария\r\nBcc: victim@evil.test",
            last_name="Ложкина\nX-Injected: yes",
            email="maria@example.test",
        )
        row = queue_mail(
            "mail.test",
            person,
            "Привет\r\nBcc: victim@evil.test\nX-Injected: yes",
            "test",
            {"user": person},
        )
        assert row.recipients == ["maria@example.test"]
        db.session.commit()
        return row.message_id


def check_no_injection(received) -> None:
    assert received.recipients == ["maria@example.test"]
    message = received.message
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert message["Subject"] == "Привет Bcc: victim@evil.test X-Injected: yes"
    assert message["To"].addresses[0].addr_spec == "maria@example.test"
    # (Python's parser keeps the folding space inside a long encoded name; clients do not.)
    assert "victim@evil.test" in message["To"].addresses[0].display_name.replace(" ", "")
    assert b"\r\nBcc:" not in received.data and b"\nX-Injected" not in received.data


def test_server_down_then_up_delivers_after_retry(mail_db, smtp, start_worker):
    ids = queue(mail_db, ["late@example.test"])
    smtp.stop()
    worker = start_worker(
        mail_db,
        "--drain",
        "--max-seconds",
        "40",
        smtp_port=smtp.port,
        INTRANET_MAIL_MAX_ATTEMPTS="50",
    )

    def retried() -> bool:
        with mail_db.context():
            status, attempts = db.session.execute(
                select(OutboxMessage.status, OutboxMessage.attempts)
            ).one()
            db.session.rollback()
        return status is OutboxStatus.RETRY and attempts >= 1

    wait_for(retried, what="a failed attempt while the server is down")
    with mail_db.context():
        row = db.session.scalar(select(OutboxMessage))
        assert "Connection refused" in row.last_error or "cannot connect" in row.last_error
    smtp.start()
    out = worker.wait()
    assert smtp.recorder.ids() == ids, out
    assert statuses(mail_db) == {ids[0]: OutboxStatus.SENT}


def test_temporary_replies_are_retried_and_550_is_dead_and_shown(
    mail_db, smtp, start_worker, login_mail_admin
):
    rec = smtp.recorder
    rec.rcpt_first["busy@example.test"] = ["421 4.3.2 Service not available, closing channel"]
    rec.data_first["greylisted@example.test"] = ["451 4.7.1 Greylisted, try again later"]
    rec.always["nobody@example.test"] = "550 5.1.1 No such user here"
    busy, grey, nobody, fine = queue(
        mail_db,
        ["busy@example.test", "greylisted@example.test", "nobody@example.test", "ok@example.test"],
    )

    out = start_worker(mail_db, "--drain", "--max-seconds", "30", smtp_port=smtp.port).wait()

    assert Counter(rec.ids()) == Counter([busy, grey, fine]), out
    final = statuses(mail_db)
    assert final[busy] == final[grey] == final[fine] == OutboxStatus.SENT
    assert final[nobody] == OutboxStatus.DEAD
    with mail_db.context():
        dead = db.session.scalar(select(OutboxMessage).where(OutboxMessage.message_id == nobody))
        retried = db.session.scalar(select(OutboxMessage).where(OutboxMessage.message_id == busy))
        assert dead.attempts == 1 and "550" in dead.last_error
        assert retried.attempts == 2
        dead_id = dead.id
    # The failure is visible to admins, with the server's answer, and can be retried.
    client = login_mail_admin(mail_db)
    page = client.get("/admin/mail/?status=dead")
    assert page.status_code == 200
    assert "nobody@example.test" in page.text and "550 5.1.1 No such user here" in page.text
    assert "ok@example.test" not in page.text
    assert client.post(f"/admin/mail/{dead_id}/retry").status_code == 302
    assert statuses(mail_db)[nobody] == OutboxStatus.PENDING


def test_sigkill_mid_batch_loses_nothing_and_resends_with_the_same_message_id(
    mail_db, smtp, start_worker
):
    """Two kills: one right after the server accepted a message (before the worker heard the
    reply), one at a random moment of a batch. Nothing is lost; duplicates ≤ kills."""
    ids = queue_many(mail_db, 150)
    rec = smtp.recorder
    rec.hold_at = 30

    first = start_worker(mail_db, smtp_port=smtp.port)
    assert rec.held.wait(30), first.output()
    first.kill(signal.SIGKILL)
    first.proc.wait()
    rec.release.set()
    held_id = rec.messages[29].message_id
    with mail_db.context():
        claimed = db.session.scalar(
            select(func.count()).where(OutboxMessage.status == OutboxStatus.SENDING)
        )
        db.session.rollback()
    assert claimed > 0  # killed mid-batch: a claim is left behind, to expire

    second = start_worker(mail_db, smtp_port=smtp.port)
    wait_for(lambda: rec.count() >= 90, timeout=30, what="the second worker to deliver")
    second.kill(signal.SIGKILL)
    second.proc.wait()

    out = start_worker(mail_db, "--drain", "--max-seconds", "40", smtp_port=smtp.port).wait()
    received = Counter(rec.ids())
    lost = set(ids) - set(received)
    duplicates = sum(n - 1 for n in received.values())
    print(f"fault test: sent={len(received)} lost={len(lost)} duplicates={duplicates} kills=2")
    assert not lost, out
    assert set(received) == set(ids)
    assert received[held_id] == 2  # resent, with the same Message-ID
    assert duplicates <= 2
    assert set(statuses(mail_db).values()) == {OutboxStatus.SENT}


def test_sigterm_finishes_the_message_in_hand_and_releases_the_rest(mail_db, smtp, start_worker):
    queue(mail_db, [f"t{n}@example.test" for n in range(40)])
    rec = smtp.recorder
    rec.hold_at = 5
    worker = start_worker(mail_db, smtp_port=smtp.port, INTRANET_MAIL_LEASE_SECONDS="600")
    assert rec.held.wait(30), worker.output()
    worker.kill(signal.SIGTERM)
    time.sleep(0.3)
    rec.release.set()
    out = worker.wait(20)
    assert worker.proc.returncode == 0, out
    final = Counter(statuses(mail_db).values())
    # The held message was finished and recorded; the rest of the claim was given back
    # (not left "sending" for ten minutes).
    assert final[OutboxStatus.SENT] == rec.count() == 5, out
    assert final[OutboxStatus.SENDING] == 0
    assert final[OutboxStatus.PENDING] == 35


def test_file_transport_writes_eml(mail_db):
    """Without MAIL_SERVER the worker writes .eml files (run in-process here)."""
    from intranet.worker import Worker

    ids = queue(mail_db, ["files@example.test", "files2@example.test"])
    with mail_db.context():
        totals = Worker(mail_db.app).run(drain=True, max_seconds=20)
    assert totals.sent == 2
    files = sorted(mail_db.mail_dir.glob("*.eml"))
    assert len(files) == 2
    texts = [f.read_bytes() for f in files]
    assert all(any(i.encode() in t for t in texts) for i in ids)
    assert b"Auto-Submitted: auto-generated" in texts[0]
    assert not list(mail_db.mail_dir.glob(".tmp-*"))
    assert set(statuses(mail_db).values()) == {OutboxStatus.SENT}


@pytest.mark.pg
def test_two_workers_on_postgresql_deliver_each_of_1000_messages_once(
    pg_mail_db, smtp, start_worker
):
    ids = queue_many(pg_mail_db, 1000)
    workers = [
        start_worker(
            pg_mail_db,
            "--drain",
            "--max-seconds",
            "60",
            smtp_port=smtp.port,
            INTRANET_MAIL_LEASE_SECONDS="120",
        )
        for _ in range(2)
    ]
    outputs = [w.wait(70) for w in workers]
    received = Counter(smtp.recorder.ids())
    duplicates = sum(n - 1 for n in received.values())
    with pg_mail_db.context():
        by_worker = Counter(db.session.scalars(select(OutboxMessage.claimed_by)))
        db.session.rollback()
    print(f"two workers: sent={len(received)} duplicates={duplicates} by worker={by_worker}")
    assert set(received) == set(ids), outputs
    assert duplicates == 0
    assert set(statuses(pg_mail_db).values()) == {OutboxStatus.SENT}
