"""Fixtures for the channel tests: a small college with one person per role."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from intranet.models import Audience
from tests.channels import helpers


@pytest.fixture
def college(app, make):
    """One person per role (the tutor also teaches), a group with a student and a parent,
    and the official channel: deputy, then head."""
    group = make.group("ИСП-24-9")
    other_group = make.group("ИСП-24-8")
    people = SimpleNamespace(
        admin=make.user("admin", last_name="Админова"),
        head=make.user("head", last_name="Директоров"),
        deputy=make.user("deputy", last_name="Замов"),
        tutor=make.user("tutor", "teacher", last_name="Кураторова"),
        teacher=make.user("teacher", last_name="Учителев"),
        student=make.user("student", last_name="Студентов"),
        parent=make.user("parent", last_name="Родителева"),
        other_student=make.user("student", last_name="Чужой"),
        group=group,
        other_group=other_group,
    )
    make.enroll(people.student, group)
    make.enroll(people.other_student, other_group)
    make.guardian(people.parent, people.student)
    make.tutor_of(people.tutor, group)
    make.teaches(people.teacher, group)
    people.official = helpers.channel(people.admin, "Официальный канал колледжа")
    return people


ROLES = ("admin", "head", "deputy", "tutor", "teacher", "student", "parent")


@pytest.fixture
def staff_channel(college):
    return helpers.channel(college.admin, "Для преподавателей", audience=Audience.STAFF)
