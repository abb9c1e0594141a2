"""Movement of students: transfer, academic leave, return, expulsion, graduation (one student
or a whole group). Enrollments carry dates, so each change is written at once and access
follows the effective date by itself; the rest waits for the day (core.apply)."""

from __future__ import annotations

import secrets
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet.extensions import db
from intranet.models import (
    Document,
    Enrollment,
    Movement,
    MovementKind,
    Role,
    StudyGroup,
    User,
)
from intranet.services import documents
from intranet.services.errors import InvalidTransition, ValidationFailed
from intranet.services.movement import core
from intranet.services.structure import clean

K = MovementKind
STUDENT_KINDS = (K.TRANSFER, K.ACADEMIC_LEAVE, K.RETURN, K.EXPULSION, K.GRADUATION)
ENDING = frozenset({K.TRANSFER, K.ACADEMIC_LEAVE, K.EXPULSION, K.GRADUATION})


def _enrollment_on(student_id: int, day: date) -> Enrollment | None:
    return db.session.scalar(
        select(Enrollment)
        .options(joinedload(Enrollment.group))
        .where(Enrollment.student_id == student_id, core.covering(Enrollment, day))
        .order_by(Enrollment.starts_on.desc())
        .limit(1)
        .with_for_update(of=Enrollment)
    )


def _last_group_id(student_id: int, day: date) -> int | None:
    return db.session.scalar(
        select(Enrollment.group_id)
        .where(Enrollment.student_id == student_id, Enrollment.starts_on <= day)
        .order_by(Enrollment.starts_on.desc())
        .limit(1)
    )


def _open_group(group_id: int | None) -> StudyGroup:
    group = db.session.get(StudyGroup, group_id) if group_id else None
    if group is None:
        raise ValidationFailed(_("Choose the group."), "to_group_id")
    if group.is_archived:
        raise ValidationFailed(_("The group is archived."), "to_group_id")
    return group


def _reason(kind: MovementKind, basis: Document | None, comment: str) -> str:
    text = core.kind_label(kind)
    if basis is not None:
        text = f"{text}: {documents.document_label(basis)}"
    elif comment:
        text = f"{text}: {comment}"
    return text[:200]


def move_student(
    actor: User,
    person: User,
    *,
    kind: MovementKind | str,
    effective_on: date | None,
    basis_id: int | None,
    comment: str = "",
    to_group_id: int | None = None,
    today: date,
    batch: str | None = None,
    require_basis: bool = True,
) -> Movement:
    """Record one student's movement from a date, on the basis of a document."""
    core.require_manage(actor)
    try:
        kind = MovementKind(kind)
    except ValueError:
        raise ValidationFailed(_("Choose the kind of movement."), "kind") from None
    if kind not in STUDENT_KINDS:
        raise ValidationFailed(_("Choose the kind of movement."), "kind")
    if not person.has_role(Role.STUDENT):
        raise ValidationFailed(_("%(name)s is not a student.", name=person.full_name))
    if effective_on is None:
        raise ValidationFailed(_("Enter the effective date."), "effective_on")
    basis = documents.get_basis(basis_id, required=require_basis)
    comment = (comment or "").strip()[:2000]
    if core.later_movement_exists(person.id, effective_on):
        raise InvalidTransition(
            _("A later movement of this student is recorded; cancel it or choose a later date.")
        )
    later = select(Enrollment.id).where(
        Enrollment.student_id == person.id, Enrollment.starts_on > effective_on
    )
    if db.session.scalar(later.limit(1)) is not None:
        raise InvalidTransition(
            _("The student is enrolled in a group from a later date; choose a later date.")
        )
    movement = Movement(
        kind=kind,
        person_id=person.id,
        effective_on=effective_on,
        basis_id=basis.id if basis else None,
        comment=comment,
        batch=batch,
    )
    current = _enrollment_on(person.id, effective_on)
    target = None
    if kind in ENDING:
        if current is None:
            raise InvalidTransition(
                _("%(name)s is in no group on that date.", name=person.full_name)
            )
        if current.starts_on >= effective_on:
            raise InvalidTransition(
                _("The student joined the group on that date; choose a later date.")
            )
        movement.from_group_id = current.group_id
    if kind is K.TRANSFER:
        target = _open_group(to_group_id)
        if target.id == current.group_id:
            raise ValidationFailed(_("The student is already in this group."), "to_group_id")
    if kind is K.RETURN:
        if current is not None:
            raise InvalidTransition(
                _("%(name)s is already in a group on that date.", name=person.full_name)
            )
        target = _open_group(to_group_id or _last_group_id(person.id, effective_on))
    reason = _reason(kind, basis, clean(comment))
    if current is not None and kind in ENDING:
        movement.ended_enrollment_id = current.id
        movement.previous_ends_on = current.ends_on
        current.ends_on = core.day_before(effective_on)
    if target is not None:
        movement.to_group_id = target.id
        new = Enrollment(
            student_id=person.id, group_id=target.id, starts_on=effective_on, reason=reason
        )
        db.session.add(new)
        db.session.flush()
        movement.new_enrollment_id = new.id
    summary = person.full_name
    if movement.from_group_id or target:
        names = [current.group.name if current else "", target.name if target else ""]
        summary = f"{person.full_name}: {' → '.join(n for n in names if n)}"
    return core.start(movement, actor, today, summary=summary, kind_label=core.kind_label(kind))


def graduate_group(
    actor: User,
    group: StudyGroup,
    *,
    effective_on: date | None,
    basis_id: int | None,
    comment: str = "",
    today: date,
) -> list[Movement]:
    """Graduate every student of the group from a date; the group is archived on that day."""
    core.require_manage(actor)
    if effective_on is None:
        raise ValidationFailed(_("Enter the effective date."), "effective_on")
    if group.is_archived:
        raise InvalidTransition(_("The group is already archived."))
    documents.get_basis(basis_id)
    students = db.session.scalars(
        select(User)
        .join(Enrollment, Enrollment.student_id == User.id)
        .where(Enrollment.group_id == group.id, core.covering(Enrollment, effective_on))
        .order_by(User.name_key)
    ).all()
    if not students:
        raise ValidationFailed(_("Nobody is in the group on that date."), "effective_on")
    batch = secrets.token_hex(8)
    return [
        move_student(
            actor,
            student,
            kind=K.GRADUATION,
            effective_on=effective_on,
            basis_id=basis_id,
            comment=comment,
            today=today,
            batch=batch,
        )
        for student in students
    ]
