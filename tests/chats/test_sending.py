"""A tutor or teacher sends the group's chat links by e-mail and prints them as QR codes, and
sees who has been sent which."""

from __future__ import annotations

from datetime import date
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from intranet.extensions import db
from intranet.models import ChatLinkSent, OutboxMessage
from intranet.services.chats import sending
from intranet.services.errors import PermissionDenied

TODAY = date.today()


def outbox() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def body(message: OutboxMessage) -> str:
    parsed = message_from_bytes(message.raw, policy=policy.default)
    return parsed.get_body(("plain",)).get_content()


def class_of(make):
    """A tutored group with two students (one without e-mail), a parent, and a teacher."""
    tutor, teacher = make.user("tutor"), make.user("teacher")
    grp = make.group(name="ИСП-24-5")
    make.tutor_of(tutor, grp)
    algo = make.discipline()
    make.teaches(teacher, grp, algo)
    anna = make.user("student", first_name="Анна", last_name="Алова")
    boris = make.user("student", first_name="Борис", last_name="Борисов", email=None)
    mother = make.user("parent", first_name="Мария", last_name="Алова")
    for s in (anna, boris):
        make.enroll(s, grp)
    make.guardian(mother, anna)
    return tutor, teacher, grp, algo, anna, boris, mother


@pytest.mark.pg
def test_tutor_sends_students_and_parents_their_chats_once(app, make):
    tutor, teacher, grp, algo, anna, boris, mother = class_of(make)
    group_chat = make.chat(tutor, "tutor_students", group=grp, title="ИСП-24-5 студенты")
    parents_chat = make.chat(tutor, "tutor_parents", group=grp, title="ИСП-24-5 родители")
    make.chat(tutor, "tutor_teachers", group=grp)  # for teachers: not sent
    make.chat(teacher, "teacher_group_discipline", group=grp, discipline=algo)  # not the tutor's
    roster = sending.roster(tutor, grp, TODAY)
    assert [c.id for c in roster.chats] == [group_chat.id, parents_chat.id]
    assert [(a.person.id, [c.id for c in a.chats]) for a in roster.people] == [
        (anna.id, [group_chat.id]),
        (mother.id, [parents_chat.id]),
        (boris.id, [group_chat.id]),
    ]
    assert roster.counts() == {"sent": 0, "no_email": 1, "not_sent": 2}

    queued, without = sending.send(tutor, grp, TODAY)
    assert (queued, without) == (2, 1)
    letters = outbox()
    assert [m.recipients for m in letters] == [[anna.email], [mother.email]]
    assert group_chat.invite_url in body(letters[0])
    assert parents_chat.invite_url in body(letters[1])
    assert group_chat.invite_url not in body(letters[1])
    after = sending.roster(tutor, grp, TODAY)
    states = {(a.person.id, c.id): a.state(c) for a in after.people for c in a.chats}
    assert states == {
        (anna.id, group_chat.id): "sent",
        (mother.id, parents_chat.id): "sent",
        (boris.id, group_chat.id): "no_email",
    }
    row = db.session.scalar(select(ChatLinkSent).where(ChatLinkSent.user_id == anna.id))
    assert row.sent_by_id == tutor.id and row.times == 1

    # Nothing new: nothing sent again; asked to resend: everyone with an address again.
    assert sending.send(tutor, grp, TODAY) == (0, 1)
    assert len(outbox()) == 2
    assert sending.send(tutor, grp, TODAY, resend=True) == (2, 1)
    assert len(outbox()) == 4
    db.session.refresh(row)
    assert row.times == 2


@pytest.mark.pg
def test_a_new_chat_reaches_only_that_link_and_a_teacher_sends_their_own(app, make):
    tutor, teacher, grp, algo, anna, boris, mother = class_of(make)
    make.chat(tutor, "tutor_students", group=grp)
    sending.send(tutor, grp, TODAY)
    lesson = make.chat(teacher, "teacher_group_discipline", group=grp, discipline=algo)
    theirs = sending.roster(teacher, grp, TODAY)
    assert [c.id for c in theirs.chats] == [lesson.id]
    assert mother.id not in {a.person.id for a in theirs.people}  # no chat of theirs for her
    assert sending.send(teacher, grp, TODAY) == (1, 1)  # Анна; Борис has no address
    last = outbox()[-1]
    assert last.recipients == [anna.email] and lesson.invite_url in body(last)


@pytest.mark.pg
def test_a_transferred_student_and_an_archived_chat_are_left_out(app, make):
    tutor, teacher, grp, algo, anna, boris, mother = class_of(make)
    gone = make.user("student")
    old = make.enroll(gone, grp, starts_on=date(2024, 9, 1))
    old.ends_on = date(2025, 6, 30)
    make.chat(tutor, "tutor_students", group=grp, status="archived")
    roster = sending.roster(tutor, grp, TODAY)
    assert roster.chats == []
    assert gone.id not in {a.person.id for a in roster.people}
    assert sending.send(tutor, grp, TODAY) == (0, 0)
    assert outbox() == []


@pytest.mark.pg
def test_someone_elses_group_is_refused(app, make):
    tutor, teacher, grp, *_ = class_of(make)
    other = make.group()
    with pytest.raises(PermissionDenied):
        sending.send(tutor, other, TODAY)
    with pytest.raises(PermissionDenied):
        sending.send(make.user("parent"), grp, TODAY)


def test_links_page_shows_states_and_sends(client, login_as, make):
    tutor = login_as("tutor")
    grp = make.group(name="ИСП-24-8")
    make.tutor_of(tutor, grp)
    anna = make.user("student", first_name="Анна", last_name="Алова")
    boris = make.user("student", first_name="Борис", last_name="Борисов", email=None)
    make.enroll(anna, grp)
    make.enroll(boris, grp)
    make.chat(tutor, "tutor_students", group=grp, title="Чат ИСП-24-8")
    page = client.get(f"/chats/groups/{grp.id}/links")
    assert page.status_code == 200
    assert "Отправлено: 0 · нет e-mail: 1 · ещё не отправлено: 1." in page.text
    assert ">не отправлено<" in page.text and ">нет e-mail<" in page.text
    sent = client.post(f"/chats/groups/{grp.id}/links", data={}, follow_redirects=True)
    assert sent.status_code == 200
    assert "1 письмо со ссылками на чаты поставлено в очередь" in sent.text
    assert "Отправлено: 1 · нет e-mail: 1 · ещё не отправлено: 0." in sent.text
    assert ">не отправлено<" not in sent.text
    assert "нет адреса электронной почты" in sent.text
    assert [m.recipients for m in outbox()] == [[anna.email]]
    index = client.get("/chats/")
    assert f"/chats/groups/{grp.id}/links" in index.text


def test_sheet_lists_the_students_with_the_codes(client, login_as, make):
    tutor = login_as("tutor")
    grp = make.group()
    make.tutor_of(tutor, grp)
    anna = make.user("student", first_name="Анна", last_name="Алова")
    make.enroll(anna, grp)
    make.chat(tutor, "tutor_students", group=grp, title="Студенты")
    make.chat(tutor, "tutor_parents", group=grp, title="Родители")
    page = client.get(f"/chats/groups/{grp.id}/sheet")
    assert page.status_code == 200
    assert anna.full_name in page.text
    assert page.text.count('src="data:image/svg+xml;base64,') == 2
    assert "Для родителей" in page.text
    assert "css/chats.css" in page.text


def test_other_groups_links_and_sheet_are_forbidden(client, login_as, make):
    tutor = login_as("tutor")
    make.tutor_of(tutor, make.group())
    other = make.group()
    assert client.get(f"/chats/groups/{other.id}/links").status_code == 403
    assert client.post(f"/chats/groups/{other.id}/links").status_code == 403
    assert client.get(f"/chats/groups/{other.id}/sheet").status_code == 403
    assert client.get("/chats/groups/999999/sheet").status_code == 404
