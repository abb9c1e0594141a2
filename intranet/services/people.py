"""People: the directory, person pages, and an admin's changes to accounts and family links.

Account rules (creating people, roles, teacher status, disabling, the last admin) live in
services/accounts.py; this module checks who may use them, and adds what the pages need.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from intranet import policy
from intranet.extensions import db
from intranet.labels import role_label, teacher_status_label
from intranet.models import (
    Enrollment,
    Guardian,
    Role,
    StudyGroup,
    TeacherStatus,
    TeachingAssignment,
    TutorAssignment,
    User,
    UserRole,
)
from intranet.models.base import utcnow
from intranet.models.people import TEACHING_ROLES
from intranet.services import accounts, audit
from intranet.services.errors import PermissionDenied, ValidationFailed
from intranet.services.phones import format_phone
from intranet.services.structure import clean, search_terms

EXPORT_LIMIT = 20000


def _require(actor: User | None, action: str = "people.manage") -> None:
    if not policy.can(actor, action):
        raise PermissionDenied(_("Only a platform administrator may change people's accounts."))


def _current(model, today: date) -> ColumnElement[bool]:
    return (model.starts_on <= today) & or_(model.ends_on.is_(None), model.ends_on >= today)


# --- the directory ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PeopleFilters:
    q: str = ""
    role: Role | None = None
    group_id: int | None = None
    department_id: int | None = None
    status: str = ""  # "pending": teaching staff awaiting confirmation; "confirmed"
    active: str = ""  # "1": active accounts only, "0": disabled ones, "": all
    sort: str = "name"


def _connected_to(group_ids: Select | list[int], today: date) -> ColumnElement[bool]:
    """The person is a student, a student's parent, a tutor or a teacher of these groups."""
    enrolled = exists().where(
        Enrollment.student_id == User.id,
        Enrollment.group_id.in_(group_ids),
        _current(Enrollment, today),
    )
    parent_of = exists().where(
        Guardian.parent_id == User.id,
        Guardian.student_id == Enrollment.student_id,
        Enrollment.group_id.in_(group_ids),
        _current(Enrollment, today),
    )
    tutor = exists().where(
        TutorAssignment.tutor_id == User.id,
        TutorAssignment.group_id.in_(group_ids),
        _current(TutorAssignment, today),
    )
    teacher = exists().where(
        TeachingAssignment.teacher_id == User.id, TeachingAssignment.group_id.in_(group_ids)
    )
    return or_(enrolled, parent_of, tutor, teacher)


def people_query(filters: PeopleFilters, today: date) -> Select:
    """People matching the filters, sorted by surname (the folded ФИО)."""
    query = select(User).where(*search_terms(User.name_key, filters.q))
    if filters.role is not None:
        query = query.where(
            exists().where(UserRole.user_id == User.id, UserRole.role == filters.role)
        )
    if filters.group_id:
        query = query.where(_connected_to([filters.group_id], today))
    if filters.department_id:
        in_department = select(StudyGroup.id).where(
            StudyGroup.department_id == filters.department_id
        )
        query = query.where(_connected_to(in_department, today))
    if filters.status:
        teaching = exists().where(
            UserRole.user_id == User.id, UserRole.role.in_(list(TEACHING_ROLES))
        )
        if filters.status == "pending":
            # The same people the admin's home panel counts.
            query = query.where(
                teaching,
                User.teacher_status.in_([TeacherStatus.PENDING, TeacherStatus.NOT_CONFIRMED]),
                User.is_active.is_(True),
            )
        else:
            query = query.where(teaching, User.teacher_status == TeacherStatus.CONFIRMED)
    if filters.active in ("1", "0"):
        query = query.where(User.is_active.is_(filters.active == "1"))
    orders = {
        "name": [User.name_key, User.id],
        "-name": [User.name_key.desc(), User.id.desc()],
        "new": [User.created_at.desc(), User.id.desc()],
    }
    return query.order_by(*orders.get(filters.sort, orders["name"]))


def groups_of(user_ids: Iterable[int], today: date) -> dict[int, list[StudyGroup]]:
    """The groups each person studies in or tutors today, in two queries."""
    ids = list(user_ids)
    result: dict[int, list[StudyGroup]] = {}
    if not ids:
        return result
    for model, person in (
        (Enrollment, Enrollment.student_id),
        (TutorAssignment, TutorAssignment.tutor_id),
    ):
        rows = db.session.execute(
            select(person, StudyGroup)
            .join(StudyGroup, StudyGroup.id == model.group_id)
            .where(person.in_(ids), _current(model, today))
            .order_by(StudyGroup.name_key)
        )
        for person_id, group in rows:
            result.setdefault(person_id, []).append(group)
    return result


def export_table(
    filters: PeopleFilters, *, viewer: User, today: date
) -> tuple[list[str], list[list[object]]]:
    """The directory as a table; contacts only where the viewer may see them."""
    if not policy.can(viewer, "people.list"):
        raise PermissionDenied(_("You may not see the list of people."))
    people = db.session.scalars(people_query(filters, today).limit(EXPORT_LIMIT)).all()
    groups: dict[int, list[StudyGroup]] = {}
    for start in range(0, len(people), 500):  # stay well under SQLite's bound-parameter limit
        groups.update(groups_of([p.id for p in people[start : start + 500]], today))
    header = [
        _("Full name"),
        _("Roles"),
        _("Groups"),
        _("E-mail"),
        _("Phone"),
        _("External ID"),
        _("Teacher status"),
        _("Active"),
    ]
    rows = []
    for person in people:
        contacts = policy.can(viewer, "people.view_contacts", person)
        rows.append(
            [
                person.full_name,
                ", ".join(role_label(r) for r in Role if r in person.role_set),
                ", ".join(g.name for g in groups.get(person.id, [])),
                (person.email or "") if contacts else "",
                format_phone(person.phone) if contacts else "",
                person.external_id or "",
                teacher_status_label(person.teacher_status),
                person.is_active,
            ]
        )
    return header, rows


# --- a person's page ---------------------------------------------------------------------------


@dataclass
class PersonPage:
    person: User
    enrollments: list[Enrollment]
    tutorships: list[TutorAssignment]
    teaching: list[TeachingAssignment]
    parents: list[Guardian]
    children: list[Guardian]
    movements: list = field(default_factory=list)  # intranet.models.Movement, newest first


def person_page(person: User) -> PersonPage:
    """A person's groups (as student, tutor, teacher) and family links, in five queries."""
    enrollments = db.session.scalars(
        select(Enrollment)
        .options(joinedload(Enrollment.group))
        .where(Enrollment.student_id == person.id)
        .order_by(Enrollment.starts_on.desc())
    ).all()
    tutorships = db.session.scalars(
        select(TutorAssignment)
        .options(joinedload(TutorAssignment.group))
        .where(TutorAssignment.tutor_id == person.id)
        .order_by(TutorAssignment.starts_on.desc())
    ).all()
    teaching = db.session.scalars(
        select(TeachingAssignment)
        .join(StudyGroup, StudyGroup.id == TeachingAssignment.group_id)
        .options(joinedload(TeachingAssignment.group), joinedload(TeachingAssignment.discipline))
        .where(TeachingAssignment.teacher_id == person.id)
        .order_by(StudyGroup.name_key)
    ).all()
    parents = db.session.scalars(
        select(Guardian)
        .join(User, User.id == Guardian.parent_id)
        .options(joinedload(Guardian.parent))
        .where(Guardian.student_id == person.id)
        .order_by(User.name_key)
    ).all()
    children = db.session.scalars(
        select(Guardian)
        .join(User, User.id == Guardian.student_id)
        .options(joinedload(Guardian.student))
        .where(Guardian.parent_id == person.id)
        .order_by(User.name_key)
    ).all()
    from intranet.services.movement import history_for

    return PersonPage(
        person,
        list(enrollments),
        list(tutorships),
        list(teaching),
        list(parents),
        list(children),
        history_for(person.id),
    )


# --- an admin's changes ------------------------------------------------------------------------


def _check_external_id(external_id: str | None, own_id: int | None) -> str | None:
    value = clean(external_id) or None
    if value is None:
        return None
    other = db.session.scalar(select(User.id).where(User.external_id == value))
    if other is not None and other != own_id:
        raise ValidationFailed(
            _("Another person already has this ID from the e-journal."), "external_id"
        )
    return value


@contextmanager
def _unique_guard() -> Iterator[None]:
    """The checks above can race with another admin's save; the unique constraints cannot."""
    try:
        with db.session.begin_nested():
            yield
    except IntegrityError as error:
        raise ValidationFailed(
            _("Someone has just saved the same e-mail, phone or ID for another person.")
        ) from error


def _check_name(last_name: str, first_name: str) -> None:
    if not clean(last_name):
        raise ValidationFailed(_("Enter the surname."), "last_name")
    if not clean(first_name):
        raise ValidationFailed(_("Enter the first name."), "first_name")


def create_person(
    *,
    actor: User,
    last_name: str,
    first_name: str,
    middle_name: str = "",
    email: str | None = None,
    phone: str | None = None,
    external_id: str | None = None,
    roles: Iterable[Role] = (),
) -> User:
    """Create a person with roles; they have no password until they activate the account."""
    _require(actor)
    if Role.ADMIN in {Role(r) for r in roles}:
        raise _admins_elsewhere()
    _check_name(last_name, first_name)
    external = _check_external_id(external_id, None)
    with _unique_guard():
        return accounts.create_person(
            actor=actor,
            last_name=clean(last_name),
            first_name=clean(first_name),
            middle_name=clean(middle_name),
            email=email,
            phone=phone,
            external_id=external,
            roles=[Role(r) for r in roles],
        )


def update_person(
    person: User,
    *,
    actor: User,
    last_name: str,
    first_name: str,
    middle_name: str = "",
    email: str | None = None,
    phone: str | None = None,
    external_id: str | None = None,
) -> None:
    """Correct a person's name, contacts or e-journal ID."""
    _require(actor)
    _check_name(last_name, first_name)
    external = _check_external_id(external_id, person.id)
    fields = ("full_name", "email", "phone", "external_id")
    before = [getattr(person, f) for f in fields]
    with _unique_guard():
        accounts.update_profile(
            person,
            last_name=clean(last_name),
            first_name=clean(first_name),
            middle_name=clean(middle_name),
            email=email,
            phone=phone,
            locale=person.locale,
        )
        person.external_id = external
    changed = [f for f, old in zip(fields, before, strict=True) if getattr(person, f) != old]
    audit.record(
        "person.updated", actor=actor, obj=person, summary=person.full_name, changed=changed
    )


def set_roles(person: User, roles: Iterable[Role], *, actor: User) -> None:
    """Replace a person's roles other than administrator, which is given and taken only by
    the main administrator on the administrators' page, where each appointment is logged
    with its basis (regulation §2.1)."""
    _require(actor)
    wanted = {Role(r) for r in roles}
    if Role.ADMIN in wanted and not person.has_role(Role.ADMIN):
        raise _admins_elsewhere()
    if person.has_role(Role.ADMIN):
        wanted.add(Role.ADMIN)
    accounts.set_roles(person, wanted, actor=actor)
    db.session.flush()


def _admins_elsewhere() -> ValidationFailed:
    return ValidationFailed(
        _(
            "Administrators are appointed and removed by the main administrator on the "
            "Administrators page."
        ),
        "roles",
    )


def confirm_teacher(person: User, *, actor: User) -> None:
    """Complete the confirmation of a person's teacher status (regulation §2.1)."""
    _require(actor, "people.confirm_teacher")
    accounts.confirm_teacher(person, actor=actor)
    db.session.flush()


def set_active(person: User, active: bool, *, actor: User) -> None:
    """Disable an account (ending its sessions) or enable it again."""
    _require(actor)
    if active and person.anonymised_at is not None:
        raise ValidationFailed(
            _("This person's data has been anonymised: the account cannot be enabled again.")
        )
    accounts.set_active(person, active, actor=actor)
    db.session.flush()


def link_parent(
    student: User, *, actor: User, parent_id: int | None, relation: str = ""
) -> Guardian:
    """Record that a person is a parent (законный представитель) of a student."""
    _require(actor)
    if not student.has_role(Role.STUDENT):
        raise ValidationFailed(_("Parents can be linked only to a student."), "parent_id")
    parent = db.session.get(User, parent_id) if parent_id else None
    if parent is None or parent.id == student.id or not parent.has_role(Role.PARENT):
        raise ValidationFailed(_("Choose a person with the parent role."), "parent_id")
    linked = select(Guardian.id).where(
        Guardian.parent_id == parent.id, Guardian.student_id == student.id
    )
    if db.session.scalar(linked) is not None:
        raise ValidationFailed(
            _("%(name)s is already linked to this student.", name=parent.full_name), "parent_id"
        )
    link = Guardian(
        parent_id=parent.id,
        student_id=student.id,
        relation=clean(relation)[:40],
        is_confirmed=True,
        created_at=utcnow(),
    )
    db.session.add(link)
    db.session.flush()
    audit.record(
        "guardian.linked",
        actor=actor,
        obj=link,
        summary=f"{parent.full_name} → {student.full_name}",
        parent_id=parent.id,
        student_id=student.id,
    )
    return link


def unlink_guardian(link: Guardian, *, actor: User) -> None:
    """Remove a parent–student link."""
    _require(actor)
    parent, student = db.session.get(User, link.parent_id), db.session.get(User, link.student_id)
    audit.record(
        "guardian.unlinked",
        actor=actor,
        obj=link,
        summary=f"{parent.full_name if parent else ''} → {student.full_name if student else ''}",
        parent_id=link.parent_id,
        student_id=link.student_id,
    )
    db.session.delete(link)
    db.session.flush()


def parent_candidates(find: str, limit: int = 50) -> list[User]:
    """People with the parent role whose name matches, to link to a student."""
    if not find.strip():
        return []
    return list(
        db.session.scalars(
            select(User)
            .where(
                exists().where(UserRole.user_id == User.id, UserRole.role == Role.PARENT),
                *search_terms(User.name_key, find),
            )
            .order_by(User.name_key, User.id)
            .limit(limit)
        )
    )
