"""The weekly digest of missing chats: one letter per keeper, at most once a week, opt-out."""

from __future__ import annotations

from datetime import date, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from intranet.extensions import db
from intranet.jobs import JOBS
from intranet.models import ChatDigestSent, OutboxMessage
from intranet.services import mail
from intranet.services.chats import digest

pytestmark = pytest.mark.pg
TODAY = date(2026, 11, 2)


def letters() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def text_of(message: OutboxMessage) -> str:
    return message_from_bytes(message.raw, policy=policy.default).get_body(("plain",)).get_content()


def test_keepers_with_missing_chats_get_one_letter_a_week(app, make):
    tutor, done_tutor = make.user("tutor"), make.user("tutor")
    grp, full = make.group(name="ИСП-24-6"), make.group()
    make.tutor_of(tutor, grp)
    make.tutor_of(done_tutor, full)
    make.chat(tutor, "tutor_students", group=grp)
    for kind in ("tutor_students", "tutor_parents", "tutor_teachers"):
        make.chat(done_tutor, kind, group=full)
    make.group()  # no tutor: nobody to write to
    assert digest.send_digests(TODAY) == 1
    (letter,) = letters()
    assert letter.recipients == [tutor.email]
    assert letter.kind == "chats.digest"
    body = text_of(letter)
    assert "1 из 3" in body
    assert "Тьютор с родителями группы — ИСП-24-6" in body
    assert "/chats/compliance" in body
    assert "Тьютор с обучающимися группы" not in body
    # The job again, the same week: nothing more.
    assert digest.send_digests(TODAY) == 0
    assert len(letters()) == 1
    # A week later, still missing: another letter.
    row = db.session.get(ChatDigestSent, tutor.id)
    row.sent_at -= timedelta(days=7)
    db.session.flush()
    assert digest.send_digests(TODAY) == 1
    assert len(letters()) == 2


def test_a_keeper_who_opted_out_or_an_unconfirmed_teacher_gets_nothing(app, make):
    tutor = make.user("tutor")
    pending = make.user("teacher", confirmed=False)
    grp = make.group()
    make.tutor_of(tutor, grp)
    make.teaches(pending, grp, make.discipline())
    kinds = {k.key for k in mail.kinds_for(tutor)}
    assert "chats.digest" in kinds
    mail.save_preferences(tutor, {"chats.digest": False})
    assert digest.send_digests(TODAY) == 0
    assert letters() == []
    assert "chats.digest" not in {k.key for k in mail.kinds_for(make.user("student"))}


def test_the_job_is_registered_for_the_worker(app):
    assert digest.JOB in JOBS
    assert JOBS[digest.JOB].every_seconds <= 24 * 3600


def test_opt_out_on_the_mail_settings_page(client, login_as):
    tutor = login_as("tutor")
    page = client.get("/profile/mail")
    assert page.status_code == 200
    assert 'name="kind_chats__digest"' in page.text
    assert "Еженедельное напоминание о чатах" in page.text
    assert mail.preferences(tutor)["chats.digest"] is True
    saved = client.post("/profile/mail", data={"submit": "1"})  # every box unticked
    assert saved.status_code == 302
    assert mail.preferences(tutor)["chats.digest"] is False
