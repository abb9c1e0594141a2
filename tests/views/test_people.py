"""People pages: the directory (search, filters, sort, pages, CSV), a person's page and what it
shows to whom, and an admin's changes to accounts and family links."""

from __future__ import annotations

import csv
import io
import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from intranet.extensions import db
from intranet.models import AuditEvent, Guardian, Role, TeacherStatus, User


@contextmanager
def counted_queries():
    """The SQL statements the app sends while the block runs."""
    statements: list[str] = []

    def _count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", _count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", _count)


@pytest.fixture
def admin(login_as):
    return login_as("admin", last_name="Админова", first_name="Анна", middle_name="Павловна")


def rows_of(page) -> list[str]:
    """The people's names in the directory table, in order."""
    return re.findall(r'<a href="/people/\d+">([^<]+)</a>', page.text)


# --- the directory ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["tutor", "teacher", "student", "parent"])
def test_directory_is_for_college_leaders(client, login_as, role):
    login_as(role)
    assert client.get("/people/").status_code == 403
    assert client.get("/people/export.csv").status_code == 403


@pytest.mark.parametrize("role", ["head", "deputy"])
def test_leaders_read_the_directory_but_do_not_change_people(client, login_as, make, role):
    login_as(role)
    student = make.user("student")
    assert client.get("/people/").status_code == 200
    assert client.get("/people/new").status_code == 403
    assert client.post(f"/people/{student.id}/disable").status_code == 403
    assert "/people/new" not in client.get("/people/").text
    db.session.refresh(student)
    assert student.is_active


@pytest.mark.pg
def test_search_finds_russian_names_whatever_the_case_and_yo(client, admin, make):
    make.user("student", last_name="Ёлкин", first_name="Олег", middle_name="")
    make.user("student", last_name="Елкина", first_name="Анна", middle_name="")
    make.user("student", last_name="Иванов", first_name="Пётр", middle_name="")
    assert rows_of(client.get("/people/?q=иванов")) == ["Иванов Пётр"]
    assert rows_of(client.get("/people/?q=ёлкин")) == ["Ёлкин Олег", "Елкина Анна"]
    assert rows_of(client.get("/people/?q=Елкин")) == ["Ёлкин Олег", "Елкина Анна"]
    assert rows_of(client.get("/people/?q=ПЁТР")) == ["Иванов Пётр"]
    page = client.get("/people/?q=никого")
    assert page.status_code == 200 and "empty-state" in page.text


@pytest.mark.pg
def test_directory_is_sorted_by_surname(client, admin, make):
    for last in ("Яковлева", "Ёлкин", "Абрамов", "Жуков", "Елин"):
        make.user("student", last_name=last, first_name="Ян", middle_name="")
    names = rows_of(client.get("/people/?role=student"))
    assert names == ["Абрамов Ян", "Елин Ян", "Ёлкин Ян", "Жуков Ян", "Яковлева Ян"]
    assert rows_of(client.get("/people/?role=student&sort=-name"))[0] == "Яковлева Ян"


@pytest.mark.pg
def test_pending_teachers_filter_matches_the_home_panel(client, admin, make):
    make.user("teacher", last_name="Ждущий", first_name="Ян", middle_name="", confirmed=False)
    make.user("teacher", last_name="Принятый", first_name="Ян", middle_name="")
    page = client.get("/people/?status=pending")
    assert rows_of(page) == ["Ждущий Ян"]
    home = client.get("/")
    assert "/people/?status=pending" in home.text


def test_directory_filters_by_group_and_bad_arguments_are_ignored(client, admin, make):
    group = make.group()
    student = make.user("student", last_name="Студентов", first_name="Ян", middle_name="")
    make.enroll(student, group)
    make.user("student", last_name="Чужой", first_name="Ян", middle_name="")
    assert rows_of(client.get(f"/people/?group={group.id}")) == ["Студентов Ян"]
    page = client.get("/people/?group=abc&role=wizard&status=x&active=maybe&page=-3")
    assert page.status_code == 200
    assert "Чужой Ян" in page.text


@pytest.mark.pg
def test_directory_pages_with_a_constant_number_of_queries(client, admin, make):
    group = make.group()

    def add_people(n: int) -> None:
        for _ in range(n):
            student = make.user("student", commit=False)
            make.enroll(student, group, commit=False)
            make.guardian(make.user("parent", commit=False), student, commit=False)
        db.session.commit()

    add_people(2)
    client.get("/people/")  # warm caches (time zone, translations)
    with counted_queries() as few:
        assert client.get("/people/").status_code == 200
    add_people(40)
    with counted_queries() as many:
        page = client.get("/people/")
    assert len(rows_of(page)) == 50  # a full page
    assert "page=2" in page.text
    assert len(few) > 0
    assert len(many) == len(few)
    second = client.get("/people/?page=2")
    assert len(rows_of(second)) == 1 + 2 * 42 - 50  # the admin and the rest


def test_csv_export_follows_the_filters_and_hides_what_the_viewer_may_not_see(
    client, login_as, make
):
    login_as("head")
    make.user("parent", last_name="Родителева", email="mother@example.com")
    make.user("teacher", last_name="Учителев", email="teacher@example.com")
    make.user("student", last_name="=HYPERLINK(1)")
    response = client.get("/people/export.csv?role=parent")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff")), delimiter=";"))
    assert len(table) == 2 and table[1][0].startswith("Родителева")
    assert "mother@example.com" not in response.text  # parents' contacts: tutors and admins
    everyone = client.get("/people/export.csv").text
    assert "teacher@example.com" in everyone
    assert "'=HYPERLINK(1)" in everyone


# --- a person's page --------------------------------------------------------------------------


def test_person_page_shows_groups_parents_and_contacts_to_the_admin(client, admin, make):
    group = make.group("ИСП-24-3")
    student = make.user("student", last_name="Студентов", email="s@example.com")
    make.enroll(student, group)
    make.guardian(make.user("parent", last_name="Родителева"), student)
    page = client.get(f"/people/{student.id}")
    assert page.status_code == 200
    assert "ИСП-24-3" in page.text and "Родителева" in page.text
    assert "s@example.com" in page.text
    assert f"/people/{student.id}/roles" in page.text  # the admin's forms


def test_contacts_only_where_the_policy_allows(client, login_as, make):
    group = make.group()
    teacher = login_as("teacher")
    make.teaches(teacher, group)
    student = make.user("student", email="student@example.com")
    make.enroll(student, group)
    parent = make.user("parent", last_name="Родителева", email="mother@example.com")
    make.guardian(parent, student)
    page = client.get(f"/people/{student.id}")
    assert page.status_code == 200
    assert "student@example.com" not in page.text  # teachers do not see students' contacts
    assert "Родителева" not in page.text  # nor their parents
    assert client.get(f"/people/{parent.id}").status_code == 403


def test_tutor_sees_parents_contacts_of_their_group(client, login_as, make):
    group = make.group()
    tutor = login_as("tutor")
    make.tutor_of(tutor, group)
    student = make.user("student")
    make.enroll(student, group)
    parent = make.user("parent", last_name="Родителева", phone="+79123456789")
    make.guardian(parent, student)
    page = client.get(f"/people/{student.id}")
    assert "Родителева" in page.text
    page = client.get(f"/people/{parent.id}")
    assert page.status_code == 200 and "+7 (912) 345-67-89" in page.text


def test_a_parent_sees_their_child_not_others(client, login_as, make):
    parent = login_as("parent")
    child = make.user("student", last_name="Сынов")
    make.guardian(parent, child)
    assert "Сынов" in client.get(f"/people/{parent.id}").text
    assert client.get(f"/people/{child.id}").status_code == 200
    assert client.get(f"/people/{make.user('student').id}").status_code == 403
    assert client.get("/people/999999").status_code == 404


# --- an admin's changes -----------------------------------------------------------------------


def test_create_person_and_errors_keep_the_entry(client, admin, make):
    make.user("student", email="taken@example.com")
    page = client.post(
        "/people/new",
        data={
            "last_name": "Новикова",
            "first_name": "Ольга",
            "email": "taken@example.com",
            "phone": "+7 912 000-00-01",
            "roles": ["teacher", "tutor"],
        },
    )
    assert page.status_code == 200
    assert 'value="Новикова"' in page.text and 'value="+7 912 000-00-01"' in page.text
    assert re.search(r'<input checked[^>]*value="teacher"', page.text)
    assert "is-invalid" in page.text
    response = client.post(
        "/people/new",
        data={
            "last_name": "Новикова",
            "first_name": "Ольга",
            "email": "olga@example.com",
            "external_id": "EJ-42",
            "roles": ["teacher", "tutor"],
        },
    )
    assert response.status_code == 302
    person = db.session.scalars(select(User).where(User.external_id == "EJ-42")).one()
    assert person.role_set == {Role.TEACHER, Role.TUTOR}
    assert person.teacher_status is TeacherStatus.NOT_CONFIRMED
    assert response.headers["Location"].endswith(f"/people/{person.id}")


def test_edit_person(client, admin, make):
    person = make.user("student", last_name="Старова", phone="+79120000002")
    page = client.get(f"/people/{person.id}/edit")
    assert 'value="+7 (912) 000-00-02"' in page.text
    page = client.post(
        f"/people/{person.id}/edit", data={"last_name": "Новая", "first_name": "", "phone": "1"}
    )
    assert page.status_code == 200 and 'value="Новая"' in page.text
    response = client.post(
        f"/people/{person.id}/edit",
        data={"last_name": "Новая", "first_name": "Анна", "phone": "8 912 000 00 03"},
    )
    assert response.status_code == 302
    assert db.session.scalar(select(User.phone).where(User.id == person.id)) == "+79120000003"


def test_roles_confirmation_and_account_switch(client, admin, make):
    person = make.user("student")
    response = client.post(f"/people/{person.id}/roles", data={"roles": ["teacher"]})
    assert response.status_code == 302
    db.session.expire_all()
    person = db.session.get(User, person.id)
    assert person.role_set == {Role.TEACHER}
    assert person.teacher_status is TeacherStatus.NOT_CONFIRMED
    assert "/confirm-teacher" in client.get(f"/people/{person.id}").text
    assert client.post(f"/people/{person.id}/confirm-teacher").status_code == 302
    assert client.post(f"/people/{person.id}/disable").status_code == 302
    db.session.expire_all()
    person = db.session.get(User, person.id)
    assert person.teacher_status is TeacherStatus.CONFIRMED and not person.is_active
    assert client.post(f"/people/{person.id}/enable").status_code == 302
    bad = client.post(f"/people/{person.id}/roles", data={"roles": ["wizard"]})
    assert bad.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, person.id).role_set == {Role.TEACHER}
    actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions == [
        "person.roles_set",
        "person.teacher_confirmed",
        "person.disabled",
        "person.enabled",
    ]


def test_the_roles_form_keeps_the_admin_role_and_cannot_give_it(client, admin, make):
    page = client.get(f"/people/{admin.id}")
    assert 'value="admin"' not in page.text
    response = client.post(f"/people/{admin.id}/roles", data={"roles": ["teacher"]})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, admin.id).role_set == {Role.ADMIN, Role.TEACHER}
    teacher = make.user("teacher")
    response = client.post(f"/people/{teacher.id}/roles", data={"roles": ["teacher", "admin"]})
    page = client.get(response.headers["Location"]) if response.status_code == 302 else response
    assert "alert-danger" in page.text or "text-danger" in page.text
    db.session.expire_all()
    assert db.session.get(User, teacher.id).role_set == {Role.TEACHER}


def test_the_last_admin_cannot_be_disabled(client, admin):
    response = client.post(f"/people/{admin.id}/disable")
    assert response.status_code == 302
    assert db.session.scalar(select(User.is_active).where(User.id == admin.id))


def test_link_and_unlink_a_parent(client, admin, make):
    student = make.user("student", last_name="Студентов")
    parent = make.user("parent", last_name="Родителева", first_name="Ольга", middle_name="")
    page = client.get(f"/people/{student.id}?find=родител")
    assert "Родителева Ольга" in page.text
    page = client.post(
        f"/people/{student.id}/parents",
        data={"find": "родител", "parent_id": "", "relation": "мать"},
    )
    assert page.status_code == 200 and 'value="мать"' in page.text and "is-invalid" in page.text
    response = client.post(
        f"/people/{student.id}/parents",
        data={"find": "родител", "parent_id": parent.id, "relation": "мать"},
    )
    assert response.status_code == 302
    link = db.session.scalars(select(Guardian)).one()
    assert link.relation == "мать"
    other = make.user("student")
    assert client.post(f"/people/{other.id}/guardians/{link.id}/delete").status_code == 404
    response = client.post(f"/people/{parent.id}/guardians/{link.id}/delete")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/people/{parent.id}")
    assert db.session.scalar(select(Guardian.id)) is None


def test_a_student_sees_their_own_page_without_hidden_relatives(client, login_as, make):
    student = login_as("student", last_name="Студентов")
    make.guardian(make.user("parent", last_name="Родителева"), student)
    page = client.get(f"/people/{student.id}")
    assert page.status_code == 200
    assert "Студентов" in page.text
    assert "Родителева" not in page.text  # the policy does not let students open it
    assert "Родители не указаны" not in page.text  # nor pretend there is nobody
    assert "/roles" not in page.text and "/disable" not in page.text


@pytest.mark.pg
def test_the_admin_home_counts_what_waits_in_one_statement(client, admin, make):
    """Pending join requests, unconfirmed teachers and groups without a tutor, each figure
    the count of its rows, with a link to where they are decided."""
    from intranet.i18n import local_today
    from intranet.services import home
    from tests.onboarding.helpers import join_request

    make.group()  # no tutor
    tutored = make.group()
    make.tutor_of(make.user("tutor"), tutored)
    waiting = make.user("teacher", confirmed=False)
    join_request(waiting)
    join_request(make.user("student"), Role.STUDENT)
    panel = home._admin_panel(local_today())
    assert panel.data == {"join_requests": 2, "pending_teachers": 1, "untutored_groups": 1}
    page = client.get("/")
    assert "/onboarding/requests" in page.text
    assert "2</span>" in page.text.replace("\n", "")
