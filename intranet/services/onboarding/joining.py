"""Joining by a link: registration (or an existing account) makes a join request, which an
admin (for a parent, also the student's tutor) approves or rejects; the applicant is told."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import selectinload

from intranet import policy
from intranet.extensions import db
from intranet.models import (
    Enrollment,
    Guardian,
    Invitation,
    JoinRequest,
    JoinStatus,
    Role,
    StudyGroup,
    TeacherStatus,
    TutorAssignment,
    User,
)
from intranet.models.base import utcnow
from intranet.models.people import TEACHING_ROLES
from intranet.services import accounts, audit
from intranet.services.errors import (
    Conflict,
    DomainError,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)
from intranet.services.mail import external_url, queue_mail, register_kind
from intranet.services.onboarding.common import record_consent, require_consent, unique_guard
from intranet.services.onboarding.invitations import LinkState, resolve
from intranet.services.phones import normalize_phone
from intranet.services.structure import clean, search_terms

register_kind(
    "onboarding.decision", _l("The decision on your request to join the college"), optional=False
)

# Staff sign in with their e-mail; students and parents may have only a phone.
EMAIL_REQUIRED = frozenset({Role.HEAD, Role.DEPUTY, Role.TEACHER, Role.TUTOR})


class LinkUnusable(DomainError):
    """The link cannot be used (any more); `state` says why."""

    def __init__(self, state: LinkState) -> None:
        super().__init__(_("This invitation link cannot be used."))
        self.state = state


def usable_invitation(token: str, *, lock: bool = False) -> Invitation:
    """The invitation behind a token that can be used now, or LinkUnusable."""
    invitation, state = resolve(token, lock=lock)
    if invitation is None or state is not LinkState.VALID:
        raise LinkUnusable(state)
    return invitation


def _spend(invitation: Invitation, now: datetime) -> None:
    invitation.uses += 1
    invitation.last_used_at = now


def _check_new_contacts(email: str | None, phone: str | None) -> tuple[str | None, str]:
    email = (email or "").strip().casefold() or None
    phone_norm = normalize_phone(phone) if phone else None
    if not phone_norm:
        raise ValidationFailed(_("Enter a Russian phone number, e.g. +7 912 345-67-89."), "phone")
    if email and db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise ValidationFailed(
            _("An account with this e-mail already exists. Sign in and open the link again."),
            "email",
        )
    if db.session.scalar(select(User.id).where(User.phone == phone_norm)) is not None:
        raise ValidationFailed(
            _("An account with this phone already exists. Sign in and open the link again."),
            "phone",
        )
    return email, phone_norm


def _new_request(
    user: User, invitation: Invitation, *, relation: str, now: datetime
) -> JoinRequest:
    request_ = JoinRequest(
        user_id=user.id,
        invitation_id=invitation.id,
        role=invitation.role,
        department_id=invitation.department_id,
        group_id=invitation.group_id,
        student_id=invitation.student_id,
        relation=clean(relation)[:40] if invitation.role is Role.PARENT else "",
        status=JoinStatus.PENDING,
        created_at=now,
    )
    db.session.add(request_)
    if invitation.role is Role.PARENT:
        # The family link exists from now on, unconfirmed: the tutor confirms it (policy
        # gives parents nothing through an unconfirmed link).
        db.session.add(
            Guardian(
                parent_id=user.id,
                student_id=invitation.student_id,
                relation=request_.relation,
                is_confirmed=False,
                created_at=now,
            )
        )
    _spend(invitation, now)
    db.session.flush()
    return request_


def register(
    token: str,
    *,
    last_name: str,
    first_name: str,
    middle_name: str = "",
    email: str | None = None,
    phone: str | None = None,
    password: str,
    consent: bool,
    relation: str = "",
    now: datetime | None = None,
) -> JoinRequest:
    """Create an account from an invitation link; it waits for approval with no role yet."""
    now = now or utcnow()
    invitation = usable_invitation(token, lock=True)
    last_name, first_name = clean(last_name), clean(first_name)
    if not last_name:
        raise ValidationFailed(_("Enter the surname."), "last_name")
    if not first_name:
        raise ValidationFailed(_("Enter the first name."), "first_name")
    if invitation.role in EMAIL_REQUIRED and not (email or "").strip():
        raise ValidationFailed(_("Staff need an e-mail address to sign in."), "email")
    email, phone_norm = _check_new_contacts(email, phone)
    require_consent(consent)
    with unique_guard():
        user = accounts.create_person(
            actor=None,
            last_name=last_name[:80],
            first_name=first_name[:80],
            middle_name=clean(middle_name)[:80],
            email=email,
            phone=phone_norm,
            roles=(),
            password=password,
        )
    record_consent(user, context="registration", now=now)
    request_ = _new_request(user, invitation, relation=relation, now=now)
    audit.record(
        "join.registered",
        actor=user,
        obj=request_,
        summary=f"{user.full_name}: {invitation.role.value}",
        invitation_id=invitation.id,
        role=invitation.role.value,
    )
    return request_


def accept_with_account(
    token: str, user: User, *, relation: str = "", consent: bool, now: datetime | None = None
) -> JoinRequest:
    """A signed-in person joins by a link (a parent of a second child, a teacher who is also a
    tutor); the request waits for approval like any other."""
    now = now or utcnow()
    invitation = usable_invitation(token, lock=True)
    if invitation.role in user.role_set and invitation.role is not Role.PARENT:
        raise Conflict(_("You already have this role."))
    pending = select(JoinRequest.id).where(
        JoinRequest.user_id == user.id,
        JoinRequest.status == JoinStatus.PENDING,
        JoinRequest.role == invitation.role,
    )
    if invitation.student_id is not None:
        pending = pending.where(JoinRequest.student_id == invitation.student_id)
    if db.session.scalar(pending.limit(1)) is not None:
        raise Conflict(_("Your request of this kind is already waiting for a decision."))
    if invitation.role is Role.PARENT:
        if invitation.student_id == user.id:
            raise ValidationFailed(_("This link is for a parent, not for the student."))
        linked = select(Guardian.id).where(
            Guardian.parent_id == user.id, Guardian.student_id == invitation.student_id
        )
        if db.session.scalar(linked) is not None:
            raise Conflict(_("You are already linked to this student."))
    require_consent(consent)
    record_consent(user, context="registration", now=now)
    request_ = _new_request(user, invitation, relation=relation, now=now)
    audit.record(
        "join.requested",
        actor=user,
        obj=request_,
        summary=f"{user.full_name}: {invitation.role.value}",
        invitation_id=invitation.id,
        role=invitation.role.value,
    )
    return request_


# --- deciding -----------------------------------------------------------------------------------


def _require_decide(actor: User, request_: JoinRequest) -> None:
    if not policy.can(actor, "onboarding.decide", request_):
        raise PermissionDenied(_("You may not decide this request."))
    if request_.status is not JoinStatus.PENDING:
        raise InvalidTransition(_("This request has already been decided."))


def _tell(request_: JoinRequest, user: User) -> None:
    if not user.email:
        return
    queue_mail(
        "onboarding.decision",
        user,
        _l("Your request to join the college"),
        "onboarding_decision",
        {
            "user": user,
            "request": request_,
            "approved": request_.status is JoinStatus.APPROVED,
            "login_url": external_url("auth.login"),
        },
    )


def approve(
    request_: JoinRequest,
    actor: User,
    *,
    confirm_teacher: bool = False,
    today: date,
    now: datetime | None = None,
) -> None:
    """Grant the role and the target: a student joins the group, a parent's link is confirmed,
    teaching staff wait for (or, if asked, get) confirmation of their teacher status."""
    _require_decide(actor, request_)
    now = now or utcnow()
    user = db.session.get(User, request_.user_id)
    if user is None or not user.is_active:
        raise InvalidTransition(_("The applicant's account is disabled."))
    role = request_.role
    if role is Role.STUDENT and request_.group_id is not None:
        _enroll_new_student(user, request_.group_id, today)
    if role is Role.PARENT:
        _confirm_guardian(request_, user, now)
    accounts.set_roles(user, user.role_set | {role}, actor=actor)
    if role in TEACHING_ROLES and user.teacher_status is not TeacherStatus.CONFIRMED:
        user.teacher_status = TeacherStatus.PENDING
        if confirm_teacher and policy.can(actor, "people.confirm_teacher"):
            accounts.confirm_teacher(user, actor=actor)
    request_.status = JoinStatus.APPROVED
    request_.decided_at = now
    request_.decided_by_id = actor.id
    db.session.flush()
    audit.record(
        "join.approved",
        actor=actor,
        obj=request_,
        summary=f"{user.full_name}: {role.value}",
        user_id=user.id,
        role=role.value,
    )
    _tell(request_, user)


def _enroll_new_student(user: User, group_id: int, today: date) -> None:
    group = db.session.get(StudyGroup, group_id)
    if group is None or group.is_archived:
        raise InvalidTransition(_("The group of the invitation is archived; reject the request."))
    current = select(Enrollment.id).where(
        Enrollment.student_id == user.id,
        Enrollment.starts_on <= today,
        (Enrollment.ends_on.is_(None)) | (Enrollment.ends_on >= today),
    )
    if db.session.scalar(current.limit(1)) is not None:
        return  # already studying somewhere: moving them is a transfer, not joining
    db.session.add(
        Enrollment(
            student_id=user.id,
            group_id=group.id,
            starts_on=today,
            reason=_("Joined by an invitation link"),
        )
    )


def _confirm_guardian(request_: JoinRequest, user: User, now: datetime) -> None:
    link = db.session.scalar(
        select(Guardian).where(
            Guardian.parent_id == user.id, Guardian.student_id == request_.student_id
        )
    )
    if link is None:
        link = Guardian(
            parent_id=user.id,
            student_id=request_.student_id,
            relation=request_.relation,
            created_at=now,
        )
        db.session.add(link)
    link.is_confirmed = True


def reject(request_: JoinRequest, actor: User, *, reason: str, now: datetime | None = None) -> None:
    """Refuse a request with a reason the applicant is told."""
    _require_decide(actor, request_)
    reason = (reason or "").strip()[:1000]
    if not reason:
        raise ValidationFailed(_("Give the reason for rejecting."), "reason")
    user = db.session.get(User, request_.user_id)
    if request_.role is Role.PARENT:
        link = db.session.scalar(
            select(Guardian).where(
                Guardian.parent_id == request_.user_id,
                Guardian.student_id == request_.student_id,
                Guardian.is_confirmed.is_(False),
            )
        )
        if link is not None:
            db.session.delete(link)
    request_.status = JoinStatus.REJECTED
    request_.reason = reason
    request_.decided_at = now or utcnow()
    request_.decided_by_id = actor.id
    db.session.flush()
    audit.record(
        "join.rejected",
        actor=actor,
        obj=request_,
        summary=f"{user.full_name if user else request_.user_id}: {request_.role.value}",
        reason=reason,
    )
    if user is not None:
        _tell(request_, user)


@dataclass
class BulkOutcome:
    done: int = 0
    skipped: list[str] = field(default_factory=list)  # "Surname I. O.: why"


def decide_many(
    ids: Iterable[int],
    actor: User,
    *,
    approve_them: bool,
    reason: str = "",
    confirm_teacher: bool = False,
    today: date,
) -> BulkOutcome:
    """Approve or reject several requests; each one that cannot be decided is skipped."""
    if not approve_them and not (reason or "").strip():
        raise ValidationFailed(_("Give the reason for rejecting."), "reason")
    wanted = sorted({int(i) for i in ids})[:500]
    if not wanted:
        raise ValidationFailed(_("Choose at least one request."), "ids")
    outcome = BulkOutcome()
    requests = db.session.scalars(
        select(JoinRequest)
        .options(selectinload(JoinRequest.user))
        .where(JoinRequest.id.in_(wanted))
        .order_by(JoinRequest.id)
    ).all()
    for request_ in requests:
        try:
            with db.session.begin_nested():
                if approve_them:
                    approve(request_, actor, confirm_teacher=confirm_teacher, today=today)
                else:
                    reject(request_, actor, reason=reason)
        except DomainError as error:
            outcome.skipped.append(f"{request_.user.short_name}: {error.message}")
        else:
            outcome.done += 1
    return outcome


# --- the queue ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestFilters:
    status: JoinStatus | None = JoinStatus.PENDING
    role: Role | None = None
    group_id: int | None = None
    q: str = ""


def _tutor_scope(actor: User, today: date):
    """Parent requests for students in the actor's groups."""
    groups = select(TutorAssignment.group_id).where(
        TutorAssignment.tutor_id == actor.id,
        TutorAssignment.starts_on <= today,
        (TutorAssignment.ends_on.is_(None)) | (TutorAssignment.ends_on >= today),
    )
    return (JoinRequest.role == Role.PARENT) & exists().where(
        Enrollment.student_id == JoinRequest.student_id,
        Enrollment.group_id.in_(groups),
        Enrollment.starts_on <= today,
        (Enrollment.ends_on.is_(None)) | (Enrollment.ends_on >= today),
    )


def requests_query(actor: User, filters: RequestFilters, today: date) -> Select:
    """Join requests this person may decide, oldest first (pending) or newest first."""
    query = (
        select(JoinRequest)
        .join(User, User.id == JoinRequest.user_id)
        .options(
            selectinload(JoinRequest.user),
            selectinload(JoinRequest.group),
            selectinload(JoinRequest.department),
            selectinload(JoinRequest.student),
            selectinload(JoinRequest.decided_by),
            selectinload(JoinRequest.invitation).selectinload(Invitation.created_by),
        )
    )
    if Role.ADMIN not in policy.effective_roles(actor):
        query = query.where(_tutor_scope(actor, today))
    if filters.status is not None:
        query = query.where(JoinRequest.status == filters.status)
    if filters.role is not None:
        query = query.where(JoinRequest.role == filters.role)
    if filters.group_id:
        in_group = exists().where(
            Enrollment.student_id == JoinRequest.student_id,
            Enrollment.group_id == filters.group_id,
        )
        query = query.where((JoinRequest.group_id == filters.group_id) | in_group)
    query = query.where(*search_terms(User.name_key, filters.q))
    if filters.status is JoinStatus.PENDING:
        return query.order_by(JoinRequest.created_at, JoinRequest.id)
    return query.order_by(JoinRequest.created_at.desc(), JoinRequest.id.desc())


def pending_count(actor: User, today: date) -> int:
    """How many requests wait for this person's decision."""
    if not policy.can(actor, "onboarding.requests"):
        return 0
    query = requests_query(actor, RequestFilters(), today).with_only_columns(
        func.count(JoinRequest.id)
    )
    return db.session.scalar(query.order_by(None)) or 0


def student_groups(student_ids: Iterable[int], today: date) -> dict[int, str]:
    """The current group name of each student (for parent requests), in one query."""
    ids = [i for i in set(student_ids) if i]
    if not ids:
        return {}
    rows = db.session.execute(
        select(Enrollment.student_id, StudyGroup.name)
        .join(StudyGroup, StudyGroup.id == Enrollment.group_id)
        .where(
            Enrollment.student_id.in_(ids),
            Enrollment.starts_on <= today,
            (Enrollment.ends_on.is_(None)) | (Enrollment.ends_on >= today),
        )
    )
    return dict(rows.all())


def my_requests(user: User) -> list[JoinRequest]:
    """The person's own requests, newest first (the page after registering)."""
    return list(
        db.session.scalars(
            select(JoinRequest)
            .options(selectinload(JoinRequest.group), selectinload(JoinRequest.student))
            .where(JoinRequest.user_id == user.id)
            .order_by(JoinRequest.created_at.desc())
            .limit(20)
        )
    )
