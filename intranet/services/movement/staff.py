"""Movement of staff: hiring (the account opens on the first day) and leaving (what the person
holds passes to a successor, then the account closes, on the effective date)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from intranet.extensions import db
from intranet.models import Movement, MovementKind, MovementStatus, Role, User
from intranet.models.people import STAFF_ROLES, TEACHING_ROLES
from intranet.services import accounts, documents
from intranet.services.errors import InvalidTransition, ValidationFailed
from intranet.services.movement import core, handover
from intranet.services.onboarding.common import unique_guard
from intranet.services.structure import clean

# Administrators are appointed on the admins page (§2.1), not by hiring.
HIRE_ROLES = (Role.HEAD, Role.DEPUTY, Role.TUTOR, Role.TEACHER)


def hire(
    actor: User,
    *,
    last_name: str,
    first_name: str,
    middle_name: str = "",
    email: str | None = None,
    phone: str | None = None,
    roles: Iterable[Role | str],
    effective_on: date | None,
    basis_id: int | None,
    comment: str = "",
    confirm_teacher: bool = False,
    today: date,
) -> Movement:
    """A new member of staff: the account exists now (without a password) and opens on the
    first working day."""
    core.require_manage(actor)
    wanted = set()
    for role in roles:
        try:
            wanted.add(Role(role))
        except ValueError:
            raise ValidationFailed(_("Choose roles from the list."), "roles") from None
    if not wanted or not wanted <= set(HIRE_ROLES):
        raise ValidationFailed(_("Choose at least one staff role."), "roles")
    if effective_on is None:
        raise ValidationFailed(_("Enter the effective date."), "effective_on")
    if not clean(last_name):
        raise ValidationFailed(_("Enter the surname."), "last_name")
    if not clean(first_name):
        raise ValidationFailed(_("Enter the first name."), "first_name")
    basis = documents.get_basis(basis_id)
    with unique_guard():
        person = accounts.create_person(
            actor=actor,
            last_name=clean(last_name)[:80],
            first_name=clean(first_name)[:80],
            middle_name=clean(middle_name)[:80],
            email=email,
            phone=phone,
            roles=wanted,
        )
    if confirm_teacher and wanted & TEACHING_ROLES:
        accounts.confirm_teacher(person, actor=actor)
    if effective_on > today:
        person.is_active = False  # opens on the first day (core.apply)
    movement = Movement(
        kind=MovementKind.HIRED,
        person_id=person.id,
        effective_on=effective_on,
        basis_id=basis.id,
        comment=(comment or "").strip()[:2000],
    )
    return core.start(
        movement, actor, today, summary=person.full_name, roles=sorted(r.value for r in wanted)
    )


def leave(
    actor: User,
    person: User,
    *,
    successor_id: int | None,
    effective_on: date | None,
    basis_id: int | None,
    comment: str = "",
    today: date,
) -> Movement:
    """A member of staff leaves on a date; their groups, tutorships, tickets and reviews go to
    the successor on that day, and then their access ends."""
    core.require_manage(actor)
    if not person.role_set & STAFF_ROLES:
        raise ValidationFailed(_("%(name)s is not on the staff.", name=person.full_name))
    if person.id == actor.id:
        raise ValidationFailed(_("Your own leaving is recorded by another administrator."))
    if effective_on is None:
        raise ValidationFailed(_("Enter the effective date."), "effective_on")
    if person.is_main_admin:
        raise InvalidTransition(
            _("The head must appoint another main administrator before this one leaves.")
        )
    if person.has_role(Role.ADMIN):
        accounts.ensure_not_last_admin(person)
    pending = select(Movement.id).where(
        Movement.person_id == person.id,
        Movement.kind == MovementKind.LEFT,
        Movement.status == MovementStatus.SCHEDULED,
    )
    if db.session.scalar(pending.limit(1)) is not None:
        raise InvalidTransition(_("The leaving of this person is already scheduled."))
    if core.later_movement_exists(person.id, effective_on):
        raise InvalidTransition(_("A later movement of this person is recorded; cancel it first."))
    basis = documents.get_basis(basis_id)
    successor = None
    if successor_id:
        successor = db.session.get(User, successor_id)
        if successor is None or not successor.is_active or successor.id == person.id:
            raise ValidationFailed(_("Choose an active member of staff."), "successor_id")
        if not successor.role_set & STAFF_ROLES:
            raise ValidationFailed(_("Choose an active member of staff."), "successor_id")
    issues = handover.problems(person, successor, effective_on)
    if issues:
        raise ValidationFailed(" ".join(issues), "successor_id")
    movement = Movement(
        kind=MovementKind.LEFT,
        person_id=person.id,
        effective_on=effective_on,
        basis_id=basis.id,
        successor_id=successor.id if successor else None,
        comment=(comment or "").strip()[:2000],
    )
    return core.start(
        movement,
        actor,
        today,
        summary=person.full_name,
        successor_id=successor.id if successor else None,
    )


def staff_candidates(exclude_id: int | None = None, limit: int = 1000) -> list[User]:
    """Active staff, by surname (successors and the like)."""
    from intranet.models import UserRole

    query = (
        select(User)
        .where(
            User.is_active.is_(True),
            User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(list(STAFF_ROLES)))),
        )
        .order_by(User.name_key, User.id)
        .limit(limit)
    )
    if exclude_id:
        query = query.where(User.id != exclude_id)
    return list(db.session.scalars(query))
