"""The demo college: volume, the named accounts and their links, and repeatable runs."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from intranet.demo import build_demo_college
from intranet.demo.context import DEMO_PASSWORD
from intranet.demo.names import PATRONYMICS, surname
from intranet.extensions import db
from intranet.models import (
    Department,
    Enrollment,
    Guardian,
    Organisation,
    Role,
    Speciality,
    StudyGroup,
    TeacherStatus,
    TeachingAssignment,
    TutorAssignment,
    User,
    UserRole,
)
from intranet.services import accounts
from intranet.services.errors import ValidationFailed

TODAY = date(2026, 11, 20)
GROUP_NAME = re.compile(r"^[А-Я]+-\d{2}-\d$")


def _current(model):
    return (model.starts_on <= TODAY) & (model.ends_on.is_(None) | (model.ends_on >= TODAY))


def _count_role(role: Role) -> int:
    return db.session.scalar(select(func.count()).where(UserRole.role == role))


def _named(key: str) -> User:
    return db.session.scalar(select(User).where(User.email == f"{key}@demo.college"))


@pytest.mark.pg
def test_demo_college_has_the_volume_and_the_named_accounts(app):
    summary = build_demo_college(scale=1, today=TODAY)
    db.session.commit()

    assert "Обучающиеся в группах" in summary
    org = db.session.scalar(select(Organisation))
    assert org.timezone == "Europe/Moscow"
    assert org.full_name.startswith("Государственное бюджетное профессиональное")
    assert db.session.scalar(select(func.count(Department.id))) >= 4
    codes = set(db.session.scalars(select(Speciality.code)))
    assert {"09.02.07", "38.02.01", "40.02.04", "23.02.07", "43.02.15", "44.02.01"} <= codes

    groups = db.session.scalars(select(StudyGroup)).all()
    assert 40 <= len(groups) <= 60
    assert all(GROUP_NAME.match(g.name) for g in groups), [g.name for g in groups]
    assert {g.admission_year for g in groups} == {2023, 2024, 2025, 2026}
    tutored = set(
        db.session.scalars(select(TutorAssignment.group_id).where(_current(TutorAssignment)))
    )
    untutored = [g for g in groups if g.id not in tutored]
    assert len(untutored) == 1 and untutored[0].admission_year == 2026

    in_groups = db.session.scalar(
        select(func.count(func.distinct(Enrollment.student_id))).where(_current(Enrollment))
    )
    assert 900 <= in_groups <= 1100
    assert 1250 <= _count_role(Role.PARENT) <= 1550
    staff = db.session.scalar(
        select(func.count(func.distinct(UserRole.user_id))).where(
            UserRole.role.in_([Role.ADMIN, Role.HEAD, Role.DEPUTY, Role.TEACHER, Role.TUTOR])
        )
    )
    assert 70 <= staff <= 95
    pending = db.session.scalar(
        select(func.count(User.id)).where(User.teacher_status == TeacherStatus.PENDING)
    )
    assert pending >= 3
    # Some parents gave only a phone; every person came with an e-journal id.
    phone_only = db.session.scalar(
        select(func.count(User.id))
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.PARENT, User.email.is_(None), User.phone.is_not(None))
    )
    assert phone_only > 100
    assert db.session.scalar(select(func.count(User.id)).where(User.external_id.is_(None))) == 0

    expected_roles = {
        "admin": {Role.ADMIN},
        "head": {Role.HEAD},
        "deputy": {Role.DEPUTY},
        "tutor": {Role.TUTOR, Role.TEACHER},
        "teacher": {Role.TEACHER},
        "student": {Role.STUDENT},
        "parent": {Role.PARENT},
    }
    for key, roles in expected_roles.items():
        user = accounts.authenticate(f"{key}@demo.college", DEMO_PASSWORD, ip="192.0.2.1")
        assert user.role_set == roles, key
    admin, tutor, teacher = _named("admin"), _named("tutor"), _named("teacher")
    student, parent = _named("student"), _named("parent")
    assert admin.is_main_admin
    assert db.session.scalar(select(func.count()).where(UserRole.is_main.is_(True))) == 1
    assert tutor.teacher_status is TeacherStatus.CONFIRMED
    assert teacher.teacher_status is TeacherStatus.CONFIRMED

    group_id = db.session.scalar(
        select(Enrollment.group_id).where(Enrollment.student_id == student.id, _current(Enrollment))
    )
    link = db.session.scalar(
        select(Guardian).where(Guardian.parent_id == parent.id, Guardian.student_id == student.id)
    )
    assert link is not None and link.is_confirmed
    assert (
        db.session.scalar(
            select(TutorAssignment.tutor_id).where(
                TutorAssignment.group_id == group_id, _current(TutorAssignment)
            )
        )
        == tutor.id
    )
    assert (
        teacher.id
        in db.session.scalars(
            select(TeachingAssignment.teacher_id).where(TeachingAssignment.group_id == group_id)
        ).all()
    )

    # Bulk people share one hash of a secret nobody knows, or have no password yet.
    named_emails = [f"{key}@demo.college" for key in expected_roles]
    bulk_hashes = set(
        db.session.scalars(
            select(User.password_hash).where(User.email.not_in(named_emails) | User.email.is_(None))
        )
    )
    assert len(bulk_hashes - {None}) == 1
    assert None in bulk_hashes
    bulk = db.session.scalar(
        select(User).where(User.password_hash.is_not(None), User.email.like("%.example"))
    )
    with pytest.raises(ValidationFailed):
        accounts.authenticate(bulk.email, DEMO_PASSWORD, ip="192.0.2.2")


def _names() -> list[str]:
    return list(
        db.session.scalars(
            select(User.last_name + " " + User.first_name + " " + User.middle_name).order_by(
                User.external_id
            )
        )
    )


def test_the_same_seed_builds_the_same_college(app):
    savepoint = db.session.begin_nested()
    build_demo_college(scale=1, today=TODAY)
    first = _names()
    savepoint.rollback()
    build_demo_college(scale=1, today=TODAY)
    second = _names()
    assert len(first) > 2000
    assert first == second
    assert any("ё" in name.casefold() for name in first)


def test_surnames_and_patronymics_take_the_persons_gender():
    assert surname("Фёдоров", female=True) == "Фёдорова"
    assert surname("Ёлкин", female=True) == "Ёлкина"
    assert surname("Островский", female=True) == "Островская"
    assert surname("Толстой", female=True) == "Толстая"
    assert surname("Шевченко", female=True) == "Шевченко"
    assert surname("Соловьёв", female=False) == "Соловьёв"
    assert PATRONYMICS["Илья"] == ("Ильич", "Ильинична")
    assert PATRONYMICS["Пётр"] == ("Петрович", "Петровна")
