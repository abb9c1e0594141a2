"""Councils (the parents' and the student council whom the head's chats of §2.2 are for) and
extracurricular groups (кружки, секции: a leader and members, §1.4 and §2.4)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from intranet import policy
from intranet.extensions import db
from intranet.models import (
    ClubKind,
    Council,
    CouncilKind,
    CouncilMember,
    ExtracurricularGroup,
    ExtracurricularMember,
    Role,
    TeacherStatus,
    User,
    UserRole,
)
from intranet.models.base import fold
from intranet.services import audit, documents
from intranet.services.errors import PermissionDenied, ValidationFailed
from intranet.services.structure import clean, search_terms

COUNCIL_LABELS = {
    CouncilKind.PARENTS: _l("Parents' council"),
    CouncilKind.STUDENTS: _l("Student council"),
}
CLUB_LABELS = {
    ClubKind.CLUB: _l("Club"),
    ClubKind.SECTION: _l("Sports section"),
    ClubKind.STUDIO: _l("Studio"),
}
MEMBER_ROLE = {CouncilKind.PARENTS: Role.PARENT, CouncilKind.STUDENTS: Role.STUDENT}


def council_kind_label(kind: CouncilKind | str) -> str:
    return str(COUNCIL_LABELS[CouncilKind(kind)])


def club_kind_label(kind: ClubKind | str) -> str:
    return str(CLUB_LABELS[ClubKind(kind)])


def _require(actor: User | None, action: str, obj=None) -> None:
    if not policy.can(actor, action, obj):
        raise PermissionDenied(_("You may not change this."))


@contextmanager
def _unique(message: str, field: str) -> Iterator[None]:
    """The changes made in the block are flushed in a savepoint of their own, so a unique
    violation (two people saving at once) becomes a form error and the session stays usable.
    Starting a savepoint flushes what is pending: make the changes inside the block."""
    try:
        with db.session.begin_nested():
            yield
    except IntegrityError as error:
        raise ValidationFailed(message, field) from error


def _name(name: str, model, own_id: int | None) -> str:
    name = clean(name)[:200]
    if not name:
        raise ValidationFailed(_("Enter the name."), "name")
    query = select(model.id).where(model.name == name)
    if own_id is not None:
        query = query.where(model.id != own_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise ValidationFailed(_("This name is already taken."), "name")
    return name


# --- councils ----------------------------------------------------------------------------------


def councils_overview() -> list[tuple[Council, int]]:
    """Every council with its number of members, in one query."""
    members = (
        select(func.count(CouncilMember.id))
        .where(CouncilMember.council_id == Council.id)
        .scalar_subquery()
    )
    return [
        (c, n)
        for c, n in db.session.execute(
            select(Council, members).order_by(Council.kind, Council.name_key)
        )
    ]


def save_council(
    actor: User,
    council: Council | None,
    *,
    kind: CouncilKind | str,
    name: str,
    description: str = "",
    basis_id: int | None = None,
) -> Council:
    """Create or correct a council."""
    _require(actor, "councils.manage")
    try:
        kind = CouncilKind(kind)
    except ValueError:
        raise ValidationFailed(_("Choose the kind of council."), "kind") from None
    name = _name(name, Council, council.id if council else None)
    basis = documents.get_basis(basis_id, required=False)
    if council is not None and council.kind != kind and _count_members(council):
        raise ValidationFailed(
            _("The council has members; remove them before changing its kind."), "kind"
        )
    with _unique(_("This name is already taken."), "name"):
        if council is None:
            council = Council()
            db.session.add(council)
        council.kind, council.name, council.name_key = kind, name, fold(name)
        council.description = (description or "").strip()[:5000]
        council.basis_id = basis.id if basis else None
    audit.record("council.saved", actor=actor, obj=council, summary=name, kind=kind.value)
    return council


def _count_members(council: Council) -> int:
    return (
        db.session.scalar(
            select(func.count(CouncilMember.id)).where(CouncilMember.council_id == council.id)
        )
        or 0
    )


def delete_council(actor: User, council: Council) -> None:
    _require(actor, "councils.manage")
    audit.record("council.deleted", actor=actor, obj=council, summary=council.name)
    db.session.execute(
        CouncilMember.__table__.delete().where(CouncilMember.council_id == council.id)
    )
    db.session.delete(council)
    db.session.flush()


def council_members(council: Council) -> list[CouncilMember]:
    return list(
        db.session.scalars(
            select(CouncilMember)
            .join(User, User.id == CouncilMember.user_id)
            .options(joinedload(CouncilMember.user))
            .where(CouncilMember.council_id == council.id)
            .order_by(User.name_key)
        )
    )


def add_council_member(
    actor: User,
    council: Council,
    *,
    user_id: int | None,
    position: str = "",
    since: date | None,
) -> CouncilMember:
    """Add a parent to the parents' council, or a student to the student council."""
    _require(actor, "councils.manage")
    role = MEMBER_ROLE[council.kind]
    person = db.session.get(User, user_id) if user_id else None
    if person is None or not person.is_active or not person.has_role(role):
        message = _("Choose a parent.") if role is Role.PARENT else _("Choose a student.")
        raise ValidationFailed(message, "user_id")
    if since is None:
        raise ValidationFailed(_("Enter the date."), "since")
    duplicate = _("%(name)s is already a member.", name=person.full_name)
    already = select(CouncilMember.id).where(
        CouncilMember.council_id == council.id, CouncilMember.user_id == person.id
    )
    if db.session.scalar(already) is not None:
        raise ValidationFailed(duplicate, "user_id")
    member = CouncilMember(
        council_id=council.id, user_id=person.id, position=clean(position)[:80], since=since
    )
    with _unique(duplicate, "user_id"):
        db.session.add(member)
    audit.record(
        "council.member_added",
        actor=actor,
        obj=council,
        summary=f"{council.name}: {person.full_name}",
        user_id=person.id,
    )
    return member


def remove_council_member(actor: User, member: CouncilMember) -> None:
    _require(actor, "councils.manage")
    person = db.session.get(User, member.user_id)
    council = db.session.get(Council, member.council_id)
    audit.record(
        "council.member_removed",
        actor=actor,
        obj=council,
        summary=f"{council.name if council else ''}: {person.full_name if person else ''}",
        user_id=member.user_id,
    )
    db.session.delete(member)
    db.session.flush()


def member_candidates(role: Role, find: str, limit: int = 50) -> list[User]:
    """Active people with a role whose name matches (for the add-member forms)."""
    if not find.strip():
        return []
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.is_active.is_(True),
                exists().where(UserRole.user_id == User.id, UserRole.role == role),
                *search_terms(User.name_key, find),
            )
            .order_by(User.name_key, User.id)
            .limit(limit)
        )
    )


# --- extracurricular groups -----------------------------------------------------------------------


def clubs_overview(*, active_only: bool = False) -> list[tuple[ExtracurricularGroup, int]]:
    """Every club with its leader and number of members, in one query."""
    members = (
        select(func.count(ExtracurricularMember.id))
        .where(ExtracurricularMember.group_id == ExtracurricularGroup.id)
        .scalar_subquery()
    )
    query = (
        select(ExtracurricularGroup, members)
        .options(selectinload(ExtracurricularGroup.leader))
        .order_by(ExtracurricularGroup.name_key)
    )
    if active_only:
        query = query.where(ExtracurricularGroup.is_active.is_(True))
    return [(club, count) for club, count in db.session.execute(query)]


def leader_candidates() -> list[User]:
    """Confirmed teachers (педагоги, including педагоги доп. образования)."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.is_active.is_(True),
                User.teacher_status == TeacherStatus.CONFIRMED,
                exists().where(UserRole.user_id == User.id, UserRole.role == Role.TEACHER),
            )
            .order_by(User.name_key, User.id)
            .limit(1000)
        )
    )


def save_club(
    actor: User,
    club: ExtracurricularGroup | None,
    *,
    kind: ClubKind | str,
    name: str,
    leader_id: int | None,
    description: str = "",
    schedule: str = "",
    is_active: bool = True,
) -> ExtracurricularGroup:
    """Create or correct a club or section; its leader is a teacher."""
    _require(actor, "clubs.manage")
    try:
        kind = ClubKind(kind)
    except ValueError:
        raise ValidationFailed(_("Choose the kind."), "kind") from None
    name = _name(name, ExtracurricularGroup, club.id if club else None)
    leader = db.session.get(User, leader_id) if leader_id else None
    if leader is not None and (
        not leader.is_active
        or not leader.has_role(Role.TEACHER)
        or leader.teacher_status is not TeacherStatus.CONFIRMED
    ):
        raise ValidationFailed(
            _("The leader must be a teacher whose status is confirmed."), "leader_id"
        )
    with _unique(_("This name is already taken."), "name"):
        if club is None:
            club = ExtracurricularGroup()
            db.session.add(club)
        club.kind, club.name, club.name_key = kind, name, fold(name)
        club.leader_id = leader.id if leader else None
        club.description = (description or "").strip()[:5000]
        club.schedule = clean(schedule)[:200]
        club.is_active = bool(is_active)
    audit.record(
        "club.saved",
        actor=actor,
        obj=club,
        summary=name,
        leader_id=club.leader_id,
        kind=kind.value,
    )
    return club


def delete_club(actor: User, club: ExtracurricularGroup) -> None:
    _require(actor, "clubs.manage")
    audit.record("club.deleted", actor=actor, obj=club, summary=club.name)
    db.session.execute(
        ExtracurricularMember.__table__.delete().where(ExtracurricularMember.group_id == club.id)
    )
    db.session.delete(club)
    db.session.flush()


def club_members(club: ExtracurricularGroup) -> list[ExtracurricularMember]:
    return list(
        db.session.scalars(
            select(ExtracurricularMember)
            .join(User, User.id == ExtracurricularMember.user_id)
            .options(joinedload(ExtracurricularMember.user))
            .where(ExtracurricularMember.group_id == club.id)
            .order_by(User.name_key)
        )
    )


def add_club_member(
    actor: User, club: ExtracurricularGroup, *, user_id: int | None, joined_on: date | None
) -> ExtracurricularMember:
    """Add a student to a club (by its leader or the college's leaders)."""
    _require(actor, "clubs.members", club)
    person = db.session.get(User, user_id) if user_id else None
    if person is None or not person.is_active or not person.has_role(Role.STUDENT):
        raise ValidationFailed(_("Choose a student."), "user_id")
    if joined_on is None:
        raise ValidationFailed(_("Enter the date."), "joined_on")
    duplicate = _("%(name)s is already a member.", name=person.full_name)
    already = select(ExtracurricularMember.id).where(
        ExtracurricularMember.group_id == club.id, ExtracurricularMember.user_id == person.id
    )
    if db.session.scalar(already) is not None:
        raise ValidationFailed(duplicate, "user_id")
    member = ExtracurricularMember(group_id=club.id, user_id=person.id, joined_on=joined_on)
    with _unique(duplicate, "user_id"):
        db.session.add(member)
    audit.record(
        "club.member_added",
        actor=actor,
        obj=club,
        summary=f"{club.name}: {person.full_name}",
        user_id=person.id,
    )
    return member


def remove_club_member(actor: User, member: ExtracurricularMember) -> None:
    club = db.session.get(ExtracurricularGroup, member.group_id)
    _require(actor, "clubs.members", club)
    person = db.session.get(User, member.user_id)
    audit.record(
        "club.member_removed",
        actor=actor,
        obj=club,
        summary=f"{club.name}: {person.full_name if person else ''}",
        user_id=member.user_id,
    )
    db.session.delete(member)
    db.session.flush()
