"""The people services: the directory's search, filters and sort; an admin's account changes."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from intranet.extensions import db
from intranet.models import AuditEvent, Guardian, Role, TeacherStatus
from intranet.services import people
from intranet.services.errors import PermissionDenied, ValidationFailed

pytestmark = [pytest.mark.pg, pytest.mark.usefixtures("app")]

TODAY = date(2026, 3, 10)


@pytest.fixture
def admin(make):
    return make.user("admin", last_name="Админова")


def found(**filters) -> list[str]:
    query = people.people_query(people.PeopleFilters(**filters), TODAY)
    return [p.last_name for p in db.session.scalars(query)]


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_search_ignores_case_and_yo(make):
    for last, first in [
        ("Ёлкин", "Олег"),
        ("Елкина", "Анна"),
        ("Иванов", "Пётр"),
        ("Петров", "Ян"),
    ]:
        make.user("student", last_name=last, first_name=first, middle_name="Сергеевич")
    assert found(q="ёлкин") == ["Ёлкин", "Елкина"]
    assert found(q="ЕЛКИН") == ["Ёлкин", "Елкина"]
    assert found(q="иванов") == ["Иванов"]
    assert found(q="петр") == ["Иванов", "Петров"]  # the first name counts too
    assert found(q="иванов пётр") == ["Иванов"]
    assert found(q="_") == [] and found(q="%") == []


def test_sorted_by_surname_then_name(make):
    for last, first in [
        ("Яковлева", "Анна"),
        ("Ёлкин", "Борис"),
        ("Абрамов", "Юрий"),
        ("Елин", "Ян"),
    ]:
        make.user("student", last_name=last, first_name=first)
    assert found(role=Role.STUDENT) == ["Абрамов", "Елин", "Ёлкин", "Яковлева"]
    assert found(role=Role.STUDENT, sort="-name") == ["Яковлева", "Ёлкин", "Елин", "Абрамов"]


def test_filters_by_role_status_and_activity(make):
    make.user("teacher", last_name="Ждущая", confirmed=False)
    make.user("teacher", last_name="Подтверждённый")
    make.user("tutor", "teacher", last_name="Уволенная", confirmed=False, is_active=False)
    make.user("parent", last_name="Родитель")
    assert found(status="pending") == ["Ждущая"]
    assert found(status="confirmed") == ["Подтверждённый"]
    assert found(role=Role.TUTOR) == ["Уволенная"]
    assert found(active="0") == ["Уволенная"]
    assert "Уволенная" not in found(active="1")


def test_filter_by_group_and_department_finds_everyone_around_the_group(make):
    it, eco = make.department("ИТ"), make.department("Экономика")
    group = make.group(dept=it)
    other = make.group(dept=eco)
    student = make.user("student", last_name="Студент")
    make.enroll(student, group, starts_on=date(2025, 9, 1))
    make.guardian(make.user("parent", last_name="Мама"), student)
    make.tutor_of(make.user("tutor", last_name="Куратор"), group, starts_on=date(2025, 9, 1))
    make.teaches(make.user("teacher", last_name="Учитель"), group)
    gone = make.user("student", last_name="Отчисленный")
    make.enroll(gone, group, starts_on=date(2025, 9, 1), ends_on=date(2025, 12, 31))
    make.enroll(make.user("student", last_name="Экономист"), other, starts_on=date(2025, 9, 1))
    expected = ["Куратор", "Мама", "Студент", "Учитель"]
    assert found(group_id=group.id) == expected
    assert found(department_id=it.id) == expected
    assert found(department_id=eco.id) == ["Экономист"]
    assert found(group_id=group.id, role=Role.PARENT) == ["Мама"]


def test_groups_of_people(make):
    group = make.group("ИСП-25-1")
    student, tutor = make.user("student"), make.user("tutor")
    make.enroll(student, group, starts_on=date(2025, 9, 1))
    make.tutor_of(tutor, group, starts_on=date(2025, 9, 1))
    result = people.groups_of([student.id, tutor.id, make.user("parent").id], TODAY)
    assert {k: [g.name for g in v] for k, v in result.items()} == {
        student.id: ["ИСП-25-1"],
        tutor.id: ["ИСП-25-1"],
    }


def test_create_person_with_roles(admin):
    person = people.create_person(
        actor=admin,
        last_name=" Кураторова ",
        first_name="Мария",
        email="Maria@Example.com",
        phone="+7 912 345-67-89",
        external_id=" EJ-1 ",
        roles=["tutor", "teacher"],
    )
    assert person.full_name == "Кураторова Мария"
    assert person.email == "maria@example.com" and person.phone == "+79123456789"
    assert person.external_id == "EJ-1" and person.password_hash is None
    assert person.role_set == {Role.TUTOR, Role.TEACHER}
    assert person.teacher_status is TeacherStatus.NOT_CONFIRMED
    assert actions() == ["person.created"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"last_name": " "}, "last_name"),
        ({"first_name": ""}, "first_name"),
        ({"email": "taken@example.com"}, "email"),
        ({"phone": "123"}, "phone"),
        ({"external_id": "EJ-1"}, "external_id"),
    ],
)
def test_create_person_refusals(admin, make, values, field):
    make.user("student", email="taken@example.com", external_id="EJ-1")
    good = {"last_name": "Новиков", "first_name": "Олег"}
    with pytest.raises(ValidationFailed) as error:
        people.create_person(actor=admin, **(good | values))
    assert error.value.field == field


def test_only_admins_manage_people(make):
    deputy = make.user("deputy")
    with pytest.raises(PermissionDenied):
        people.create_person(actor=deputy, last_name="А", first_name="Б")
    with pytest.raises(PermissionDenied):
        people.set_active(make.user("student"), False, actor=deputy)


def test_update_person_records_what_changed(admin, make):
    person = make.user("student", last_name="Старова", email="old@example.com")
    people.update_person(
        person,
        actor=admin,
        last_name="Новова",
        first_name=person.first_name,
        middle_name=person.middle_name,
        email="old@example.com",
        external_id="EJ-7",
    )
    assert person.name_key.startswith("новова")
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "person.updated")
    ).one()
    assert event.data["changed"] == ["full_name", "external_id"]


def test_the_admin_role_is_given_and_taken_only_on_the_administrators_page(admin, make):
    """The roles form leaves the administrator role as it is (§2.1: the main administrator
    appoints and removes administrators, with a basis, on their own page)."""
    people.set_roles(admin, [Role.TEACHER], actor=admin)
    assert admin.role_set == {Role.ADMIN, Role.TEACHER}
    teacher = make.user("teacher")
    with pytest.raises(ValidationFailed) as error:
        people.set_roles(teacher, [Role.TEACHER, Role.ADMIN], actor=admin)
    assert error.value.field == "roles"
    assert teacher.role_set == {Role.TEACHER}
    with pytest.raises(ValidationFailed):
        people.create_person(actor=admin, last_name="Иванов", first_name="Иван", roles=["admin"])


def test_confirm_teacher_and_disable(admin, make):
    teacher = make.user("teacher", confirmed=False)
    people.confirm_teacher(teacher, actor=admin)
    assert teacher.teacher_status is TeacherStatus.CONFIRMED
    with pytest.raises(ValidationFailed):
        people.confirm_teacher(make.user("student"), actor=admin)
    epoch = teacher.session_epoch
    people.set_active(teacher, False, actor=admin)
    assert not teacher.is_active and teacher.session_epoch == epoch + 1
    with pytest.raises(ValidationFailed):
        people.set_active(admin, False, actor=admin)
    people.set_active(teacher, True, actor=admin)
    assert teacher.is_active
    assert actions()[-3:] == ["person.teacher_confirmed", "person.disabled", "person.enabled"]


def test_link_and_unlink_parent(admin, make):
    student = make.user("student")
    parent = make.user("parent", last_name="Родителева")
    link = people.link_parent(student, actor=admin, parent_id=parent.id, relation="мать")
    page = people.person_page(student)
    assert [g.parent for g in page.parents] == [parent]
    assert [g.student for g in people.person_page(parent).children] == [student]
    with pytest.raises(ValidationFailed, match="уже"):
        people.link_parent(student, actor=admin, parent_id=parent.id)
    with pytest.raises(ValidationFailed):  # not a parent
        people.link_parent(student, actor=admin, parent_id=make.user("teacher").id)
    with pytest.raises(ValidationFailed):  # only students have parents linked
        people.link_parent(make.user("teacher"), actor=admin, parent_id=parent.id)
    people.unlink_guardian(link, actor=admin)
    assert db.session.scalars(select(Guardian)).all() == []
    assert actions() == ["guardian.linked", "guardian.unlinked"]


def test_parent_candidates(make):
    make.user("parent", last_name="Ёлкина")
    make.user("student", last_name="Ёлкин")
    assert [p.last_name for p in people.parent_candidates("елкин")] == ["Ёлкина"]
    assert people.parent_candidates("  ") == []


def test_export_hides_parents_contacts_from_the_head(make):
    head = make.user("head")
    make.user("parent", last_name="Родителева", email="mother@example.com")
    make.user("teacher", last_name="Учителев", email="teacher@example.com")
    header, rows = people.export_table(people.PeopleFilters(), viewer=head, today=TODAY)
    by_name = {row[0].split()[0]: row for row in rows}
    email = 3
    assert header[email] == "E-mail" or header[email] == "Электронная почта"
    assert by_name["Родителева"][email] == ""
    assert by_name["Учителев"][email] == "teacher@example.com"
    with pytest.raises(PermissionDenied):
        people.export_table(people.PeopleFilters(), viewer=make.user("teacher"), today=TODAY)


def test_a_duplicate_that_slips_past_the_check_is_still_a_form_error(admin, make, monkeypatch):
    """Two admins saving the same e-mail at once: the unique constraint answers, politely."""
    from intranet.services import accounts

    make.user("student", email="taken@example.com")
    monkeypatch.setattr(accounts, "_check_unique", lambda *args, **kwargs: None)
    with pytest.raises(ValidationFailed):
        people.create_person(
            actor=admin, last_name="Новиков", first_name="Олег", email="taken@example.com"
        )
    person = make.user("student", email="free@example.com")
    with pytest.raises(ValidationFailed):
        people.update_person(
            person,
            actor=admin,
            last_name="Новиков",
            first_name="Олег",
            email="taken@example.com",
        )
    assert found(q="новиков") == []  # nothing half-saved, and the session still answers
