"""Movements: labels, applying them on their effective date (the worker's job), cancelling a
scheduled one, and a person's history."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from intranet import policy
from intranet.extensions import db
from intranet.models import (
    Enrollment,
    Movement,
    MovementKind,
    MovementStatus,
    Role,
    StudyGroup,
    User,
)
from intranet.models.base import utcnow
from intranet.services import accounts, audit
from intranet.services.errors import DomainError, InvalidTransition, PermissionDenied
from intranet.services.movement import handover

K = MovementKind
KIND_LABELS = {
    K.TRANSFER: _l("Transfer to another group"),
    K.ACADEMIC_LEAVE: _l("Academic leave"),
    K.RETURN: _l("Return from leave"),
    K.EXPULSION: _l("Expulsion"),
    K.GRADUATION: _l("Graduation"),
    K.HIRED: _l("Hired"),
    K.LEFT: _l("Left the college"),
}
STATUS_LABELS = {
    MovementStatus.SCHEDULED: _l("scheduled"),
    MovementStatus.APPLIED: _l("in effect"),
    MovementStatus.CANCELLED: _l("cancelled"),
}


def kind_label(kind: MovementKind | str) -> str:
    return str(KIND_LABELS[MovementKind(kind)])


def status_label(status: MovementStatus | str) -> str:
    return str(STATUS_LABELS[MovementStatus(status)])


def require_manage(actor: User | None) -> None:
    if not policy.can(actor, "movement.manage"):
        raise PermissionDenied(_("Only a platform administrator records movement."))


def covering(model, day: date):
    """Rows (enrollments, tutorships) that cover this day."""
    return (model.starts_on <= day) & or_(model.ends_on.is_(None), model.ends_on >= day)


def later_movement_exists(person_id: int, day: date, *, exclude_id: int | None = None) -> bool:
    """Whether a (not cancelled) movement of the person takes effect on this day or later."""
    query = select(Movement.id).where(
        Movement.person_id == person_id,
        Movement.status != MovementStatus.CANCELLED,
        Movement.effective_on >= day,
    )
    if exclude_id is not None:
        query = query.where(Movement.id != exclude_id)
    return db.session.scalar(query.limit(1)) is not None


def start(movement: Movement, actor: User, today: date, *, summary: str, **data) -> Movement:
    """Save a new movement; one effective today or earlier is applied at once."""
    movement.created_by_id = actor.id
    movement.created_at = utcnow()
    movement.status = MovementStatus.SCHEDULED
    db.session.add(movement)
    db.session.flush()
    audit.record(
        f"movement.{movement.kind.value}",
        actor=actor,
        obj=movement,
        summary=summary,
        person_id=movement.person_id,
        effective_on=movement.effective_on.isoformat(),
        basis_id=movement.basis_id,
        **data,
    )
    if movement.effective_on <= today:
        apply(movement, actor=actor)
    return movement


def apply(movement: Movement, *, actor: User | None) -> None:
    """Do what has no dates of its own: accounts, hand-over, archiving a graduated group.

    Idempotent: an applied or cancelled movement is left alone."""
    if movement.status is not MovementStatus.SCHEDULED:
        return
    person = db.session.get(User, movement.person_id)
    day = movement.effective_on
    outcome: dict = {}
    if person is not None:
        if movement.kind in (K.EXPULSION, K.GRADUATION):
            outcome["account_disabled"] = _disable_if_only_student(person, day, actor)
            if movement.kind is K.GRADUATION and movement.batch and movement.from_group_id:
                outcome["group_archived"] = _archive_if_empty(movement.from_group_id, day)
        elif movement.kind is K.HIRED:
            if not person.is_active:
                person.is_active = True
                outcome["account_enabled"] = True
        elif movement.kind is K.LEFT:
            successor = (
                db.session.get(User, movement.successor_id) if movement.successor_id else None
            )
            outcome["handover"] = handover.hand_over(person, successor, day, actor)
            outcome["account_disabled"] = _disable(person, actor)
    movement.status = MovementStatus.APPLIED
    movement.applied_at = utcnow()
    movement.outcome = outcome
    db.session.flush()
    audit.record(
        "movement.applied",
        actor=actor,
        obj=movement,
        summary=f"{kind_label(movement.kind)}: {person.full_name if person else ''}",
        outcome=outcome,
    )


def _disable(person: User, actor: User | None) -> bool:
    if not person.is_active:
        return False
    if actor is not None and actor.id != person.id:
        accounts.set_active(person, False, actor=actor)
    else:
        if person.has_role(Role.ADMIN):
            accounts.ensure_not_last_admin(person)
        person.is_active = False
        person.session_epoch += 1
        audit.record("person.disabled", actor=actor, obj=person, summary=person.full_name)
    return True


def _disable_if_only_student(person: User, day: date, actor: User | None) -> bool:
    """A former student's account closes, unless the person has another role here."""
    if person.role_set - {Role.STUDENT}:
        return False
    still = select(Enrollment.id).where(
        Enrollment.student_id == person.id,
        or_(Enrollment.ends_on.is_(None), Enrollment.ends_on >= day),
    )
    if db.session.scalar(still.limit(1)) is not None:
        return False
    return _disable(person, actor)


def _archive_if_empty(group_id: int, day: date) -> bool:
    group = db.session.get(StudyGroup, group_id)
    if group is None or group.is_archived:
        return False
    remaining = select(Enrollment.id).where(
        Enrollment.group_id == group_id,
        or_(Enrollment.ends_on.is_(None), Enrollment.ends_on >= day),
    )
    if db.session.scalar(remaining.limit(1)) is not None:
        return False
    group.is_archived = True
    audit.record("group.archived", actor=None, obj=group, summary=group.name, reason="graduation")
    return True


def cancel(movement: Movement, actor: User, *, now: datetime | None = None) -> None:
    """Cancel a scheduled movement: the enrollments go back to what they were."""
    require_manage(actor)
    if movement.status is not MovementStatus.SCHEDULED:
        raise InvalidTransition(
            _("Only a scheduled movement can be cancelled; record a new movement instead.")
        )
    if later_movement_exists(movement.person_id, movement.effective_on, exclude_id=movement.id):
        raise InvalidTransition(_("A later movement of this person is recorded; cancel it first."))
    if movement.new_enrollment_id:
        new = db.session.get(Enrollment, movement.new_enrollment_id)
        if new is not None:
            db.session.delete(new)
    if movement.ended_enrollment_id:
        ended = db.session.get(Enrollment, movement.ended_enrollment_id)
        if ended is not None:
            ended.ends_on = movement.previous_ends_on
    movement.status = MovementStatus.CANCELLED
    movement.cancelled_at = now or utcnow()
    db.session.flush()
    person = db.session.get(User, movement.person_id)
    audit.record(
        "movement.cancelled",
        actor=actor,
        obj=movement,
        summary=f"{kind_label(movement.kind)}: {person.full_name if person else ''}",
    )


def apply_due(today: date) -> int:
    """Apply every scheduled movement whose day has come (the worker runs this)."""
    due = db.session.scalars(
        select(Movement)
        .where(Movement.status == MovementStatus.SCHEDULED, Movement.effective_on <= today)
        .order_by(Movement.effective_on, Movement.id)
        .limit(500)
    ).all()
    applied = 0
    for movement in due:
        actor = db.session.get(User, movement.created_by_id) if movement.created_by_id else None
        try:
            with db.session.begin_nested():
                apply(movement, actor=actor)
        except DomainError as error:
            # E.g. the leaving person became the last administrator meanwhile. The movement
            # stays scheduled and says why; an admin sees it on its page and acts.
            if (movement.outcome or {}).get("error") != error.message:
                movement.outcome = {"error": error.message}
                audit.record(
                    "movement.apply_failed", actor=None, obj=movement, summary=error.message
                )
        else:
            applied += 1
    return applied


def history_for(person_id: int) -> list[Movement]:
    """A person's movements, newest first, with groups and bases loaded."""
    return list(
        db.session.scalars(
            select(Movement)
            .options(*_LOAD)
            .where(Movement.person_id == person_id)
            .order_by(Movement.effective_on.desc(), Movement.id.desc())
        )
    )


_LOAD = (
    selectinload(Movement.person),
    selectinload(Movement.from_group),
    selectinload(Movement.to_group),
    selectinload(Movement.basis),
    selectinload(Movement.successor),
    selectinload(Movement.created_by),
)


def load(movement_id: int) -> Movement | None:
    return db.session.scalar(select(Movement).options(*_LOAD).where(Movement.id == movement_id))


def day_before(day: date) -> date:
    return day - timedelta(days=1)
