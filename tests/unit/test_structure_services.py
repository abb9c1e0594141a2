"""The structure services: organisation profile, catalogs, groups and who is in them."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from intranet.extensions import db
from intranet.models import (
    AuditEvent,
    Department,
    Enrollment,
    Organisation,
    Platform,
    StudyForm,
    StudyGroup,
    TeachingAssignment,
    TutorAssignment,
)
from intranet.services import structure
from intranet.services.errors import (
    Conflict,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)

pytestmark = [pytest.mark.pg, pytest.mark.usefixtures("app")]

TODAY = date(2026, 3, 10)  # in the academic year that began in September 2025


@pytest.fixture
def admin(make):
    return make.user("admin")


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def names(query) -> list[str]:
    return [row.name for row in db.session.scalars(query)]


# --- organisation -----------------------------------------------------------------------------


def test_organisation_is_created_on_first_save_and_updated_after(admin):
    assert structure.get_organisation() is None
    org = structure.save_organisation(
        actor=admin,
        full_name="  ГБПОУ  «Колледж информационных технологий» ",
        short_name="КИТ",
        timezone="Asia/Novosibirsk",
        phone="8 (383) 123-45-67",
        admin_contact="Петрова Анна, admin@kit.example",
        platform="max",
    )
    assert org.full_name == "ГБПОУ «Колледж информационных технологий»"
    assert org.phone == "+73831234567"
    assert org.platform is Platform.MAX
    structure.save_organisation(
        actor=admin, full_name="ГБПОУ КИТ", short_name="КИТ", timezone="Europe/Moscow"
    )
    assert db.session.scalars(select(Organisation)).all() == [org]
    assert org.timezone == "Europe/Moscow" and org.phone is None
    assert actions() == ["organisation.created", "organisation.updated"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"timezone": "localtime"}, "timezone"),
        ({"timezone": "../etc/passwd"}, "timezone"),
        ({"phone": "12345"}, "phone"),
        ({"full_name": "   "}, "full_name"),
        ({"short_name": ""}, "short_name"),
        ({"platform": "telegram"}, "platform"),
    ],
)
def test_organisation_refuses_bad_values(admin, values, field):
    good = {"full_name": "Колледж", "short_name": "К", "timezone": "Europe/Samara"}
    with pytest.raises(ValidationFailed) as error:
        structure.save_organisation(actor=admin, **(good | values))
    assert error.value.field == field


def test_only_admins_change_the_structure(make):
    head = make.user("head")
    with pytest.raises(PermissionDenied):
        structure.save_organisation(
            actor=head, full_name="К", short_name="К", timezone="Europe/Moscow"
        )
    with pytest.raises(PermissionDenied):
        structure.create_department(actor=head, name="Отделение")
    unconfirmed_admin = make.user("admin", is_active=False)
    with pytest.raises(PermissionDenied):
        structure.create_department(actor=unconfirmed_admin, name="Отделение")


# --- catalogs ---------------------------------------------------------------------------------


def test_department_names_are_unique_whatever_the_case(admin):
    structure.create_department(actor=admin, name="Отделение ИТ")
    with pytest.raises(ValidationFailed) as error:
        structure.create_department(actor=admin, name="  отделение  ит ")
    assert error.value.field == "name"


def test_department_rename_keeps_its_own_name_and_updates_the_key(admin):
    department = structure.create_department(actor=admin, name="Отделение ИТ")
    structure.update_department(department, actor=admin, name="Отделение ИТ")
    structure.update_department(department, actor=admin, name="Ёлочное отделение")
    assert department.name_key == "елочное отделение"
    assert actions()[-1] == "department.updated"


def test_department_in_use_is_not_deleted(admin, make):
    department = structure.create_department(actor=admin, name="Отделение ИТ")
    make.group(dept=department)
    with pytest.raises(Conflict) as error:
        structure.delete_department(department, actor=admin)
    assert "1" in error.value.message
    empty = structure.create_department(actor=admin, name="Пустое")
    structure.delete_department(empty, actor=admin)
    db.session.flush()
    assert db.session.get(Department, empty.id) is None
    assert "department.deleted" in actions()


def test_department_search_ignores_case_and_yo(admin):
    for name in ("Отделение ёлочных игрушек", "Отделение ИТ", "Заочное отделение"):
        structure.create_department(actor=admin, name=name)
    assert names(structure.department_query("ЕЛОЧН")) == ["Отделение ёлочных игрушек"]
    assert names(structure.department_query("отд ит")) == ["Отделение ИТ"]
    assert names(structure.department_query("100%")) == []
    assert names(structure.department_query("", "-name")) == [
        "Отделение ИТ",
        "Отделение ёлочных игрушек",
        "Заочное отделение",
    ]


@pytest.mark.parametrize("code", ["9.02.07", "09.02.7", "09-02-07", "ИСП", "09.02.07.1"])
def test_speciality_code_follows_the_federal_list(admin, code):
    with pytest.raises(ValidationFailed) as error:
        structure.create_speciality(actor=admin, code=code, name="Программирование")
    assert error.value.field == "code"


def test_speciality_code_is_unique(admin):
    structure.create_speciality(actor=admin, code=" 09.02.07 ", name="ИСиП")
    with pytest.raises(ValidationFailed) as error:
        structure.create_speciality(actor=admin, code="09.02.07", name="Другое")
    assert error.value.field == "code"


def test_discipline_codes_are_normalised_and_checked(admin):
    discipline = structure.create_discipline(actor=admin, code="мдк.01.01", name="Разработка")
    assert discipline.code == "МДК.01.01"
    for code in ("ОП01", "01.01", "ОП.", "МДК 01 01"):
        with pytest.raises(ValidationFailed):
            structure.create_discipline(actor=admin, code=code, name="Х")
    with pytest.raises(ValidationFailed) as error:
        structure.create_discipline(actor=admin, code="МДК.01.01", name="Дубль")
    assert error.value.field == "code"
    assert [d.code for d in db.session.scalars(structure.discipline_query("мдк"))] == ["МДК.01.01"]


def test_discipline_code_may_name_its_speciality(admin):
    """ОП.01 differs per curriculum, so «09.02.07 ОП.01» is a valid, distinct code."""
    first = structure.create_discipline(actor=admin, code="09.02.07 оп.01", name="Основы")
    second = structure.create_discipline(actor=admin, code="38.02.01 ОП.01", name="Экономика")
    assert (first.code, second.code) == ("09.02.07 ОП.01", "38.02.01 ОП.01")
    with pytest.raises(ValidationFailed):
        structure.create_discipline(actor=admin, code="9.02.07 ОП.01", name="Х")


def test_taught_discipline_is_not_deleted(admin, make):
    discipline = make.discipline("ОП.07")
    make.teaches(make.user("teacher"), make.group(), discipline)
    with pytest.raises(Conflict):
        structure.delete_discipline(discipline, actor=admin)


# --- groups -----------------------------------------------------------------------------------


def make_group(admin, make, name="ИСП-25-1", **values):
    department = values.pop("department", None) or make.department()
    speciality = values.pop("speciality", None) or make.speciality()
    return structure.create_group(
        actor=admin,
        name=name,
        speciality_id=speciality.id,
        department_id=department.id,
        admission_year=values.pop("admission_year", 2025),
        study_form=values.pop("study_form", StudyForm.FULL_TIME),
    )


def test_group_is_created_with_its_catalog_rows(admin, make):
    group = make_group(admin, make, study_form="part_time")
    assert group.course(TODAY) == 1
    assert group.study_form is StudyForm.PART_TIME
    assert actions()[-1] == "group.created"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "И" * 41}, "name"),
        ({"speciality_id": 999999}, "speciality_id"),
        ({"department_id": None}, "department_id"),
        ({"admission_year": 1812}, "admission_year"),
        ({"study_form": "evening"}, "study_form"),
    ],
)
def test_group_refuses_bad_values(admin, make, values, field):
    good = {
        "name": "ИСП-25-1",
        "speciality_id": make.speciality().id,
        "department_id": make.department().id,
        "admission_year": 2025,
        "study_form": "full_time",
    }
    with pytest.raises(ValidationFailed) as error:
        structure.create_group(actor=admin, **(good | values))
    assert error.value.field == field


def test_group_names_are_unique(admin, make):
    make_group(admin, make, name="ИСП-25-1")
    with pytest.raises(ValidationFailed) as error:
        make_group(admin, make, name="исп-25-1")
    assert error.value.field == "name"


def test_group_with_history_is_archived_not_deleted(admin, make):
    group = make_group(admin, make)
    make.enroll(make.user("student"), group, starts_on=date(2025, 9, 1))
    with pytest.raises(Conflict):
        structure.delete_group(group, actor=admin)
    empty = make_group(admin, make, name="ИСП-25-9")
    structure.delete_group(empty, actor=admin)
    db.session.flush()
    assert db.session.get(StudyGroup, empty.id) is None


def test_group_filters(admin, make):
    it = make.department("ИТ")
    eco = make.department("Экономика")
    first = make.group("ИСП-25-1", year=2025, dept=it)
    fourth = make.group("ИСП-22-1", year=2022, dept=it)
    make.group("ЭК-25-1", year=2025, dept=eco)
    archived = make.group("ИСП-20-1", year=2020, dept=it)
    archived.is_archived = True
    make.tutor_of(make.user("tutor"), first, starts_on=date(2025, 9, 1))

    def found(**filters) -> list[str]:
        query = structure.group_query(structure.GroupFilters(**filters), TODAY)
        return names(query)

    assert found() == ["ИСП-22-1", "ИСП-25-1", "ЭК-25-1"]
    assert found(department_id=it.id) == ["ИСП-22-1", "ИСП-25-1"]
    assert found(course=1) == ["ИСП-25-1", "ЭК-25-1"]
    assert found(course=4) == ["ИСП-22-1"]
    assert found(no_tutor=True) == ["ИСП-22-1", "ЭК-25-1"]
    assert found(archived="1") == ["ИСП-20-1"]
    assert len(found(archived="all")) == 4
    assert found(q="исп 25") == ["ИСП-25-1"]
    assert found(sort="course") == ["ИСП-25-1", "ЭК-25-1", "ИСП-22-1"]
    assert found(sort="-name") == ["ЭК-25-1", "ИСП-25-1", "ИСП-22-1"]
    assert fourth.course(TODAY) == 4


def test_group_extras_count_current_students_and_tutors(make):
    group = make.group()
    make.enroll(make.user("student"), group, starts_on=date(2025, 9, 1))
    make.enroll(make.user("student"), group, starts_on=date(2025, 9, 1), ends_on=date(2026, 1, 1))
    tutor = make.user("tutor", last_name="Кураторова")
    make.tutor_of(tutor, group, starts_on=date(2025, 9, 1))
    extras = structure.group_extras([group.id], TODAY)
    assert extras.sizes == {group.id: 1}
    assert extras.tutors == {group.id: [tutor]}
    assert structure.group_extras([], TODAY).sizes == {}


# --- who is in a group ------------------------------------------------------------------------


def test_enroll_and_end(admin, make):
    group = make.group()
    student = make.user("student")
    enrollment = structure.enroll(
        group, actor=admin, student_id=student.id, starts_on=date(2025, 9, 1), reason="приказ 1"
    )
    page = structure.group_page(group, TODAY)
    assert [e.student for e in page.students] == [student]
    with pytest.raises(ValidationFailed) as error:
        structure.end_enrollment(enrollment, actor=admin, ends_on=date(2025, 8, 1))
    assert error.value.field == "ends_on"
    structure.end_enrollment(enrollment, actor=admin, ends_on=date(2026, 1, 31), reason="отчислен")
    page = structure.group_page(group, TODAY)
    assert page.students == [] and page.former_students == [enrollment]
    with pytest.raises(InvalidTransition):
        structure.end_enrollment(enrollment, actor=admin, ends_on=date(2026, 2, 1))
    ended = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "enrollment.ended")
    ).one()
    assert ended.data["reason"] == "отчислен"


def test_enrolling_elsewhere_is_a_transfer(admin, make):
    old, new = make.group("ИСП-25-1"), make.group("ИСП-25-2")
    student = make.user("student")
    before = make.enroll(student, old, starts_on=date(2025, 9, 1))
    structure.enroll(new, actor=admin, student_id=student.id, starts_on=date(2026, 2, 1))
    assert before.ends_on == date(2026, 1, 31)
    current = db.session.scalars(
        select(Enrollment.group_id).where(
            Enrollment.student_id == student.id, Enrollment.ends_on.is_(None)
        )
    ).all()
    assert current == [new.id]
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "enrollment.created")
    ).one()
    assert event.data["transferred_from"] == ["ИСП-25-1"]


def test_enroll_refusals(admin, make):
    group = make.group()
    student = make.user("student")
    make.enroll(student, group, starts_on=date(2025, 9, 1))
    with pytest.raises(ValidationFailed, match="уже"):
        structure.enroll(group, actor=admin, student_id=student.id, starts_on=TODAY)
    other = make.group()
    with pytest.raises(ValidationFailed) as error:  # the move would start before the stay
        structure.enroll(other, actor=admin, student_id=student.id, starts_on=date(2025, 8, 1))
    assert error.value.field == "starts_on"
    teacher = make.user("teacher")
    with pytest.raises(ValidationFailed) as error:
        structure.enroll(group, actor=admin, student_id=teacher.id, starts_on=TODAY)
    assert error.value.field == "student_id"
    with pytest.raises(ValidationFailed):
        structure.enroll(group, actor=admin, student_id=None, starts_on=TODAY)
    group.is_archived = True
    with pytest.raises(InvalidTransition):
        structure.enroll(group, actor=admin, student_id=make.user("student").id, starts_on=TODAY)


def test_assign_and_end_tutorship(admin, make):
    group = make.group()
    tutor = make.user("tutor", "teacher")
    assignment = structure.assign_tutor(
        group,
        actor=admin,
        tutor_id=tutor.id,
        starts_on=date(2025, 9, 1),
        basis_number="45-к",
        basis_date=date(2025, 8, 28),
    )
    with pytest.raises(ValidationFailed, match="уже"):
        structure.assign_tutor(
            group,
            actor=admin,
            tutor_id=tutor.id,
            starts_on=TODAY,
            basis_number="46-к",
            basis_date=TODAY,
        )
    assert structure.group_page(group, TODAY).tutors == [assignment]
    structure.end_tutorship(assignment, actor=admin, ends_on=date(2026, 1, 31))
    page = structure.group_page(group, TODAY)
    assert page.tutors == [] and page.former_tutors == [assignment]
    # After the first tutorship ended, the same person may be appointed again.
    structure.assign_tutor(
        group,
        actor=admin,
        tutor_id=tutor.id,
        starts_on=date(2026, 2, 1),
        basis_number="7-к",
        basis_date=date(2026, 1, 30),
    )
    assert actions().count("tutor.assigned") == 2


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"tutor_id": "student"}, "tutor_id"),
        ({"ends_on": date(2025, 1, 1)}, "ends_on"),
        ({"basis_number": "  "}, "basis_number"),
        ({"basis_date": None}, "basis_date"),
    ],
)
def test_tutorship_refusals(admin, make, values, field):
    good = {
        "tutor_id": make.user("tutor").id,
        "starts_on": date(2025, 9, 1),
        "basis_number": "45-к",
        "basis_date": date(2025, 8, 28),
    }
    if values.get("tutor_id") == "student":
        values["tutor_id"] = make.user("student").id
    with pytest.raises(ValidationFailed) as error:
        structure.assign_tutor(make.group(), actor=admin, **(good | values))
    assert error.value.field == field


def test_teaching_assignments(admin, make):
    group = make.group()
    teacher = make.user("teacher")
    discipline = make.discipline("ОП.02")
    assignment = structure.add_teaching(
        group, actor=admin, teacher_id=teacher.id, discipline_id=discipline.id
    )
    with pytest.raises(ValidationFailed) as error:
        structure.add_teaching(
            group, actor=admin, teacher_id=teacher.id, discipline_id=discipline.id
        )
    assert error.value.field == "discipline_id"
    with pytest.raises(ValidationFailed) as error:
        structure.add_teaching(
            group, actor=admin, teacher_id=make.user("parent").id, discipline_id=discipline.id
        )
    assert error.value.field == "teacher_id"
    structure.remove_teaching(assignment, actor=admin)
    assert db.session.scalars(select(TeachingAssignment)).all() == []
    assert actions()[-2:] == ["teaching.added", "teaching.removed"]


def test_student_candidates(make):
    placed = make.user("student", last_name="Ёлкин")
    loose = make.user("student", last_name="Елкина")
    make.user("teacher", last_name="Ёлкина")
    group = make.group("ИСП-25-1")
    make.enroll(placed, group, starts_on=date(2025, 9, 1))
    without_group = structure.student_candidates("", TODAY)
    assert [s for s, _g in without_group] == [loose]
    found = structure.student_candidates("елкин", TODAY)
    assert found == [(placed, "ИСП-25-1"), (loose, "")]


def test_overview_counts(admin, make):
    group = make.group()
    make.group()
    make.tutor_of(make.user("tutor"), group, starts_on=date(2025, 9, 1))
    figures = structure.overview(TODAY)
    assert (figures.groups, figures.untutored_groups, figures.departments) == (2, 1, 2)
    assert figures.organisation is None
    assert db.session.scalars(select(TutorAssignment)).one().group_id == group.id


def test_a_duplicate_that_slips_past_the_check_is_still_a_form_error(admin, monkeypatch):
    """Two admins saving the same code at once: the database's unique constraint answers."""
    from intranet.services.structure import catalogs

    structure.create_speciality(actor=admin, code="09.02.07", name="ИСиП")
    structure.create_department(actor=admin, name="Отделение ИТ")
    monkeypatch.setattr(catalogs, "taken", lambda *args: False)
    with pytest.raises(ValidationFailed) as error:
        structure.create_speciality(actor=admin, code="09.02.07", name="Другое")
    assert error.value.field == "code"
    with pytest.raises(ValidationFailed) as error:
        structure.create_department(actor=admin, name="Отделение ИТ")
    assert error.value.field == "name"
    # The session is still usable: the savepoint took the failed insert away.
    assert [d.name for d in db.session.scalars(structure.department_query())] == ["Отделение ИТ"]
