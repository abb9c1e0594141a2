"""Who is in a group: students (enrollments), tutors and teaching assignments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from intranet.extensions import db
from intranet.models import (
    Discipline,
    Enrollment,
    Role,
    StudyGroup,
    TeachingAssignment,
    TutorAssignment,
    User,
    UserRole,
)
from intranet.services import audit
from intranet.services.errors import InvalidTransition, ValidationFailed
from intranet.services.structure._common import (
    clean,
    current,
    require_manage,
    search_terms,
    unique_guard,
)


@dataclass
class GroupPage:
    group: StudyGroup
    course: int
    students: list[Enrollment]  # current and upcoming
    former_students: list[Enrollment]
    tutors: list[TutorAssignment]  # current and upcoming
    former_tutors: list[TutorAssignment]
    teaching: list[TeachingAssignment]


def group_page(group: StudyGroup, today: date) -> GroupPage:
    """Everything the group page shows, in three queries."""
    enrollments = db.session.scalars(
        select(Enrollment)
        .join(User, User.id == Enrollment.student_id)
        .options(joinedload(Enrollment.student))
        .where(Enrollment.group_id == group.id)
        .order_by(User.name_key, Enrollment.starts_on)
    ).all()
    tutorships = db.session.scalars(
        select(TutorAssignment)
        .join(User, User.id == TutorAssignment.tutor_id)
        .options(joinedload(TutorAssignment.tutor))
        .where(TutorAssignment.group_id == group.id)
        .order_by(TutorAssignment.starts_on.desc(), User.name_key)
    ).all()
    teaching = db.session.scalars(
        select(TeachingAssignment)
        .join(Discipline, Discipline.id == TeachingAssignment.discipline_id)
        .join(User, User.id == TeachingAssignment.teacher_id)
        .options(joinedload(TeachingAssignment.teacher), joinedload(TeachingAssignment.discipline))
        .where(TeachingAssignment.group_id == group.id)
        .order_by(Discipline.code, User.name_key)
    ).all()

    def ended(row: Enrollment | TutorAssignment) -> bool:
        return row.ends_on is not None and row.ends_on < today

    return GroupPage(
        group=group,
        course=group.course(today),
        students=[e for e in enrollments if not ended(e)],
        former_students=sorted(
            (e for e in enrollments if ended(e)), key=lambda e: e.ends_on, reverse=True
        ),
        tutors=[t for t in tutorships if not ended(t)],
        former_tutors=[t for t in tutorships if ended(t)],
        teaching=list(teaching),
    )


def _person_with_role(person_id: int | None, role: Role, message: str, field_name: str) -> User:
    # Locked, so two admins enrolling the same student at once cannot both pass the checks.
    person = db.session.get(User, person_id, with_for_update=True) if person_id else None
    if person is None or not person.is_active or not person.has_role(role):
        raise ValidationFailed(message, field_name)
    return person


def _label(person_id: int, group_id: int) -> str:
    """ "Surname I. O. / GROUP" for an audit summary."""
    person, group = db.session.get(User, person_id), db.session.get(StudyGroup, group_id)
    return f"{person.full_name if person else person_id} / {group.name if group else group_id}"


def _check_open(group: StudyGroup) -> None:
    if group.is_archived:
        raise InvalidTransition(
            _("The group is archived; restore it before changing who is in it.")
        )


def enroll(
    group: StudyGroup,
    *,
    actor: User,
    student_id: int | None,
    starts_on: date,
    reason: str = "",
) -> Enrollment:
    """Enroll a student; a current enrollment in another group ends the day before (a transfer)."""
    require_manage(actor)
    _check_open(group)
    student = _person_with_role(student_id, Role.STUDENT, _("Choose a student."), "student_id")
    overlapping = db.session.scalars(
        select(Enrollment)
        .options(joinedload(Enrollment.group))
        .where(
            Enrollment.student_id == student.id,
            or_(Enrollment.ends_on.is_(None), Enrollment.ends_on >= starts_on),
        )
    ).all()
    transferred_from = []
    for other in overlapping:
        if other.group_id == group.id:
            raise ValidationFailed(
                _("%(name)s is already in this group.", name=student.full_name), "student_id"
            )
        if other.starts_on >= starts_on:
            raise ValidationFailed(
                _(
                    "%(name)s is in %(group)s from a later date; enroll from a later date "
                    "or end that enrollment first.",
                    name=student.full_name,
                    group=other.group.name,
                ),
                "starts_on",
            )
        other.ends_on = starts_on - timedelta(days=1)
        transferred_from.append(other.group.name)
    enrollment = Enrollment(
        student_id=student.id, group_id=group.id, starts_on=starts_on, reason=clean(reason)
    )
    db.session.add(enrollment)
    db.session.flush()
    audit.record(
        "enrollment.created",
        actor=actor,
        obj=enrollment,
        summary=f"{student.full_name} → {group.name}",
        student_id=student.id,
        group_id=group.id,
        starts_on=starts_on.isoformat(),
        reason=enrollment.reason,
        transferred_from=transferred_from,
    )
    return enrollment


def end_enrollment(enrollment: Enrollment, *, actor: User, ends_on: date, reason: str = "") -> None:
    """End a student's membership of a group (expelled, graduated, moved)."""
    require_manage(actor)
    if enrollment.ends_on is not None:
        raise InvalidTransition(_("This enrollment has already ended."))
    if ends_on < enrollment.starts_on:
        raise ValidationFailed(_("The end cannot be before the start."), "ends_on")
    enrollment.ends_on = ends_on
    db.session.flush()
    audit.record(
        "enrollment.ended",
        actor=actor,
        obj=enrollment,
        summary=_label(enrollment.student_id, enrollment.group_id),
        student_id=enrollment.student_id,
        group_id=enrollment.group_id,
        ends_on=ends_on.isoformat(),
        reason=clean(reason),
    )


def assign_tutor(
    group: StudyGroup,
    *,
    actor: User,
    tutor_id: int | None,
    starts_on: date,
    ends_on: date | None = None,
    basis_number: str,
    basis_date: date | None,
) -> TutorAssignment:
    """Make someone a tutor of the group, on the basis of the head's order."""
    require_manage(actor)
    _check_open(group)
    tutor = _person_with_role(
        tutor_id, Role.TUTOR, _("Choose a person with the tutor role."), "tutor_id"
    )
    if ends_on is not None and ends_on < starts_on:
        raise ValidationFailed(_("The end cannot be before the start."), "ends_on")
    basis_number = clean(basis_number)
    if not basis_number:
        raise ValidationFailed(_("Enter the number of the order."), "basis_number")
    if basis_date is None:
        raise ValidationFailed(_("Enter the date of the order."), "basis_date")
    overlap = select(TutorAssignment.id).where(
        TutorAssignment.group_id == group.id,
        TutorAssignment.tutor_id == tutor.id,
        or_(TutorAssignment.ends_on.is_(None), TutorAssignment.ends_on >= starts_on),
    )
    if ends_on is not None:
        overlap = overlap.where(TutorAssignment.starts_on <= ends_on)
    if db.session.scalar(overlap.limit(1)) is not None:
        raise ValidationFailed(
            _("%(name)s is already a tutor of this group for these dates.", name=tutor.full_name),
            "tutor_id",
        )
    assignment = TutorAssignment(
        group_id=group.id,
        tutor_id=tutor.id,
        starts_on=starts_on,
        ends_on=ends_on,
        basis_number=basis_number,
        basis_date=basis_date,
    )
    db.session.add(assignment)
    db.session.flush()
    audit.record(
        "tutor.assigned",
        actor=actor,
        obj=assignment,
        summary=f"{tutor.full_name} → {group.name}",
        tutor_id=tutor.id,
        group_id=group.id,
        starts_on=starts_on.isoformat(),
        basis=f"№ {basis_number} от {basis_date.strftime('%d.%m.%Y')}",
    )
    return assignment


def end_tutorship(assignment: TutorAssignment, *, actor: User, ends_on: date) -> None:
    """End a tutor's assignment to a group."""
    require_manage(actor)
    if assignment.ends_on is not None and assignment.ends_on <= ends_on:
        raise InvalidTransition(_("This assignment already ends by then."))
    if ends_on < assignment.starts_on:
        raise ValidationFailed(_("The end cannot be before the start."), "ends_on")
    assignment.ends_on = ends_on
    db.session.flush()
    audit.record(
        "tutor.ended",
        actor=actor,
        obj=assignment,
        summary=_label(assignment.tutor_id, assignment.group_id),
        tutor_id=assignment.tutor_id,
        group_id=assignment.group_id,
        ends_on=ends_on.isoformat(),
    )


def add_teaching(
    group: StudyGroup, *, actor: User, teacher_id: int | None, discipline_id: int | None
) -> TeachingAssignment:
    """Record that a teacher teaches a discipline to the group."""
    require_manage(actor)
    _check_open(group)
    teacher = _person_with_role(
        teacher_id, Role.TEACHER, _("Choose a person with the teacher role."), "teacher_id"
    )
    discipline = db.session.get(Discipline, discipline_id) if discipline_id else None
    if discipline is None:
        raise ValidationFailed(_("Choose the discipline."), "discipline_id")
    duplicate = _("This teacher already teaches this discipline to the group.")
    exists_already = select(TeachingAssignment.id).where(
        TeachingAssignment.group_id == group.id,
        TeachingAssignment.teacher_id == teacher.id,
        TeachingAssignment.discipline_id == discipline.id,
    )
    if db.session.scalar(exists_already) is not None:
        raise ValidationFailed(duplicate, "discipline_id")
    assignment = TeachingAssignment(
        group_id=group.id, teacher_id=teacher.id, discipline_id=discipline.id
    )
    with unique_guard(duplicate, "discipline_id"):
        db.session.add(assignment)
    audit.record(
        "teaching.added",
        actor=actor,
        obj=assignment,
        summary=f"{teacher.full_name}: {discipline.code} → {group.name}",
        teacher_id=teacher.id,
        group_id=group.id,
        discipline=discipline.code,
    )
    return assignment


def remove_teaching(assignment: TeachingAssignment, *, actor: User) -> None:
    """Remove a teaching assignment."""
    require_manage(actor)
    audit.record(
        "teaching.removed",
        actor=actor,
        obj=assignment,
        summary=_label(assignment.teacher_id, assignment.group_id),
        teacher_id=assignment.teacher_id,
        group_id=assignment.group_id,
        discipline_id=assignment.discipline_id,
    )
    db.session.delete(assignment)
    db.session.flush()


# --- choices for the group page's forms ---------------------------------------------------------


def student_candidates(find: str, today: date, limit: int = 200) -> list[tuple[User, str]]:
    """Students to offer for enrollment with their current group: those matching `find`,
    or, with no search, those in no group today."""
    current_group = (
        select(StudyGroup.name)
        .join(Enrollment, Enrollment.group_id == StudyGroup.id)
        .where(Enrollment.student_id == User.id, current(Enrollment, today))
        .order_by(Enrollment.starts_on.desc())
        .limit(1)
        .correlate(User)
        .scalar_subquery()
    )
    query = (
        select(User, current_group)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.STUDENT, User.is_active.is_(True))
        .order_by(User.name_key, User.id)
        .limit(limit)
    )
    if find.strip():
        query = query.where(*search_terms(User.name_key, find))
    else:
        query = query.where(current_group.is_(None))
    return [(user, name or "") for user, name in db.session.execute(query)]


def people_with_role(role: Role, limit: int = 1000) -> list[User]:
    """Active people holding a role, by surname (for the tutor and teacher selects)."""
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == role, User.is_active.is_(True))
            .order_by(User.name_key, User.id)
            .limit(limit)
        )
    )
