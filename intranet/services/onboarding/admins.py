"""Platform administrators (§2.1): the head appoints the main one by an order; the main one
appoints and removes more from the confirmed staff; the last one can never be removed."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from intranet import policy
from intranet.extensions import db
from intranet.models import (
    AdminAction,
    AdminAppointment,
    Role,
    TeacherStatus,
    User,
    UserRole,
)
from intranet.models.people import STAFF_ROLES
from intranet.services import accounts, audit, documents
from intranet.services.errors import InvalidTransition, PermissionDenied, ValidationFailed
from intranet.services.structure import clean


@dataclass
class AdminRoster:
    """The admins page: who they are, who could become one, and the history."""

    admins: list[User]
    candidates: list[User]
    history: list[AdminAppointment]

    @property
    def main(self) -> User | None:
        return next((a for a in self.admins if a.is_main_admin), None)


def _confirmed_staff():
    return (
        User.is_active.is_(True),
        User.teacher_status == TeacherStatus.CONFIRMED,
        exists().where(UserRole.user_id == User.id, UserRole.role.in_(list(STAFF_ROLES))),
    )


def roster(history_limit: int = 50) -> AdminRoster:
    """The current admins, the confirmed staff who could be appointed, and recent history."""
    is_admin = exists().where(UserRole.user_id == User.id, UserRole.role == Role.ADMIN)
    admins = db.session.scalars(
        select(User).where(is_admin, User.is_active.is_(True)).order_by(User.name_key)
    ).all()
    candidates = db.session.scalars(
        select(User).where(*_confirmed_staff(), ~is_admin).order_by(User.name_key).limit(1000)
    ).all()
    history = db.session.scalars(
        select(AdminAppointment)
        .options(
            selectinload(AdminAppointment.user),
            selectinload(AdminAppointment.actor),
            selectinload(AdminAppointment.basis),
        )
        .order_by(AdminAppointment.at.desc(), AdminAppointment.id.desc())
        .limit(history_limit)
    ).all()
    return AdminRoster(list(admins), list(candidates), list(history))


def _candidate(person_id: int | None, *, may_be_admin: bool = False) -> User:
    person = db.session.get(User, person_id, with_for_update=True) if person_id else None
    if person is None or not person.is_active:
        raise ValidationFailed(_("Choose a person from the list."), "person_id")
    if not (person.role_set & STAFF_ROLES) or person.teacher_status is not TeacherStatus.CONFIRMED:
        raise ValidationFailed(
            _("Administrators are appointed from the staff whose status is confirmed."),
            "person_id",
        )
    if not may_be_admin and person.has_role(Role.ADMIN):
        raise ValidationFailed(
            _("%(name)s is already an administrator.", name=person.full_name), "person_id"
        )
    return person


def _log(person: User, action: AdminAction, actor: User, basis_id, comment: str) -> None:
    db.session.add(
        AdminAppointment(
            user_id=person.id,
            action=action,
            is_main=action is AdminAction.APPOINTED_MAIN,
            basis_id=basis_id,
            comment=clean(comment)[:1000],
            actor_id=actor.id,
        )
    )


def appoint_main(
    actor: User, *, person_id: int | None, basis_id: int | None, comment: str = ""
) -> User:
    """The head appoints the main administrator by an order; the previous main one stays an
    ordinary administrator."""
    if not policy.can(actor, "admins.appoint_main"):
        raise PermissionDenied(_("Only the head appoints the main administrator."))
    basis = documents.get_basis(basis_id)
    person = _candidate(person_id, may_be_admin=True)
    if person.is_main_admin:
        raise ValidationFailed(
            _("%(name)s is already the main administrator.", name=person.full_name), "person_id"
        )
    if not person.has_role(Role.ADMIN):
        accounts.set_roles(person, person.role_set | {Role.ADMIN}, actor=actor)
        db.session.flush()
    for link in db.session.scalars(
        select(UserRole).where(UserRole.role == Role.ADMIN, UserRole.is_main.is_(True))
    ):
        link.is_main = False
    for link in person.roles:
        if link.role is Role.ADMIN:
            link.is_main = True
    _log(person, AdminAction.APPOINTED_MAIN, actor, basis.id, comment)
    db.session.flush()
    audit.record(
        "admin.main_appointed",
        actor=actor,
        obj=person,
        summary=person.full_name,
        basis=documents.document_label(basis),
    )
    return person


def _require_main(actor: User, person: User | None = None) -> None:
    if not policy.can(actor, "admins.manage", person or actor):
        raise PermissionDenied(
            _("Only the main administrator appoints and removes administrators.")
        )


def add_admin(
    actor: User, *, person_id: int | None, basis_id: int | None = None, comment: str = ""
) -> User:
    """The main administrator appoints one more from the confirmed staff."""
    _require_main(actor)
    basis = documents.get_basis(basis_id, required=False)
    person = _candidate(person_id)
    accounts.set_roles(person, person.role_set | {Role.ADMIN}, actor=actor)
    _log(person, AdminAction.APPOINTED, actor, basis.id if basis else None, comment)
    db.session.flush()
    audit.record(
        "admin.appointed",
        actor=actor,
        obj=person,
        summary=person.full_name,
        basis=documents.document_label(basis),
    )
    return person


def remove_admin(actor: User, person: User, *, comment: str = "") -> None:
    """The main administrator removes another one; the main one and the last one stay."""
    _require_main(actor, person)
    if not person.has_role(Role.ADMIN):
        raise InvalidTransition(_("%(name)s is not an administrator.", name=person.full_name))
    if person.is_main_admin:
        raise InvalidTransition(
            _("The main administrator changes only when the head appoints another one.")
        )
    accounts.ensure_not_last_admin(person)
    accounts.set_roles(person, person.role_set - {Role.ADMIN}, actor=actor)
    _log(person, AdminAction.REMOVED, actor, None, comment)
    db.session.flush()
    audit.record("admin.removed", actor=actor, obj=person, summary=person.full_name)
