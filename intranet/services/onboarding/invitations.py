"""Invitation links: made by admins for a role and a target, by tutors and teachers for the
students of their groups, and for one student's parent; listed, shown again, revoked."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from intranet import policy
from intranet.extensions import db
from intranet.models import Department, Enrollment, Invitation, Role, StudyGroup, User
from intranet.models.base import utcnow
from intranet.services import audit, security
from intranet.services.errors import InvalidTransition, PermissionDenied, ValidationFailed
from intranet.services.mail import external_url, queue_mail, register_kind
from intranet.services.structure import clean

PURPOSE = "invitation"
# The roles an admin invites to (§2.1: the head, teaching staff and, if need be, students).
ADMIN_ROLES = (Role.HEAD, Role.DEPUTY, Role.TEACHER, Role.TUTOR, Role.STUDENT)
GROUP_ROLES = frozenset({Role.STUDENT, Role.TEACHER, Role.TUTOR})
DEFAULT_DAYS = 14
MAX_DAYS = 180
MAX_USES = 1000
PARENT_LINK_DAYS = 14
MAIL_AT_ONCE = 50  # addresses one sending takes: a group's worth, not a mailing list

register_kind("onboarding.invitation", _l("Invitations to join the college"), optional=False)


class LinkState(enum.StrEnum):
    VALID = "valid"
    INVALID = "invalid"  # not a token of ours, tampered with, or reissued since
    EXPIRED = "expired"
    REVOKED = "revoked"
    USED_UP = "used_up"


def token_for(invitation: Invitation) -> str:
    """The signed token: an HMAC over (id, version) with the token key."""
    return security.make_token(PURPOSE, invitation.id, invitation.token_version)


def join_url(invitation: Invitation) -> str:
    """The absolute link to hand out (from BASE_URL, so printed QR codes work anywhere)."""
    return external_url("onboarding.join", token=token_for(invitation))


def state_of(invitation: Invitation, now: datetime | None = None) -> LinkState:
    now = now or utcnow()
    if invitation.revoked_at is not None:
        return LinkState.REVOKED
    if invitation.expires_at <= now:
        return LinkState.EXPIRED
    if invitation.uses >= invitation.max_uses:
        return LinkState.USED_UP
    return LinkState.VALID


def resolve(
    token: str, *, now: datetime | None = None, lock: bool = False
) -> tuple[Invitation | None, LinkState]:
    """The invitation a token names and whether it can be used now."""
    if not token or len(token) > 300:
        return None, LinkState.INVALID
    found = security.read_token(PURPOSE, token)
    if found is None:
        return None, LinkState.INVALID
    invitation_id, version = found
    if not 0 < invitation_id < 2**31:
        return None, LinkState.INVALID
    invitation = db.session.get(Invitation, invitation_id, with_for_update=lock)
    if invitation is None:
        return None, LinkState.INVALID
    if invitation.revoked_at is not None:
        return invitation, LinkState.REVOKED
    if version != invitation.token_version:
        return None, LinkState.INVALID
    return invitation, state_of(invitation, now)


def load(invitation_id: int) -> Invitation | None:
    """An invitation with what its page shows."""
    return db.session.scalar(
        select(Invitation)
        .options(
            selectinload(Invitation.group),
            selectinload(Invitation.department),
            selectinload(Invitation.student),
            selectinload(Invitation.created_by),
        )
        .where(Invitation.id == invitation_id)
    )


def _check_limits(days: int | None, max_uses: int | None) -> tuple[int, int]:
    if days is None or not 1 <= days <= MAX_DAYS:
        raise ValidationFailed(_("The link may work from 1 to %(n)d days.", n=MAX_DAYS), "days")
    if max_uses is None or not 1 <= max_uses <= MAX_USES:
        raise ValidationFailed(
            _("The number of uses must be from 1 to %(n)d.", n=MAX_USES), "max_uses"
        )
    return days, max_uses


def roles_for(actor: User) -> tuple[Role, ...]:
    """The roles this person may invite to (admins: staff and students; others: students)."""
    roles = policy.effective_roles(actor)
    if Role.ADMIN in roles:
        return ADMIN_ROLES
    if roles & {Role.TUTOR, Role.TEACHER}:
        return (Role.STUDENT,)
    return ()


def groups_for(actor: User) -> list[StudyGroup]:
    """The open groups this person may invite students to."""
    roles = policy.effective_roles(actor)
    query = select(StudyGroup).where(StudyGroup.is_archived.is_(False))
    if Role.ADMIN not in roles:
        ids = (policy.tutored_group_ids(actor) if Role.TUTOR in roles else set()) | (
            policy.taught_group_ids(actor) if Role.TEACHER in roles else set()
        )
        query = query.where(StudyGroup.id.in_(ids))
    return list(db.session.scalars(query.order_by(StudyGroup.name_key)))


def create_invitation(
    actor: User,
    *,
    role: Role | str,
    group_id: int | None = None,
    department_id: int | None = None,
    days: int | None = DEFAULT_DAYS,
    max_uses: int | None = 1,
    note: str = "",
    now: datetime | None = None,
) -> Invitation:
    """A link for a role and a target: a group (students must have one) or a department."""
    if not policy.can(actor, "onboarding.invite"):
        raise PermissionDenied(_("You may not create invitation links."))
    try:
        role = Role(role)
    except ValueError:
        raise ValidationFailed(_("Choose the role."), "role") from None
    if role not in roles_for(actor):
        raise ValidationFailed(_("You may not invite people in this role."), "role")
    days, max_uses = _check_limits(days, max_uses)
    group = db.session.get(StudyGroup, group_id) if group_id else None
    department = db.session.get(Department, department_id) if department_id else None
    if group_id and group is None:
        raise ValidationFailed(_("Choose the group."), "group_id")
    if department_id and department is None:
        raise ValidationFailed(_("Choose the department."), "department_id")
    if role is Role.STUDENT and group is None:
        raise ValidationFailed(_("A link for students needs their group."), "group_id")
    if group is not None:
        if role not in GROUP_ROLES:
            raise ValidationFailed(_("Links to a group are for students and teachers."), "group_id")
        if group.is_archived:
            raise ValidationFailed(_("The group is archived."), "group_id")
        if not policy.can(actor, "onboarding.invite", group):
            raise ValidationFailed(
                _("You may invite only to the groups you work with."), "group_id"
            )
        department_id = group.department_id
    now = now or utcnow()
    invitation = Invitation(
        role=role,
        group_id=group.id if group else None,
        department_id=department_id if (group or department) else None,
        note=clean(note)[:200],
        expires_at=now + timedelta(days=days),
        max_uses=max_uses,
        uses=0,
        token_version=0,
        created_by_id=actor.id,
        created_at=now,
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record(
        "invitation.created",
        actor=actor,
        obj=invitation,
        summary=f"{role.value}: {group.name if group else (department.name if department else '')}",
        role=role.value,
        group_id=invitation.group_id,
        department_id=invitation.department_id,
        max_uses=max_uses,
        days=days,
    )
    return invitation


def create_parent_link(
    actor: User,
    student: User,
    *,
    days: int = PARENT_LINK_DAYS,
    note: str = "",
    now: datetime | None = None,
) -> Invitation:
    """A one-use link for a parent of this student (by the student's tutor or the student)."""
    if not policy.can(actor, "onboarding.invite_parent", student):
        raise PermissionDenied(_("You may not invite a parent of this student."))
    days, _uses = _check_limits(days, 1)
    now = now or utcnow()
    invitation = Invitation(
        role=Role.PARENT,
        student_id=student.id,
        note=clean(note)[:200],
        expires_at=now + timedelta(days=days),
        max_uses=1,
        uses=0,
        token_version=0,
        created_by_id=actor.id,
        created_at=now,
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record(
        "invitation.parent_link",
        actor=actor,
        obj=invitation,
        summary=student.full_name,
        student_id=student.id,
    )
    return invitation


def _require_manage(actor: User, invitation: Invitation) -> None:
    if not policy.can(actor, "onboarding.manage_invitation", invitation):
        raise PermissionDenied(_("Only the link's author or an administrator may change it."))


def revoke(invitation: Invitation, actor: User, *, now: datetime | None = None) -> None:
    """Switch a link off: whoever opens it is told it was revoked."""
    _require_manage(actor, invitation)
    if invitation.revoked_at is not None:
        raise InvalidTransition(_("The link has already been revoked."))
    invitation.revoked_at = now or utcnow()
    invitation.revoked_by_id = actor.id
    db.session.flush()
    audit.record("invitation.revoked", actor=actor, obj=invitation, summary=invitation.role.value)


def reissue(invitation: Invitation, actor: User) -> None:
    """A new link with the same settings; the old one (printed, leaked) stops working."""
    _require_manage(actor, invitation)
    if invitation.revoked_at is not None:
        raise InvalidTransition(_("The link has been revoked; create a new one."))
    invitation.token_version += 1
    db.session.flush()
    audit.record(
        "invitation.reissued",
        actor=actor,
        obj=invitation,
        summary=invitation.role.value,
        version=invitation.token_version,
    )


def parse_addresses(text: str) -> list[str]:
    """The e-mail addresses typed into one field (commas, semicolons, spaces or new lines
    between them), normalised and without repeats; a ValidationFailed names the bad ones."""
    seen: dict[str, None] = {}
    bad: list[str] = []
    for raw in re.split(r"[\s,;]+", text or ""):
        if not raw:
            continue
        try:
            # No SMTPUTF8: a non-ASCII local part cannot go into the message's To header.
            checked = validate_email(raw, check_deliverability=False, allow_smtputf8=False)
            seen.setdefault((checked.ascii_email or checked.normalized).lower())
        except EmailNotValidError:
            bad.append(raw[:80])
    if bad:
        raise ValidationFailed(
            _("These are not e-mail addresses: %(list)s.", list=", ".join(bad[:5])), "emails"
        )
    if not seen:
        raise ValidationFailed(_("Enter at least one e-mail address."), "emails")
    if len(seen) > MAIL_AT_ONCE:
        raise ValidationFailed(
            _("At most %(num)d addresses at once.", num=MAIL_AT_ONCE), "emails"
        )
    return list(seen)


def mail_invitation(invitation: Invitation, actor: User, *, emails: str, note: str = "") -> int:
    """E-mail a working link to these addresses through the outbox; returns how many."""
    _require_manage(actor, invitation)
    if state_of(invitation) is not LinkState.VALID:
        raise InvalidTransition(_("Only a working link can be sent."))
    addresses = parse_addresses(emails)
    if invitation.role is Role.PARENT and len(addresses) > 1:
        raise ValidationFailed(
            _("A parent's link works once: send it to one address."), "emails"
        )
    context = {
        "invitation": invitation,
        "link": join_url(invitation),
        "sender": actor.full_name,
        "note": clean(note)[:500],
        "group": group.name if (group := db.session.get(StudyGroup, invitation.group_id or 0))
        else "",
        "child": child.full_name if (child := db.session.get(User, invitation.student_id or 0))
        else "",
    }
    for address in addresses:
        queue_mail(
            "onboarding.invitation",
            address,
            _l("Invitation to join the college intranet"),
            "onboarding_invitation",
            context,
        )
    audit.record(
        "invitation.mailed",
        actor=actor,
        obj=invitation,
        summary=invitation.role.value,
        count=len(addresses),
    )
    return len(addresses)


@dataclass(frozen=True)
class InvitationFilters:
    state: str = "active"  # active, expired, revoked, used_up, all
    role: Role | None = None
    mine: bool = False


def invitations_query(
    actor: User, filters: InvitationFilters, now: datetime | None = None
) -> Select:
    """The links this person sees (admins: everyone's), newest first."""
    now = now or utcnow()
    query = select(Invitation).options(
        selectinload(Invitation.group),
        selectinload(Invitation.department),
        selectinload(Invitation.student),
        selectinload(Invitation.created_by),
    )
    if Role.ADMIN not in policy.effective_roles(actor) or filters.mine:
        query = query.where(Invitation.created_by_id == actor.id)
    if filters.role is not None:
        query = query.where(Invitation.role == filters.role)
    live = Invitation.revoked_at.is_(None)
    if filters.state == "active":
        query = query.where(
            live, Invitation.expires_at > now, Invitation.uses < Invitation.max_uses
        )
    elif filters.state == "expired":
        query = query.where(live, Invitation.expires_at <= now)
    elif filters.state == "revoked":
        query = query.where(Invitation.revoked_at.is_not(None))
    elif filters.state == "used_up":
        query = query.where(live, Invitation.uses >= Invitation.max_uses)
    return query.order_by(Invitation.created_at.desc(), Invitation.id.desc())


def parent_link_students(actor: User, today: date) -> list[User]:
    """Students this person may make a parent link for: themselves, or their groups' students."""
    roles = policy.effective_roles(actor)
    if Role.STUDENT in roles and Role.TUTOR not in roles and Role.ADMIN not in roles:
        return [actor]
    if Role.TUTOR not in roles:
        return []
    groups = policy.tutored_group_ids(actor)
    if not groups:
        return []
    return list(
        db.session.scalars(
            select(User)
            .join(Enrollment, Enrollment.student_id == User.id)
            .where(
                Enrollment.group_id.in_(groups),
                Enrollment.starts_on <= today,
                or_(Enrollment.ends_on.is_(None), Enrollment.ends_on >= today),
                User.is_active.is_(True),
            )
            .order_by(User.name_key, User.id)
            .distinct()
        )
    )
