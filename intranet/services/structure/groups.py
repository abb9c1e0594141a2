"""Study groups: list, filters, create, edit, archive and delete."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from intranet.extensions import db
from intranet.models import (
    Department,
    Enrollment,
    Speciality,
    StudyForm,
    StudyGroup,
    TeachingAssignment,
    TutorAssignment,
    User,
)
from intranet.models.base import fold
from intranet.services import audit
from intranet.services.errors import Conflict, ValidationFailed
from intranet.services.structure._common import (
    academic_year_start,
    clean,
    count,
    current,
    delete_row,
    require_manage,
    search_terms,
    taken,
    unique_guard,
)

MAX_COURSE = 6


@dataclass(frozen=True)
class GroupFilters:
    q: str = ""
    department_id: int | None = None
    speciality_id: int | None = None
    course: int | None = None
    archived: str = ""  # "": active groups, "1": archived ones, "all": both
    no_tutor: bool = False
    sort: str = "name"


def group_query(filters: GroupFilters, today: date) -> Select:
    """Groups matching the filters, with speciality and department loaded."""
    query = select(StudyGroup).options(
        joinedload(StudyGroup.speciality), joinedload(StudyGroup.department)
    )
    query = query.where(*search_terms(StudyGroup.name_key, filters.q))
    if filters.department_id:
        query = query.where(StudyGroup.department_id == filters.department_id)
    if filters.speciality_id:
        query = query.where(StudyGroup.speciality_id == filters.speciality_id)
    if filters.course:
        year = academic_year_start(today) - filters.course + 1
        query = query.where(StudyGroup.admission_year == year)
    if filters.archived == "1":
        query = query.where(StudyGroup.is_archived.is_(True))
    elif filters.archived != "all":
        query = query.where(StudyGroup.is_archived.is_(False))
    if filters.no_tutor:
        tutored = select(TutorAssignment.group_id).where(current(TutorAssignment, today))
        query = query.where(StudyGroup.id.not_in(tutored))
    # Sorting by course: the newest intake (1st course) first; by name otherwise.
    orders = {
        "name": [StudyGroup.name_key],
        "-name": [StudyGroup.name_key.desc()],
        "course": [StudyGroup.admission_year.desc(), StudyGroup.name_key],
        "-course": [StudyGroup.admission_year, StudyGroup.name_key],
    }
    return query.order_by(*orders.get(filters.sort, orders["name"]), StudyGroup.id)


@dataclass
class GroupExtras:
    sizes: dict[int, int] = field(default_factory=dict)
    tutors: dict[int, list[User]] = field(default_factory=dict)


def group_extras(group_ids: list[int], today: date) -> GroupExtras:
    """Current head counts and tutors of these groups, in two queries."""
    extras = GroupExtras()
    if not group_ids:
        return extras
    extras.sizes = dict(
        db.session.execute(
            select(Enrollment.group_id, func.count(Enrollment.id))
            .where(Enrollment.group_id.in_(group_ids), current(Enrollment, today))
            .group_by(Enrollment.group_id)
        ).all()
    )
    for group_id, tutor in db.session.execute(
        select(TutorAssignment.group_id, User)
        .join(User, User.id == TutorAssignment.tutor_id)
        .where(TutorAssignment.group_id.in_(group_ids), current(TutorAssignment, today))
        .order_by(User.name_key)
    ):
        extras.tutors.setdefault(group_id, []).append(tutor)
    return extras


def create_group(
    *,
    actor: User,
    name: str,
    speciality_id: int | None,
    department_id: int | None,
    admission_year: int | None,
    study_form: StudyForm | str = StudyForm.FULL_TIME,
) -> StudyGroup:
    """Add a study group."""
    group = StudyGroup(is_archived=False)
    _save_group(
        group,
        actor=actor,
        action="group.created",
        name=name,
        speciality_id=speciality_id,
        department_id=department_id,
        admission_year=admission_year,
        study_form=study_form,
        is_archived=False,
    )
    return group


def update_group(
    group: StudyGroup,
    *,
    actor: User,
    name: str,
    speciality_id: int | None,
    department_id: int | None,
    admission_year: int | None,
    study_form: StudyForm | str,
    is_archived: bool,
) -> None:
    """Change a group's details, or archive it when it has graduated."""
    _save_group(
        group,
        actor=actor,
        action="group.updated",
        name=name,
        speciality_id=speciality_id,
        department_id=department_id,
        admission_year=admission_year,
        study_form=study_form,
        is_archived=is_archived,
    )


def _save_group(
    group: StudyGroup,
    *,
    actor: User,
    action: str,
    name: str,
    speciality_id: int | None,
    department_id: int | None,
    admission_year: int | None,
    study_form: StudyForm | str,
    is_archived: bool,
) -> None:
    require_manage(actor)
    name = clean(name)
    if not name:
        raise ValidationFailed(_("Enter the group's name, e.g. ИСП-21-1."), "name")
    if len(name) > 40:
        raise ValidationFailed(_("The name is too long (40 characters at most)."), "name")
    speciality = db.session.get(Speciality, speciality_id) if speciality_id else None
    if speciality is None:
        raise ValidationFailed(_("Choose the speciality."), "speciality_id")
    department = db.session.get(Department, department_id) if department_id else None
    if department is None:
        raise ValidationFailed(_("Choose the department."), "department_id")
    if admission_year is None or not 1990 <= admission_year <= 2100:
        raise ValidationFailed(_("Enter the admission year, e.g. 2024."), "admission_year")
    try:
        form = StudyForm(study_form)
    except ValueError as error:
        raise ValidationFailed(_("Choose the form of study."), "study_form") from error
    duplicate = _("A group with this name already exists.")
    if taken(StudyGroup, StudyGroup.name_key, fold(name), group.id):
        raise ValidationFailed(duplicate, "name")
    with unique_guard(duplicate, "name"):
        group.name, group.name_key = name, fold(name)
        group.speciality_id, group.department_id = speciality.id, department.id
        group.admission_year, group.study_form = admission_year, form
        group.is_archived = is_archived
        db.session.add(group)
    audit.record(
        action,
        actor=actor,
        obj=group,
        summary=name,
        speciality=speciality.code,
        department=department.name,
        admission_year=admission_year,
        archived=is_archived,
    )


def delete_group(group: StudyGroup, *, actor: User) -> None:
    """Delete a group with no history (students, tutors, teachers); archive it otherwise."""
    require_manage(actor)
    used = (
        count(select(func.count()).where(Enrollment.group_id == group.id))
        + count(select(func.count()).where(TutorAssignment.group_id == group.id))
        + count(select(func.count()).where(TeachingAssignment.group_id == group.id))
    )
    if used:
        raise Conflict(
            _(
                "The group has students, tutors or teachers in its history, so it cannot be "
                "deleted. Archive it instead."
            )
        )
    delete_row(group, actor=actor, action="group.deleted", summary=group.name)
