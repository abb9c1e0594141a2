"""Registry pages: registering a chat through the form, errors in Russian, the lists."""

from __future__ import annotations

import re

from sqlalchemy import select

from intranet.extensions import db
from intranet.models import Chat


def test_tutor_registers_a_chat_through_the_form(client, login_as, make):
    tutor = login_as("tutor")
    grp = make.group(name="ИСП-24-7")
    make.tutor_of(tutor, grp)
    page = client.get("/chats/new")
    assert page.status_code == 200
    assert "ИСП-24-7" in page.text
    response = client.post(
        "/chats/new",
        data={
            "kind": "tutor_students",
            "title": "ИСП-24-7 — обучающиеся",
            "group_id": str(grp.id),
            "invite_url": "https://sferum.ru/?call_link=xyz",
            "platform": "vk",
            "status": "active",
            "member_count": "24",
        },
    )
    assert response.status_code == 302
    chat = db.session.scalar(select(Chat).where(Chat.owner_id == tutor.id))
    assert chat.group_id == grp.id and chat.member_count == 24
    shown = client.get(response.headers["Location"])
    assert "https://sferum.ru/?call_link=xyz" in shown.text
    assert "Тьютор с обучающимися группы" in shown.text
    listed = client.get("/chats/")
    assert "ИСП-24-7 — обучающиеся" in listed.text


def test_a_bad_link_is_explained_and_the_entry_kept(client, login_as):
    login_as("head")
    response = client.post(
        "/chats/new",
        data={
            "kind": "head_deputies",
            "title": "Заместители",
            "invite_url": "http://example.ru/chat",
            "platform": "vk",
            "status": "active",
        },
    )
    assert response.status_code == 200
    assert "https://" in response.text and "начинающуюся" in response.text
    assert 'value="Заместители"' in response.text
    assert db.session.scalar(select(Chat.id)) is None


def test_a_wrong_number_is_a_message_not_a_500(client, login_as):
    login_as("head")
    response = client.post(
        "/chats/new",
        data={
            "kind": "other",
            "title": "Чат",
            "invite_url": "https://sferum.ru/x",
            "member_count": "много",
            "created_on": "31.02.2026",
            "platform": "nope",
            "status": "active",
        },
    )
    assert response.status_code == 200
    assert db.session.scalar(select(Chat.id)) is None


def test_admin_sees_everyone_and_can_switch_to_own(client, login_as, make):
    make.chat(make.user("tutor"), title="Чат тьютора")
    login_as("admin")
    assert "Чат тьютора" in client.get("/chats/").text
    assert "Чат тьютора" not in client.get("/chats/?mine=1").text


def test_tutor_does_not_see_someone_elses_chat(client, login_as, make):
    other = make.chat(make.user("tutor"), title="Чужой чат")
    login_as("tutor")
    assert "Чужой чат" not in client.get("/chats/").text
    assert client.get(f"/chats/{other.id}").status_code == 403
    assert client.get("/chats/999999").status_code == 404


def test_list_query_count_does_not_grow_with_rows(client, login_as, make, app):
    from sqlalchemy import event

    admin = login_as("admin")
    grp = make.group()

    def count() -> int:
        statements: list[str] = []
        engine = db.engine

        def hook(*args):
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", hook)
        try:
            assert client.get("/chats/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", hook)
        return len(statements)

    make.chat(admin, group=grp)
    few = count()
    for _ in range(5):
        make.chat(make.user("tutor"), "tutor_students", group=grp)
    assert count() == few


def test_tutor_sees_missing_chats_on_home_and_the_board_turns_complete(client, login_as, make):
    tutor = login_as("tutor")
    grp = make.group(name="ИСП-24-9")
    make.tutor_of(tutor, grp)
    home = client.get("/")
    assert "Чаты, которые нужно зарегистрировать" in home.text
    assert "Тьютор с родителями группы" in home.text
    mine = client.get("/chats/compliance")
    assert "Зарегистрировано чатов: 0 из 3 (0%)" in mine.text
    assert f"group_id={grp.id}" in mine.text
    for kind in ("tutor_students", "tutor_parents", "tutor_teachers"):
        make.chat(tutor, kind, group=grp)
    done = client.get("/chats/compliance")
    assert "Все чаты, которые от вас требует Положение, зарегистрированы." in done.text
    assert "Чаты, которые нужно зарегистрировать" not in client.get("/").text


def test_board_for_leaders_by_group_department_and_keeper(client, login_as, make):
    tutor = make.user("tutor", last_name="Кураторова")
    dept = make.department("Отделение ИТ")
    grp = make.group(name="ИСП-24-3", dept=dept)
    make.tutor_of(tutor, grp)
    make.group(name="ИСП-24-4", dept=dept)  # no tutor
    make.chat(tutor, "tutor_students", group=grp)
    login_as("head")
    groups = client.get("/chats/compliance")
    assert groups.status_code == 200
    assert "Зарегистрировано чатов: 1 из 8 (12%)" in groups.text
    assert "ИСП-24-3" in groups.text and "33%" in groups.text
    tutors = client.get("/chats/compliance?view=tutors")
    assert "Кураторова" in tutors.text and "Тьютор не назначен" in tutors.text
    depts = client.get("/chats/compliance?view=departments")
    assert "Отделение ИТ" in depts.text
    assert client.get("/chats/compliance?view=nonsense").status_code == 200


def test_the_board_link_fills_in_the_form(client, login_as, make):
    tutor = login_as("tutor")
    grp = make.group()
    make.tutor_of(tutor, grp)
    page = client.get(f"/chats/new?kind=tutor_parents&group_id={grp.id}")
    assert re.search(r'<option selected value="tutor_parents">', page.text)
    assert re.search(rf'<option selected value="{grp.id}">', page.text)


def test_the_leaders_board_is_kept_a_minute_and_forgotten_when_a_chat_is_registered(
    client, login_as, make
):
    from intranet.services import chats

    tutor = make.user("tutor")
    grp = make.group(name="ИСП-24-2")
    make.tutor_of(tutor, grp)
    login_as("admin")
    assert "Зарегистрировано чатов: 0 из 3 (0%)" in client.get("/chats/compliance").text
    make.chat(tutor, "tutor_students", group=grp)  # behind the service's back: not seen yet
    kept = client.get("/chats/compliance")
    assert "Зарегистрировано чатов: 0 из 3 (0%)" in kept.text
    assert "Пересчитать сейчас" in kept.text
    fresh = client.get("/chats/compliance?fresh=1")
    assert "Зарегистрировано чатов: 1 из 3 (33%)" in fresh.text
    chats.register(
        tutor,
        chats.ChatValues(
            kind="tutor_parents",
            title="Родители",
            invite_url="https://vk.me/join/abc",
            group_id=grp.id,
        ),
    )
    assert "Зарегистрировано чатов: 2 из 3 (66%)" in client.get("/chats/compliance").text


def test_board_rows_name_the_missing_chats_and_their_keepers(client, login_as, make):
    tutor = make.user("tutor", last_name="Кураторова")
    teacher = make.user("teacher", last_name="Учителев")
    grp = make.group(name="ИСП-24-4")
    make.tutor_of(tutor, grp)
    make.teaches(teacher, grp, make.discipline(code="ОП.07", name="Сети"))
    login_as("head")
    groups = client.get("/chats/compliance").text
    assert "Тьютор с родителями группы — Кураторова И.И." in groups
    teachers = client.get("/chats/compliance?view=teachers").text
    assert "Преподаватель с группой по дисциплине (ИСП-24-4, ОП.07 Сети)" in teachers
    assert "— Учителев" not in teachers  # the row is the keeper: not repeated
