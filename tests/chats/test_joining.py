"""Students' and parents' home pages list the chats they should be in, with links and QR codes."""

from __future__ import annotations

import base64
from datetime import date

import pytest

from intranet.services import chats


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
    ((whom, items),) = chats.joinable_for(student, today)
    assert [c.id for c, _ in items] == [students.id]
    qr = items[0][1]
    assert qr.startswith("data:image/svg+xml;base64,")
    assert b"<svg" in base64.b64decode(qr.split(",", 1)[1])
    ((whom, items),) = chats.joinable_for(parent, today)
    assert whom == f"{student.first_name} {student.last_name}"
    assert [c.id for c, _ in items] == [parents.id]


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


def test_student_without_chats_sees_why(client, login_as, make):
    student = login_as("student")
    make.enroll(student, make.group())
    assert "Чатов пока нет" in client.get("/").text
