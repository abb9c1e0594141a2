"""The one place that answers "may this user do this (to this object)?".

Views, templates and services ask `can(user, action, obj)`; nothing else decides.
An action is first granted by role (ROLE_ACTIONS), then narrowed by an object rule
(OBJECT_RULES) when an object is given. Teaching staff act in their role only once an
admin has confirmed their teacher status (regulation §2.1).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import exists, or_, select

from intranet.extensions import db
from intranet.models import (
    Enrollment,
    Guardian,
    Role,
    StudyGroup,
    TeacherStatus,
    TeachingAssignment,
    TutorAssignment,
    User,
)

A, H, D, TU, TE, S, P = (
    Role.ADMIN,
    Role.HEAD,
    Role.DEPUTY,
    Role.TUTOR,
    Role.TEACHER,
    Role.STUDENT,
    Role.PARENT,
)
EVERYONE = frozenset(Role)
STAFF = frozenset({A, H, D, TU, TE})

ROLE_ACTIONS: dict[str, frozenset[Role]] = {
    "home.view": EVERYONE,
    "structure.view": STAFF,
    "structure.manage": frozenset({A}),
    "people.list": frozenset({A, H, D}),
    "people.view": EVERYONE,  # narrowed by the object rule below
    "people.manage": frozenset({A}),
    "people.confirm_teacher": frozenset({A}),
    "people.view_contacts": frozenset({A, H, D, TU}),  # parents' contacts: narrowed below
    "audit.view": frozenset({A, H}),
    "mail.manage": frozenset({A}),
    "stats.view": frozenset({A, H}),
}

# Roles whose powers wait for a confirmed teacher status.
_NEEDS_CONFIRMATION = frozenset({TU, TE})


def effective_roles(user: Any) -> frozenset[Role]:
    """The roles a user may act in now."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    roles = user.role_set
    if user.teacher_status is not TeacherStatus.CONFIRMED:
        roles = roles - _NEEDS_CONFIRMATION
    return roles


def can(user: Any, action: str, obj: Any = None) -> bool:
    """True when `user` may perform `action` (on `obj`, if one is given)."""
    allowed = ROLE_ACTIONS.get(action)
    if allowed is None:
        raise KeyError(f"unknown action {action!r}")
    roles = effective_roles(user)
    if roles.isdisjoint(allowed):
        return False
    rule = OBJECT_RULES.get(action)
    if rule is None or obj is None:
        return True
    return rule(user, roles, obj)


# --- object rules ---------------------------------------------------------------------------


def _today() -> date:
    return date.today()


def _current(model, today: date):
    return (model.starts_on <= today) & (or_(model.ends_on.is_(None), model.ends_on >= today))


def tutored_group_ids(user: User, today: date | None = None) -> set[int]:
    today = today or _today()
    rows = db.session.scalars(
        select(TutorAssignment.group_id).where(
            TutorAssignment.tutor_id == user.id, _current(TutorAssignment, today)
        )
    )
    return set(rows)


def taught_group_ids(user: User) -> set[int]:
    rows = db.session.scalars(
        select(TeachingAssignment.group_id).where(TeachingAssignment.teacher_id == user.id)
    )
    return set(rows)


def student_group_ids(student_id: int, today: date | None = None) -> set[int]:
    today = today or _today()
    rows = db.session.scalars(
        select(Enrollment.group_id).where(
            Enrollment.student_id == student_id, _current(Enrollment, today)
        )
    )
    return set(rows)


def _is_student_in(student_id: int, group_ids: set[int]) -> bool:
    return bool(group_ids) and bool(student_group_ids(student_id) & group_ids)


def _parent_of_student_in(parent_id: int, group_ids: set[int]) -> bool:
    if not group_ids:
        return False
    today = _today()
    query = select(
        exists().where(
            Guardian.parent_id == parent_id,
            Guardian.student_id == Enrollment.student_id,
            Enrollment.group_id.in_(group_ids),
            _current(Enrollment, today),
        )
    )
    return bool(db.session.scalar(query))


def _is_child(parent: User, student_id: int) -> bool:
    query = select(
        exists().where(
            Guardian.parent_id == parent.id,
            Guardian.student_id == student_id,
            Guardian.is_confirmed.is_(True),
        )
    )
    return bool(db.session.scalar(query))


def _may_view_person(user: User, roles: frozenset[Role], person: User) -> bool:
    if person.id == user.id or roles & {A, H, D}:
        return True
    if TU in roles:
        groups = tutored_group_ids(user)
        if _is_student_in(person.id, groups) or _parent_of_student_in(person.id, groups):
            return True
    if TE in roles and _is_student_in(person.id, taught_group_ids(user)):
        return True
    if P in roles and _is_child(user, person.id):
        return True
    return bool(person.role_set & STAFF) and bool(roles & STAFF)


def _may_view_contacts(user: User, roles: frozenset[Role], person: User) -> bool:
    """Parents' contacts are for tutors (of their children's groups) and admins only."""
    if person.id == user.id or A in roles:
        return True
    if P in person.role_set:
        return TU in roles and _parent_of_student_in(person.id, tutored_group_ids(user))
    if roles & {H, D}:
        return True
    return TU in roles and _is_student_in(person.id, tutored_group_ids(user))


def _may_view_group(user: User, roles: frozenset[Role], obj: Any) -> bool:
    """College leaders see every group; tutors and teachers the groups they work with."""
    if not isinstance(obj, StudyGroup) or roles & {A, H, D}:
        return True
    if TU in roles and obj.id in tutored_group_ids(user):
        return True
    return TE in roles and obj.id in taught_group_ids(user)


OBJECT_RULES: dict[str, Callable[[User, frozenset[Role], Any], bool]] = {
    "people.view": _may_view_person,
    "people.view_contacts": _may_view_contacts,
    "structure.view": _may_view_group,
}
