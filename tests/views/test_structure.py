"""Structure pages: the profile, the catalogs and groups lists, forms, refusals and the admin's
first day: a department, a speciality and a group, a student enrolled and a tutor assigned."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import event, select

from intranet import i18n
from intranet.extensions import db
from intranet.models import (
    AuditEvent,
    Department,
    Discipline,
    Enrollment,
    Organisation,
    Speciality,
    StudyGroup,
    TeachingAssignment,
    TutorAssignment,
)


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
    return login_as("admin")


# --- access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["head", "deputy", "tutor", "teacher", "student", "parent"])
def test_structure_pages_are_for_admins(client, login_as, role):
    login_as(role)
    for path in ("/structure/", "/structure/departments", "/structure/groups"):
        assert client.get(path).status_code == 403
    assert client.post("/structure/departments/new", data={"name": "X"}).status_code == 403
    assert db.session.scalar(select(Department.id)) is None


def test_missing_rows_are_404(client, admin):
    for path in (
        "/structure/departments/999999/edit",
        "/structure/specialities/999999/edit",
        "/structure/disciplines/999999/edit",
        "/structure/groups/999999",
        "/structure/groups/999999/edit",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post("/structure/groups/999999/delete").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/structure/groups")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# --- organisation -----------------------------------------------------------------------------


@pytest.mark.pg
def test_organisation_profile_first_save_and_time_zone(client, admin):
    page = client.get("/structure/organisation")
    assert page.status_code == 200
    assert "Asia/Kamchatka" in page.text and "Europe/Kaliningrad" in page.text
    response = client.post(
        "/structure/organisation",
        data={
            "full_name": "ГБПОУ «Омский колледж»",
            "short_name": "ОК",
            "address": "Омск, ул. Ленина, 1",
            "timezone": "Asia/Omsk",
            "phone": "8 (381) 222-33-44",
            "admin_contact": "Админова А. А.",
            "platform": "max",
        },
    )
    assert response.status_code == 302
    org = db.session.scalars(select(Organisation)).one()
    assert (org.timezone, org.phone) == ("Asia/Omsk", "+73812223344")
    # The zone cache was dropped on save: the next page already uses the new zone.
    with client.application.test_request_context():
        assert i18n.organisation_timezone() == "Asia/Omsk"
    page = client.get("/structure/organisation")
    assert "+7 (381) 222-33-44" in page.text
    assert 'value="max" selected' in page.text or 'selected value="max"' in page.text


def test_organisation_errors_keep_the_entry(client, admin):
    page = client.post(
        "/structure/organisation",
        data={
            "full_name": "Колледж связи",
            "short_name": "",
            "timezone": "Mars/Olympus",
            "phone": "12",
            "platform": "vk",
        },
    )
    assert page.status_code == 200
    assert 'value="Колледж связи"' in page.text
    assert 'value="12"' in page.text
    assert page.text.count("is-invalid") >= 2
    assert db.session.scalar(select(Organisation.id)) is None


# --- catalogs ---------------------------------------------------------------------------------


def test_department_crud(client, admin):
    assert "empty-state" in client.get("/structure/departments").text
    assert (
        client.post("/structure/departments/new", data={"name": "Отделение ИТ"}).status_code == 302
    )
    department = db.session.scalars(select(Department)).one()
    page = client.post("/structure/departments/new", data={"name": "отделение ит"})
    assert page.status_code == 200 and 'value="отделение ит"' in page.text
    assert "is-invalid" in page.text
    response = client.post(
        f"/structure/departments/{department.id}/edit", data={"name": "Отделение информатики"}
    )
    assert response.status_code == 302
    db.session.refresh(department)
    assert department.name == "Отделение информатики"
    assert client.post(f"/structure/departments/{department.id}/delete").status_code == 302
    assert db.session.scalar(select(Department.id)) is None
    assert list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id))) == [
        "department.created",
        "department.updated",
        "department.deleted",
    ]


def test_deleting_what_is_in_use_is_refused_with_a_reason(client, admin, make):
    group = make.group()
    response = client.post(f"/structure/departments/{group.department_id}/delete")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/departments/{group.department_id}/edit")
    page = client.get(response.headers["Location"])
    assert "alert-error" in page.text or "alert-danger" in page.text
    assert db.session.get(Department, group.department_id) is not None
    response = client.post(f"/structure/groups/{group.id}/delete")  # no history: deleted
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/structure/groups")
    assert db.session.scalar(select(StudyGroup.id)) is None


def test_speciality_and_discipline_forms_validate_codes(client, admin):
    page = client.post("/structure/specialities/new", data={"code": "9.2.7", "name": "ИСиП"})
    assert page.status_code == 200 and 'value="9.2.7"' in page.text and "is-invalid" in page.text
    assert db.session.scalar(select(Speciality.id)) is None
    response = client.post(
        "/structure/specialities/new",
        data={"code": "09.02.07", "name": "Информационные системы и программирование"},
    )
    assert response.status_code == 302
    response = client.post(
        "/structure/disciplines/new", data={"code": "мдк.01.01", "name": "Разработка модулей"}
    )
    assert response.status_code == 302
    assert db.session.scalars(select(Discipline.code)).one() == "МДК.01.01"
    page = client.post("/structure/disciplines/new", data={"code": "МДК.01.01", "name": "Дубль"})
    assert page.status_code == 200 and "is-invalid" in page.text


@pytest.mark.pg
def test_catalog_lists_search_and_sort(client, admin, make):
    for code, name in [("09.02.07", "Информационные системы"), ("38.02.01", "Экономика")]:
        make.speciality(code, name)
    make.discipline("ОП.01", "Основы алгоритмизации")
    make.discipline("ЕН.01", "Ёмкие вычисления")
    page = client.get("/structure/specialities?q=эконом")
    assert "38.02.01" in page.text and "09.02.07" not in page.text
    page = client.get("/structure/specialities?sort=-code")
    assert page.text.index("38.02.01") < page.text.index("09.02.07")
    page = client.get("/structure/disciplines?q=емкие")
    assert "ЕН.01" in page.text and "ОП.01" not in page.text
    assert "empty-state" in client.get("/structure/disciplines?q=нет").text
    assert client.get("/structure/disciplines?sort=bogus&page=abc").status_code == 200


# --- groups list ------------------------------------------------------------------------------


@pytest.mark.pg
def test_groups_list_filters(client, admin, make):
    it = make.department("ИТ")
    with_tutor = make.group("ИСП-25-1", year=2025, dept=it)
    make.group("ИСП-25-2", year=2025, dept=it)
    make.group("ЭК-24-1", year=2024)
    make.tutor_of(make.user("tutor"), with_tutor, starts_on=date(2025, 9, 1))
    page = client.get("/structure/groups?tutor=none")
    assert "ИСП-25-2" in page.text and "ЭК-24-1" in page.text and "ИСП-25-1" not in page.text
    page = client.get(f"/structure/groups?department={it.id}&q=25")
    assert "ИСП-25-1" in page.text and "ЭК-24-1" not in page.text
    page = client.get("/structure/groups?department=abc&course=99&archived=zzz")
    assert page.status_code == 200


@pytest.mark.pg
def test_groups_list_query_count_does_not_grow(client, admin, make):
    speciality, department = make.speciality(), make.department()

    def add_groups(n: int) -> None:
        for _ in range(n):
            group = make.group(spec=speciality, dept=department, commit=False)
            make.enroll(make.user("student", commit=False), group, commit=False)
            make.tutor_of(make.user("tutor", commit=False), group, commit=False)
        db.session.commit()

    add_groups(3)
    client.get("/structure/groups")  # warm caches (time zone, translations)
    with counted_queries() as few:
        assert client.get("/structure/groups").status_code == 200
    add_groups(12)
    with counted_queries() as many:
        page = client.get("/structure/groups")
    assert page.text.count('href="/structure/groups/') >= 15
    assert len(few) > 0
    assert len(many) == len(few)


def test_groups_paginate(client, admin, make):
    speciality, department = make.speciality(), make.department()
    for n in range(53):
        make.group(f"Г-{n:02d}", spec=speciality, dept=department, commit=False)
    db.session.commit()
    first = client.get("/structure/groups")
    assert "Г-49" in first.text and "Г-50" not in first.text
    assert "page=2" in first.text
    second = client.get("/structure/groups?page=2")
    assert "Г-52" in second.text and "Г-00" not in second.text
    assert client.get("/structure/groups?page=40").status_code == 200


# --- the admin's first day (issue #2) ---------------------------------------------------------


@pytest.mark.pg
def test_admin_builds_a_group_enrolls_a_student_and_assigns_a_tutor(client, admin, make):
    student = make.user("student", last_name="Ёлкин", first_name="Пётр")
    tutor = make.user("tutor", "teacher", last_name="Кураторова", first_name="Мария")
    assert (
        client.post("/structure/departments/new", data={"name": "Отделение ИТ"}).status_code == 302
    )
    assert (
        client.post(
            "/structure/specialities/new",
            data={"code": "09.02.07", "name": "Информационные системы и программирование"},
        ).status_code
        == 302
    )
    department = db.session.scalars(select(Department)).one()
    speciality = db.session.scalars(select(Speciality)).one()
    response = client.post(
        "/structure/groups/new",
        data={
            "name": "ИСП-25-1",
            "speciality_id": speciality.id,
            "department_id": department.id,
            "admission_year": 2025,
            "study_form": "full_time",
        },
    )
    assert response.status_code == 302
    group = db.session.scalars(select(StudyGroup)).one()
    assert response.headers["Location"].endswith(f"/structure/groups/{group.id}")

    page = client.get(f"/structure/groups/{group.id}?find=елкин")
    assert "Ёлкин Пётр" in page.text
    response = client.post(
        f"/structure/groups/{group.id}/enroll",
        data={
            "enroll-find": "елкин",
            "enroll-student_id": student.id,
            "enroll-starts_on": "2025-09-01",
            "enroll-reason": "приказ № 45-к от 28.08.2025",
        },
    )
    assert response.status_code == 302
    response = client.post(
        f"/structure/groups/{group.id}/tutors",
        data={
            "tutor-tutor_id": tutor.id,
            "tutor-starts_on": "2025-09-01",
            "tutor-basis_number": "46-к",
            "tutor-basis_date": "2025-08-29",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/structure/groups/{group.id}")
    assert "Ёлкин Пётр" in page.text and "Кураторова Мария" in page.text
    assert "46-к" in page.text
    assert client.get("/structure/groups?tutor=none").text.count("ИСП-25-1") == 0
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"group.created", "enrollment.created", "tutor.assigned"} <= actions


def test_group_page_form_errors_keep_the_entry(client, admin, make):
    group = make.group()
    page = client.post(
        f"/structure/groups/{group.id}/tutors",
        data={"tutor-tutor_id": "", "tutor-starts_on": "2025-09-01", "tutor-basis_number": "46-к"},
    )
    assert page.status_code == 200
    assert 'value="46-к"' in page.text and 'value="2025-09-01"' in page.text
    assert "is-invalid" in page.text
    assert db.session.scalar(select(TutorAssignment.id)) is None
    teacher = make.user("teacher")
    page = client.post(
        f"/structure/groups/{group.id}/tutors",
        data={
            "tutor-tutor_id": teacher.id,  # a teacher without the tutor role
            "tutor-starts_on": "2025-09-01",
            "tutor-basis_number": "46-к",
            "tutor-basis_date": "bad",
        },
    )
    assert page.status_code == 200 and "is-invalid" in page.text


def test_end_enrollment_and_tutorship_pages(client, admin, make):
    group = make.group()
    enrollment = make.enroll(make.user("student", last_name="Уходящий"), group)
    tutorship = make.tutor_of(make.user("tutor"), group)
    page = client.get(f"/structure/groups/{group.id}/enrollments/{enrollment.id}/end")
    assert "Уходящий" in page.text
    page = client.post(
        f"/structure/groups/{group.id}/enrollments/{enrollment.id}/end",
        data={"ends_on": "2020-01-01", "reason": "отчислен"},
    )
    assert page.status_code == 200 and 'value="отчислен"' in page.text  # before the start
    response = client.post(
        f"/structure/groups/{group.id}/enrollments/{enrollment.id}/end",
        data={"ends_on": "2025-12-31", "reason": "отчислен"},
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Enrollment.ends_on)) == date(2025, 12, 31)
    response = client.post(
        f"/structure/groups/{group.id}/tutors/{tutorship.id}/end", data={"ends_on": "2025-12-31"}
    )
    assert response.status_code == 302
    other = make.group()
    assert client.get(f"/structure/groups/{other.id}/tutors/{tutorship.id}/end").status_code == 404


def test_teaching_assignment_added_and_removed(client, admin, make):
    group = make.group()
    teacher = make.user("teacher", last_name="Учителев")
    discipline = make.discipline("ОП.04", "Основы алгоритмизации")
    response = client.post(
        f"/structure/groups/{group.id}/teaching",
        data={"teaching-teacher_id": teacher.id, "teaching-discipline_id": discipline.id},
    )
    assert response.status_code == 302
    page = client.get(f"/structure/groups/{group.id}")
    assert "ОП.04" in page.text and "Учителев" in page.text
    assignment = db.session.scalars(select(TeachingAssignment)).one()
    response = client.post(f"/structure/groups/{group.id}/teaching/{assignment.id}/delete")
    assert response.status_code == 302
    assert db.session.scalars(select(TeachingAssignment)).all() == []


# --- who sees a group page ---------------------------------------------------------------------


def test_group_page_for_its_tutor_and_teacher_without_admin_forms(client, login_as, make):
    group = make.group("ИСП-24-7")
    tutor = login_as("tutor")
    make.tutor_of(tutor, group)
    make.enroll(make.user("student", last_name="Студентов"), group)
    page = client.get(f"/structure/groups/{group.id}")
    assert page.status_code == 200
    assert "Студентов" in page.text
    assert "/enroll" not in page.text and "/tutors" not in page.text
    assert client.get(f"/structure/groups/{make.group().id}").status_code == 403


def test_unconfirmed_teacher_does_not_see_the_group(client, login_as, make):
    group = make.group()
    teacher = login_as("teacher", confirmed=False)
    make.teaches(teacher, group)
    assert client.get(f"/structure/groups/{group.id}").status_code == 403
