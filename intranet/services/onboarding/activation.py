"""Activation: people imported or created by an admin have no password until they open a
personal one-time link (by e-mail, or a QR code their tutor prints); tutors also issue a
one-time sign-in link to someone who has no e-mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from intranet import policy
from intranet.extensions import db
from intranet.models import Enrollment, Guardian, Role, StudyGroup, User
from intranet.services import accounts, audit, password_reset, security
from intranet.services.errors import PermissionDenied, ValidationFailed
from intranet.services.mail import external_url, queue_mail, register_kind
from intranet.services.onboarding.common import record_consent, require_consent
from intranet.services.qr import qr_data_uri

PURPOSE = "activation"
MAX_AGE_DAYS = 30
MAX_AGE = MAX_AGE_DAYS * 24 * 3600

register_kind("onboarding.activation", _l("Links to activate your account"), optional=False)


def activation_token(user: User) -> str:
    """One-time: the version changes once a password is set (password_reset's scheme)."""
    return security.make_token(PURPOSE, user.id, password_reset.token_version(user))


def activation_url(user: User) -> str:
    return external_url("onboarding.activate", token=activation_token(user))


def user_for_activation(token: str) -> User | None:
    """The person a valid, unused activation link belongs to; None for any other link."""
    if not token or len(token) > 300:
        return None
    found = security.read_token(PURPOSE, token, max_age=MAX_AGE)
    if found is None:
        return None
    user_id, version = found
    if not 0 < user_id < 2**31:
        return None
    user = db.session.get(User, user_id)
    if (
        user is None
        or not user.is_active
        or user.password_hash is not None
        or password_reset.token_version(user) != version
    ):
        return None
    return user


def activate(token: str, *, password: str, consent: bool) -> User:
    """Set the first password from an activation link, with consent to data processing."""
    user = user_for_activation(token)
    if user is None:
        raise ValidationFailed(
            _("This link is no longer valid. Ask your tutor for a new one."), "token"
        )
    require_consent(consent)
    accounts.set_password(user, password, actor=user)
    record_consent(user, context="activation")
    audit.record("account.activated", actor=user, obj=user, summary=user.full_name)
    return user


@dataclass(frozen=True)
class SignInLink:
    person: User
    kind: str  # "activation" (no password yet) or "reset" (one hour)
    url: str
    qr: str


def _require_link(actor: User, person: User) -> None:
    if not policy.can(actor, "onboarding.issue_link", person):
        raise PermissionDenied(_("You may issue links only for your students and their parents."))
    if not person.is_active:
        raise ValidationFailed(_("The account is disabled."))


def sign_in_link(person: User, actor: User) -> SignInLink:
    """A one-time link for someone with no e-mail: activation, or a password reset (1 hour)."""
    _require_link(actor, person)
    if person.password_hash is None:
        kind, url = "activation", activation_url(person)
    else:
        kind = "reset"
        url = external_url("auth.reset_password", token=password_reset.make_reset_token(person))
    audit.record(
        "account.link_issued", actor=actor, obj=person, summary=person.full_name, kind=kind
    )
    return SignInLink(person, kind, url, qr_data_uri(url))


def send_activation_mail(person: User, actor: User) -> None:
    """E-mail the person their activation link."""
    _require_link(actor, person)
    if not person.email:
        raise ValidationFailed(_("The person has no e-mail address: print the QR code instead."))
    if person.password_hash is not None:
        raise ValidationFailed(_("The account is already activated."))
    queue_mail(
        "onboarding.activation",
        person,
        _l("Activate your account on the college intranet"),
        "onboarding_activation",
        {"user": person, "link": activation_url(person), "days": MAX_AGE_DAYS},
    )
    audit.record("account.activation_sent", actor=actor, obj=person, summary=person.full_name)


@dataclass(frozen=True)
class SheetEntry:
    person: User
    role: Role
    child: User | None  # for a parent: whose parent
    url: str
    qr: str


def sheet_groups(actor: User, today: date) -> list[StudyGroup]:
    """The open groups this person prints activation sheets for (admins: all; tutors: theirs)."""
    roles = policy.effective_roles(actor)
    query = select(StudyGroup).where(StudyGroup.is_archived.is_(False))
    if Role.ADMIN not in roles:
        if Role.TUTOR not in roles:
            return []
        query = query.where(StudyGroup.id.in_(policy.tutored_group_ids(actor, today)))
    return list(db.session.scalars(query.order_by(StudyGroup.name_key)))


def not_activated(group: StudyGroup, today: date) -> tuple[list[User], list[tuple[User, User]]]:
    """The group's current students and their parents who have not activated their accounts."""
    students = list(
        db.session.scalars(
            select(User)
            .join(Enrollment, Enrollment.student_id == User.id)
            .where(
                Enrollment.group_id == group.id,
                Enrollment.starts_on <= today,
                or_(Enrollment.ends_on.is_(None), Enrollment.ends_on >= today),
                User.is_active.is_(True),
            )
            .order_by(User.name_key, User.id)
        )
    )
    ids = [s.id for s in students]
    links = (
        db.session.scalars(
            select(Guardian)
            .options(selectinload(Guardian.parent), selectinload(Guardian.student))
            .where(Guardian.student_id.in_(ids), Guardian.is_confirmed.is_(True))
        ).all()
        if ids
        else []
    )
    parents: list[tuple[User, User]] = []
    seen: set[int] = set()
    for g in sorted(links, key=lambda g: (g.student.name_key, g.parent.name_key)):
        if g.parent.is_active and g.parent.password_hash is None and g.parent_id not in seen:
            seen.add(g.parent_id)
            parents.append((g.parent, g.student))
    return [s for s in students if s.password_hash is None], parents


def activation_sheet(
    group: StudyGroup, actor: User, today: date, *, person_ids: set[int] | None = None
) -> list[SheetEntry]:
    """Activation QR codes for the group's students and parents who have no password yet."""
    if not policy.can(actor, "onboarding.activation_sheet", group):
        raise PermissionDenied(_("You may print activation sheets only for your groups."))
    students, parents = not_activated(group, today)
    entries = [
        SheetEntry(s, Role.STUDENT, None, url := activation_url(s), qr_data_uri(url))
        for s in students
        if person_ids is None or s.id in person_ids
    ]
    entries += [
        SheetEntry(p, Role.PARENT, child, url := activation_url(p), qr_data_uri(url))
        for p, child in parents
        if person_ids is None or p.id in person_ids
    ]
    if not entries:
        raise ValidationFailed(_("Everyone chosen has already activated their account."))
    audit.record(
        "account.activation_sheet",
        actor=actor,
        obj=group,
        summary=group.name,
        people=[e.person.id for e in entries],
    )
    return entries


def mail_activation_links(group: StudyGroup, actor: User, today: date) -> int:
    """E-mail activation links to those of the group who have an address; returns how many."""
    if not policy.can(actor, "onboarding.activation_sheet", group):
        raise PermissionDenied(_("You may send activation links only for your groups."))
    students, parents = not_activated(group, today)
    sent = 0
    for person in [*students, *(p for p, _child in parents)]:
        if person.email and policy.can(actor, "onboarding.issue_link", person):
            send_activation_mail(person, actor)
            sent += 1
    return sent


def works_until(now: datetime) -> datetime:
    """When links printed now stop working (shown on the sheet)."""
    return now + timedelta(days=MAX_AGE_DAYS)
