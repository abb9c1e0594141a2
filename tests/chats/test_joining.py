"""Students' and parents' home pages list the chats they should be in, with links and QR codes;
a parent with several children switches between them."""

from __future__ import annotations

import base64
from datetime import date

import pytest

from intranet.extensions import db
from intranet.models import ExtracurricularMember
from intranet.services import chats
from intranet.services.errors import NotFound
from tests.onboarding import helpers as h


@pytest.mark.pg
def test_student_and_parent_get_their_groups_chats(app, make):
    student, parent, tutor = make.user("student"), make.user("parent"), make.user("tutor")
    grp, other = make.group(), make.group()
    make.enroll(student, grp)
    make.guardian(parent, student)
    students = make.chat(tutor, "tutor_students", group=grp, title="Группа")
    parents = make.chat(tutor, "tutor_parents", group=grp, title="Родители")
    make.chat(tutor, "tutor_students", group=grp, status="archived")
    make.chat(tutor, "tutor_students", group=other)
    make.chat(tutor, "tutor_teachers", group=grp)
    today = date.today()
    mine = chats.joinable_for(student, today)
    assert [c.id for c, _ in mine.own] == [students.id]
    assert mine.children == [] and mine.child_items == []
    qr = mine.own[0][1]
    assert qr.startswith("data:image/svg+xml;base64,")
    assert b"<svg" in base64.b64decode(qr.split(",", 1)[1])
    theirs = chats.joinable_for(parent, today)
    assert theirs.own == []
    assert theirs.child_id == student.id
    assert theirs.child_name == f"{student.first_name} {student.last_name}"
    assert [c.id for c, _ in theirs.child_items] == [parents.id]


@pytest.mark.pg
def test_a_student_gets_the_discipline_and_club_chats_but_not_an_inactive_clubs(app, make):
    student, teacher = make.user("student"), make.user("teacher")
    grp = make.group()
    make.enroll(student, grp)
    algo = make.discipline()
    make.teaches(teacher, grp, algo)
    lesson = make.chat(teacher, "teacher_group_discipline", group=grp, discipline=algo)
    club, closed, foreign = h.club(leader=teacher), h.club(leader=teacher), h.club(leader=teacher)
    closed.is_active = False
    for c in (club, closed):
        db.session.add(
            ExtracurricularMember(group_id=c.id, user_id=student.id, joined_on=date.today())
        )
    db.session.flush()
    club_chat = make.chat(teacher, "teacher_extracurricular", club=club)
    make.chat(teacher, "teacher_extracurricular", club=closed)
    make.chat(teacher, "teacher_extracurricular", club=foreign)  # not a member
    got = {c.id for c, _ in chats.joinable_for(student, date.today()).own}
    assert got == {lesson.id, club_chat.id}


@pytest.mark.pg
def test_a_parent_of_two_switches_between_children_and_cannot_pick_a_stranger(app, make):
    parent, tutor = make.user("parent"), make.user("tutor")
    older = make.user("student", last_name="Аганина")
    younger = make.user("student", last_name="Яковлев")
    stranger = make.user("student")
    pending = make.user("student")
    g1, g2 = make.group(), make.group()
    make.enroll(older, g1)
    make.enroll(younger, g2)
    make.enroll(stranger, g2)
    make.guardian(parent, older)
    make.guardian(parent, younger)
    make.guardian(parent, pending, confirmed=False)
    first = make.chat(tutor, "tutor_parents", group=g1)
    second = make.chat(tutor, "tutor_parents", group=g2)
    today = date.today()
    default = chats.joinable_for(parent, today)
    assert [cid for cid, _ in default.children] == [older.id, younger.id]
    assert default.child_id == older.id
    assert [c.id for c, _ in default.child_items] == [first.id]
    other = chats.joinable_for(parent, today, younger.id)
    assert [c.id for c, _ in other.child_items] == [second.id]
    for not_mine in (stranger.id, pending.id, 999_999):
        with pytest.raises(NotFound):
            chats.joinable_for(parent, today, not_mine)


def test_parent_home_page_shows_the_link_and_code(client, login_as, make):
    parent = login_as("parent")
    student = make.user("student")
    grp = make.group()
    make.enroll(student, grp)
    make.guardian(parent, student)
    chat = make.chat(make.user("tutor"), "tutor_parents", group=grp, title="Родители ИСП")
    page = client.get("/")
    assert page.status_code == 200
    assert chat.invite_url in page.text
    assert 'src="data:image/svg+xml;base64,' in page.text
    assert "Мои чаты в мессенджере" in page.text
    assert "Чьи чаты показать" not in page.text  # one child: no switch


def test_parent_home_page_switches_child_and_refuses_others(client, login_as, make):
    parent = login_as("parent")
    tutor = make.user("tutor")
    a, b = make.user("student", first_name="Анна"), make.user("student", first_name="Борис")
    stranger = make.user("student")
    g1, g2 = make.group(), make.group()
    make.enroll(a, g1)
    make.enroll(b, g2)
    make.enroll(stranger, g1)
    make.guardian(parent, a)
    make.guardian(parent, b)
    chat_a = make.chat(tutor, "tutor_parents", group=g1, title="Родители первой группы")
    chat_b = make.chat(tutor, "tutor_parents", group=g2, title="Родители второй группы")
    first = client.get("/")
    assert chat_a.invite_url in first.text and chat_b.invite_url not in first.text
    assert f"/?child={b.id}#chats" in first.text and "Чьи чаты показать" in first.text
    switched = client.get(f"/?child={b.id}")
    assert switched.status_code == 200
    assert chat_b.invite_url in switched.text and chat_a.invite_url not in switched.text
    assert client.get(f"/?child={stranger.id}").status_code == 404
    assert client.get("/?child=abc").status_code == 404


def test_a_teacher_cannot_use_the_child_switch(client, login_as, make):
    login_as("teacher")
    assert client.get(f"/?child={make.user('student').id}").status_code == 404


def test_student_without_chats_sees_why(client, login_as, make):
    student = login_as("student")
    make.enroll(student, make.group())
    assert "Чатов пока нет" in client.get("/").text
