"""Departments, specialities and disciplines: the catalogs groups and teaching refer to."""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Select, func, or_, select

from intranet.extensions import db
from intranet.models import (
    Department,
    Discipline,
    Speciality,
    StudyGroup,
    TeachingAssignment,
    User,
)
from intranet.models.base import fold
from intranet.services import audit
from intranet.services.errors import Conflict, ValidationFailed
from intranet.services.structure._common import (
    clean,
    count,
    delete_row,
    order,
    require_manage,
    search_terms,
    taken,
    unique_guard,
)

# 09.02.07: the federal list of specialities and professions of СПО.
SPECIALITY_CODE = re.compile(r"^\d{2}\.\d{2}\.\d{2}$")
# ОП.01, МДК.01.01, ОГСЭ.03, ПМ.02, УП.01.01 … Codes repeat across curricula (ОП.01 is a
# different subject in each speciality), so a speciality's code may stand before them:
# «09.02.07 ОП.01».
DISCIPLINE_CODE = re.compile(r"^(\d{2}\.\d{2}\.\d{2} )?[А-ЯЁA-Z]{1,8}(\.\d{1,3}){1,3}$")


def department_query(q: str = "", sort: str = "name") -> Select:
    """Departments matching the search, sorted by name."""
    return (
        select(Department)
        .where(*search_terms(Department.name_key, q))
        .order_by(*order(sort, {"name": Department.name_key}, "name"), Department.id)
    )


def create_department(*, actor: User, name: str) -> Department:
    """Add a department (отделение)."""
    department = Department()
    _save_department(department, actor=actor, name=name, action="department.created")
    return department


def update_department(department: Department, *, actor: User, name: str) -> None:
    """Rename a department."""
    _save_department(department, actor=actor, name=name, action="department.updated")


def _save_department(department: Department, *, actor: User, name: str, action: str) -> None:
    require_manage(actor)
    name = clean(name)
    if not name:
        raise ValidationFailed(_("Enter the name."), "name")
    duplicate = _("A department with this name already exists.")
    if taken(Department, Department.name_key, fold(name), department.id):
        raise ValidationFailed(duplicate, "name")
    with unique_guard(duplicate, "name"):
        department.name, department.name_key = name, fold(name)
        db.session.add(department)
    audit.record(action, actor=actor, obj=department, summary=name)


def delete_department(department: Department, *, actor: User) -> None:
    """Delete a department that no group belongs to."""
    require_manage(actor)
    groups = count(select(func.count()).where(StudyGroup.department_id == department.id))
    if groups:
        raise Conflict(
            ngettext(
                "The department has %(num)d group; move or delete it first.",
                "The department has %(num)d groups; move or delete them first.",
                groups,
            )
        )
    delete_row(department, actor=actor, action="department.deleted", summary=department.name)


def speciality_query(q: str = "", sort: str = "code") -> Select:
    """Specialities whose code or name matches, sorted by code or name."""
    query = select(Speciality)
    for word in q.split()[:6]:
        query = query.where(
            or_(
                Speciality.code.contains(word, autoescape=True),
                *search_terms(Speciality.name_key, word),
            )
        )
    columns = {"code": Speciality.code, "name": Speciality.name_key}
    return query.order_by(*order(sort, columns, "code"), Speciality.id)


def create_speciality(*, actor: User, code: str, name: str) -> Speciality:
    """Add a speciality: its code from the federal list (09.02.07) and its name."""
    speciality = Speciality()
    _save_coded(speciality, actor=actor, code=code, name=name, action="speciality.created")
    return speciality


def update_speciality(speciality: Speciality, *, actor: User, code: str, name: str) -> None:
    """Change a speciality's code or name."""
    _save_coded(speciality, actor=actor, code=code, name=name, action="speciality.updated")


def delete_speciality(speciality: Speciality, *, actor: User) -> None:
    """Delete a speciality that no group studies."""
    require_manage(actor)
    groups = count(select(func.count()).where(StudyGroup.speciality_id == speciality.id))
    if groups:
        raise Conflict(
            ngettext(
                "%(num)d group studies this speciality; change or delete it first.",
                "%(num)d groups study this speciality; change or delete them first.",
                groups,
            )
        )
    summary = f"{speciality.code} {speciality.name}"
    delete_row(speciality, actor=actor, action="speciality.deleted", summary=summary)


def discipline_query(q: str = "", sort: str = "code") -> Select:
    """Disciplines whose code or name matches, sorted by code or name."""
    query = select(Discipline)
    for word in q.split()[:6]:
        query = query.where(
            or_(
                Discipline.code.contains(word.upper(), autoescape=True),
                *search_terms(Discipline.name_key, word),
            )
        )
    columns = {"code": Discipline.code, "name": Discipline.name_key}
    return query.order_by(*order(sort, columns, "code"), Discipline.id)


def create_discipline(*, actor: User, code: str, name: str) -> Discipline:
    """Add a discipline or interdisciplinary course (ОП.01, МДК.01.01)."""
    discipline = Discipline()
    _save_coded(discipline, actor=actor, code=code, name=name, action="discipline.created")
    return discipline


def update_discipline(discipline: Discipline, *, actor: User, code: str, name: str) -> None:
    """Change a discipline's code or name."""
    _save_coded(discipline, actor=actor, code=code, name=name, action="discipline.updated")


def delete_discipline(discipline: Discipline, *, actor: User) -> None:
    """Delete a discipline nobody teaches."""
    require_manage(actor)
    taught = count(select(func.count()).where(TeachingAssignment.discipline_id == discipline.id))
    if taught:
        raise Conflict(
            ngettext(
                "The discipline is taught in %(num)d assignment; remove it first.",
                "The discipline is taught in %(num)d assignments; remove them first.",
                taught,
            )
        )
    summary = f"{discipline.code} {discipline.name}"
    delete_row(discipline, actor=actor, action="discipline.deleted", summary=summary)


def _save_coded(
    row: Speciality | Discipline, *, actor: User, code: str, name: str, action: str
) -> None:
    require_manage(actor)
    code = " ".join((code or "").split()).upper()
    name = clean(name)
    if isinstance(row, Speciality):
        model, pattern = Speciality, SPECIALITY_CODE
        bad_code = _("Enter the code as in the federal list: two digits, a dot, … e.g. 09.02.07.")
        duplicate = _("A speciality with this code already exists.")
    else:
        model, pattern = Discipline, DISCIPLINE_CODE
        bad_code = _("Enter the code as in the curriculum, e.g. ОП.01 or МДК.01.01.")
        duplicate = _("A discipline with this code already exists.")
    if not pattern.match(code):
        raise ValidationFailed(bad_code, "code")
    if not name:
        raise ValidationFailed(_("Enter the name."), "name")
    if taken(model, model.code, code, row.id):
        raise ValidationFailed(duplicate, "code")
    with unique_guard(duplicate, "code"):
        row.code, row.name, row.name_key = code, name, fold(name)
        db.session.add(row)
    audit.record(action, actor=actor, obj=row, summary=f"{code} {name}")


def related_counts(model: type, ids: Iterable[int]) -> dict[int, int]:
    """How many rows point at each of these departments, specialities or disciplines."""
    ids = list(ids)
    if not ids:
        return {}
    column = {
        Department: StudyGroup.department_id,
        Speciality: StudyGroup.speciality_id,
        Discipline: TeachingAssignment.discipline_id,
    }[model]
    rows = db.session.execute(
        select(column, func.count()).where(column.in_(ids)).group_by(column)
    ).all()
    return dict(rows)


def all_departments() -> list[Department]:
    """Every department, for selects."""
    return list(db.session.scalars(select(Department).order_by(Department.name_key)))


def all_specialities() -> list[Speciality]:
    """Every speciality, for selects."""
    return list(db.session.scalars(select(Speciality).order_by(Speciality.code)))


def all_disciplines() -> list[Discipline]:
    """Every discipline, for selects."""
    return list(db.session.scalars(select(Discipline).order_by(Discipline.code)))


def all_groups(*, archived: bool = False) -> list[StudyGroup]:
    """Groups for selects: the active ones unless archived ones are asked for too."""
    query = select(StudyGroup).order_by(StudyGroup.name_key)
    if not archived:
        query = query.where(StudyGroup.is_archived.is_(False))
    return list(db.session.scalars(query))
