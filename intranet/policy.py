"""The one place that answers "may this user do this (to this object)?".

Views, templates and services ask `can(user, action, obj)`; nothing else decides.
An action is first granted by role (ROLE_ACTIONS), then narrowed by an object rule
(OBJECT_RULES) when an object is given. Teaching staff act in their role only once an
admin has confirmed their teacher status (regulation §2.1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import g, has_request_context
from sqlalchemy import exists, or_, select

from intranet.extensions import db
from intranet.models import (
    Enrollment,
    Guardian,
    Role,
    StudyGroup,
    TeacherStatus,
    TeachingAssignment,
    TutorAssignment,
    User,
)
from intranet.models.channels import (
    Announcement,
    AnnouncementStatus,
    Audience,
    Channel,
    ChannelStage,
    ReviewDecision,
    ReviewRound,
    Revision,
    RoundKind,
    RoundState,
    channel_group,
    channel_stage_approver,
)
from intranet.models.events import (
    Event,
    EventAudienceRole,
    EventDepartment,
    EventGroup,
    EventPerson,
)
from intranet.models.people import UserRole

A, H, D, TU, TE, S, P = (
    Role.ADMIN,
    Role.HEAD,
    Role.DEPUTY,
    Role.TUTOR,
    Role.TEACHER,
    Role.STUDENT,
    Role.PARENT,
)
EVERYONE = frozenset(Role)
STAFF = frozenset({A, H, D, TU, TE})

ROLE_ACTIONS: dict[str, frozenset[Role]] = {
    "home.view": EVERYONE,
    "structure.view": STAFF,
    "structure.manage": frozenset({A}),
    "people.list": frozenset({A, H, D}),
    "people.view": EVERYONE,  # narrowed by the object rule below
    "people.manage": frozenset({A}),
    "people.confirm_teacher": frozenset({A}),
    "people.view_contacts": frozenset({A, H, D, TU}),  # parents' contacts: narrowed below
    "audit.view": frozenset({A, H}),
    "mail.manage": frozenset({A}),
    "stats.view": frozenset({A, H}),
    "stats.platform": frozenset({A}),  # enter the Sferum panel's figures
    "helpdesk.file": EVERYONE,  # and any active account: see ANY_ACCOUNT
    "helpdesk.view_ticket": EVERYONE,  # narrowed by the object rule below
    "helpdesk.attachment": EVERYONE,  # narrowed by the object rule below
    "helpdesk.manage": frozenset({A}),
    "helpdesk.articles": frozenset({A}),
    "helpdesk.reports": frozenset({A, H}),
}

# Actions any active account may take whatever its roles: asking the help desk is how a
# teacher whose status is not yet confirmed gets it confirmed.
ANY_ACCOUNT = frozenset({"helpdesk.file", "helpdesk.view_ticket", "helpdesk.attachment"})

# Roles whose powers wait for a confirmed teacher status.
_NEEDS_CONFIRMATION = frozenset({TU, TE})


def effective_roles(user: Any) -> frozenset[Role]:
    """The roles a user may act in now."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    roles = user.role_set
    if user.teacher_status is not TeacherStatus.CONFIRMED:
        roles = roles - _NEEDS_CONFIRMATION
    return roles


def can(user: Any, action: str, obj: Any = None) -> bool:
    """True when `user` may perform `action` (on `obj`, if one is given)."""
    allowed = ROLE_ACTIONS.get(action)
    if allowed is None:
        raise KeyError(f"unknown action {action!r}")
    roles = effective_roles(user)
    if roles.isdisjoint(allowed) and not (action in ANY_ACCOUNT and _is_active_account(user)):
        return False
    rule = OBJECT_RULES.get(action)
    if rule is None or obj is None:
        return True
    return rule(user, roles, obj)


# --- object rules ---------------------------------------------------------------------------


def _today() -> date:
    return date.today()


def _current(model, today: date):
    return (model.starts_on <= today) & (or_(model.ends_on.is_(None), model.ends_on >= today))


def tutored_group_ids(user: User, today: date | None = None) -> set[int]:
    today = today or _today()

    def compute() -> frozenset[int]:
        return frozenset(
            db.session.scalars(
                select(TutorAssignment.group_id).where(
                    TutorAssignment.tutor_id == user.id, _current(TutorAssignment, today)
                )
            )
        )

    return set(_memo(("tutored", user.id, today), compute))


def taught_group_ids(user: User) -> set[int]:
    def compute() -> frozenset[int]:
        return frozenset(
            db.session.scalars(
                select(TeachingAssignment.group_id).where(
                    TeachingAssignment.teacher_id == user.id
                )
            )
        )

    return set(_memo(("taught", user.id), compute))


def student_group_ids(student_id: int, today: date | None = None) -> set[int]:
    today = today or _today()

    def compute() -> frozenset[int]:
        return frozenset(
            db.session.scalars(
                select(Enrollment.group_id).where(
                    Enrollment.student_id == student_id, _current(Enrollment, today)
                )
            )
        )

    return set(_memo(("studies", student_id, today), compute))


def _is_student_in(student_id: int, group_ids: set[int]) -> bool:
    return bool(group_ids) and bool(student_group_ids(student_id) & group_ids)


def _parent_of_student_in(parent_id: int, group_ids: set[int]) -> bool:
    if not group_ids:
        return False
    today = _today()
    query = select(
        exists().where(
            Guardian.parent_id == parent_id,
            Guardian.student_id == Enrollment.student_id,
            Enrollment.group_id.in_(group_ids),
            _current(Enrollment, today),
        )
    )
    return bool(db.session.scalar(query))


def _is_child(parent: User, student_id: int) -> bool:
    query = select(
        exists().where(
            Guardian.parent_id == parent.id,
            Guardian.student_id == student_id,
            Guardian.is_confirmed.is_(True),
        )
    )
    return bool(db.session.scalar(query))


def _may_view_person(user: User, roles: frozenset[Role], person: User) -> bool:
    if person.id == user.id or roles & {A, H, D}:
        return True
    if TU in roles:
        groups = tutored_group_ids(user)
        if _is_student_in(person.id, groups) or _parent_of_student_in(person.id, groups):
            return True
    if TE in roles and _is_student_in(person.id, taught_group_ids(user)):
        return True
    if P in roles and _is_child(user, person.id):
        return True
    return bool(person.role_set & STAFF) and bool(roles & STAFF)


def _may_view_contacts(user: User, roles: frozenset[Role], person: User) -> bool:
    """Parents' contacts are for tutors (of their children's groups) and admins only."""
    if person.id == user.id or A in roles:
        return True
    if P in person.role_set:
        return TU in roles and _parent_of_student_in(person.id, tutored_group_ids(user))
    if roles & {H, D}:
        return True
    return TU in roles and _is_student_in(person.id, tutored_group_ids(user))


def _may_view_group(user: User, roles: frozenset[Role], obj: Any) -> bool:
    """College leaders see every group; tutors and teachers the groups they work with."""
    if not isinstance(obj, StudyGroup) or roles & {A, H, D}:
        return True
    if TU in roles and obj.id in tutored_group_ids(user):
        return True
    return TE in roles and obj.id in taught_group_ids(user)


def _is_active_account(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and bool(user.is_active)


def _may_view_ticket(user: User, roles: frozenset[Role], ticket: Any) -> bool:
    """Admins see every ticket; a requester their own; a student and their parents those
    filed for the student."""
    if A in roles or ticket.requester_id == user.id:
        return True
    student_id = ticket.for_student_id
    if student_id is None:
        return False
    return student_id == user.id or (P in roles and _is_child(user, student_id))


def _may_get_attachment(user: User, roles: frozenset[Role], attachment: Any) -> bool:
    """An attachment of a staff-only note is for admins; others follow their ticket."""
    from intranet.models.helpdesk import Ticket

    if A in roles:
        return True
    if attachment.is_staff_only:
        return False
    ticket = db.session.get(Ticket, attachment.ticket_id)
    return ticket is not None and _may_view_ticket(user, roles, ticket)


OBJECT_RULES: dict[str, Callable[[User, frozenset[Role], Any], bool]] = {
    "helpdesk.view_ticket": _may_view_ticket,
    "helpdesk.attachment": _may_get_attachment,
    "people.view": _may_view_person,
    "people.view_contacts": _may_view_contacts,
    "structure.view": _may_view_group,
}


# --- channels: reading by audience, drafting, review and publication ----------------------
# Queries here are memoised per request (flask.g), so a page that asks about many rows asks
# the database once.

LEADERS = frozenset({A, H, D})
_AS = AnnouncementStatus

ROLE_ACTIONS.update(
    {
        "channels.read": EVERYONE,  # narrowed: the channel's audience
        "channels.manage": frozenset({A}),
        "channels.draft": STAFF,
        "channels.view_work": STAFF,  # the work page, history and diff: narrowed
        "channels.edit": STAFF,
        "channels.submit": STAFF,
        "channels.withdraw": STAFF,
        "channels.review": STAFF,  # approve, request changes, decline: the stage's approvers
        "channels.urgent": frozenset({H}),
        "channels.cancel": STAFF,
        "channels.acknowledge": STAFF,
        "channels.acks": STAFF,
        "channels.sferum": LEADERS,
        "channels.oversee": LEADERS,  # the list of everyone's announcements
        "uploads.view": EVERYONE,  # narrowed per purpose by UPLOAD_RULES
    }
)


def _cache() -> dict:
    """Answers memoised for this request; outside a request (worker, CLI) nothing is kept."""
    if has_request_context():
        return g.setdefault("_policy_memo", {})
    return {}


def _memo(key: tuple, compute: Callable[[], Any]) -> Any:
    cache = _cache()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def forget_memo() -> None:
    """Drop what this request has memoised (after a transition changed the answers)."""
    if has_request_context():
        g.pop("_policy_memo", None)


def readable_channel_ids(user: Any) -> frozenset[int]:
    """The channels this person reads: leaders every one, others those of their audience."""
    roles = effective_roles(user)
    if not roles:
        return frozenset()
    return _memo(("channels", user.id), lambda: _readable_channel_ids(user, roles))


def reads_every_channel(user: Any) -> bool:
    """College leaders read every channel."""
    return bool(effective_roles(user) & LEADERS)


def _audiences(roles: frozenset[Role]) -> set[Audience]:
    """The audiences (other than chosen groups) that people with these roles belong to."""
    keys = {Audience.EVERYONE}
    if roles & STAFF:
        keys.add(Audience.STAFF)
    if S in roles:
        keys.add(Audience.STUDENTS)
    if P in roles:
        keys.add(Audience.PARENTS)
    return keys


def _reads(user: User, roles: frozenset[Role], channel: Channel) -> bool:
    """One channel: decided from its audience alone unless it is for chosen groups."""
    if roles & LEADERS or channel.audience in _audiences(roles):
        return True
    return channel.audience is Audience.GROUPS and channel.id in readable_channel_ids(user)


def _readable_channel_ids(user: User, roles: frozenset[Role]) -> frozenset[int]:
    rows = db.session.execute(
        select(Channel.id, Channel.audience, Channel.group_students, Channel.group_parents)
    ).all()
    if roles & LEADERS:
        return frozenset(r.id for r in rows)
    keys = _audiences(roles)
    result = {r.id for r in rows if r.audience in keys}
    by_group = {r.id: r for r in rows if r.audience is Audience.GROUPS}
    if by_group:
        today = _today()
        as_student = student_group_ids(user.id, today) if S in roles else set()
        as_parent = _children_group_ids(user.id, today) if P in roles else set()
        as_staff = (tutored_group_ids(user, today) if TU in roles else set()) | (
            taught_group_ids(user) if TE in roles else set()
        )
        for channel_id, group_id in db.session.execute(
            select(channel_group.c.channel_id, channel_group.c.group_id).where(
                channel_group.c.channel_id.in_(list(by_group))
            )
        ):
            channel = by_group[channel_id]
            if (
                group_id in as_staff
                or (channel.group_students and group_id in as_student)
                or (channel.group_parents and group_id in as_parent)
            ):
                result.add(channel_id)
    return frozenset(result)


def _children_group_ids(parent_id: int, today: date) -> set[int]:
    rows = db.session.scalars(
        select(Enrollment.group_id).where(
            Enrollment.student_id == Guardian.student_id,
            Guardian.parent_id == parent_id,
            Guardian.is_confirmed.is_(True),
            _current(Enrollment, today),
        )
    )
    return set(rows)


def _may_read_channel(user: User, roles: frozenset[Role], obj: Any) -> bool:
    if isinstance(obj, Announcement):
        if obj.status in (_AS.PUBLISHED, _AS.CANCELLED):
            channel = db.session.get(Channel, obj.channel_id)  # usually loaded already
            if channel is not None and _reads(user, roles, channel):
                return True
        return bool(roles & STAFF) and _may_view_work(user, roles, obj)
    return _reads(user, roles, obj)


def is_public(obj: Any) -> bool:
    """Readable without signing in: channels for everyone and what they have published."""
    if isinstance(obj, Channel):
        return obj.audience is Audience.EVERYONE
    if isinstance(obj, Announcement):
        channel = db.session.get(Channel, obj.channel_id)
        return obj.status is _AS.PUBLISHED and channel is not None and is_public(channel)
    return False


def _is_channel_approver(user: User, roles: frozenset[Role], channel_id: int) -> bool:
    """Named on one of the channel's stages, or holding one of its approver roles."""

    def compute() -> bool:
        stage_roles = set(
            db.session.scalars(
                select(ChannelStage.approver_role).where(
                    ChannelStage.channel_id == channel_id, ChannelStage.approver_role.is_not(None)
                )
            )
        )
        if stage_roles & roles:
            return True
        named = db.session.scalar(
            select(
                exists().where(
                    channel_stage_approver.c.stage_id == ChannelStage.id,
                    ChannelStage.channel_id == channel_id,
                    channel_stage_approver.c.user_id == user.id,
                )
            )
        )
        return bool(named)

    return _memo(("channel_approver", user.id, channel_id), compute)


def _may_view_work(user: User, roles: frozenset[Role], a: Announcement) -> bool:
    """The author and admins always; leaders and the channel's approvers once it was
    submitted (someone else's unsubmitted draft stays private)."""
    if A in roles or a.author_id == user.id:
        return True
    if a.status is _AS.DRAFT:
        return False
    return bool(roles & {H, D}) or _is_channel_approver(user, roles, a.channel_id)


def _is_author_or_admin(user: User, roles: frozenset[Role], a: Announcement) -> bool:
    return A in roles or a.author_id == user.id


def _may_edit(user: User, roles: frozenset[Role], a: Announcement) -> bool:
    """Text changes: drafts and items in review; scheduled and published ones get a pending
    revision. Not while an urgent publication is being reviewed afterwards."""
    if not _is_author_or_admin(user, roles, a):
        return False
    if a.open_review is RoundKind.AFTER:
        return False
    return a.status in (
        _AS.DRAFT,
        _AS.IN_REVIEW,
        _AS.CHANGES_REQUESTED,
        _AS.SCHEDULED,
        _AS.PUBLISHED,
    )


def _may_submit(user: User, roles: frozenset[Role], a: Announcement) -> bool:
    if not _is_author_or_admin(user, roles, a) or a.open_review is not None:
        return False
    if a.status in (_AS.DRAFT, _AS.CHANGES_REQUESTED):
        return True
    return a.status is _AS.PUBLISHED and a.has_pending_revision


def _may_withdraw(user: User, roles: frozenset[Role], a: Announcement) -> bool:
    if not _is_author_or_admin(user, roles, a):
        return False
    return a.open_review is RoundKind.BEFORE or a.status is _AS.SCHEDULED


def _may_publish_urgently(user: User, roles: frozenset[Role], a: Announcement) -> bool:
    if not _may_view_work(user, roles, a) or a.open_review is RoundKind.AFTER:
        return False
    if a.status in (_AS.DRAFT, _AS.IN_REVIEW, _AS.CHANGES_REQUESTED, _AS.SCHEDULED):
        return True
    return a.status is _AS.PUBLISHED and a.has_pending_revision


def _may_cancel(user: User, roles: frozenset[Role], a: Announcement) -> bool:
    return a.status is _AS.PUBLISHED and (bool(roles & {A, H}) or a.author_id == user.id)


def _may_acknowledge(user: User, roles: frozenset[Role], a: Announcement) -> bool:
    if a.status is not _AS.PUBLISHED or not a.is_mandatory:
        return False
    channel = db.session.get(Channel, a.channel_id)
    return channel is not None and _reads(user, roles, channel)


def _may_see_acks(user: User, roles: frozenset[Role], a: Announcement) -> bool:
    return (
        a.is_mandatory
        and a.published_at is not None
        and (bool(roles & LEADERS) or a.author_id == user.id)
    )


def _may_use_sferum_text(user: User, roles: frozenset[Role], a: Announcement) -> bool:
    return a.status is _AS.PUBLISHED


@dataclass(frozen=True)
class StageApprovers:
    """Who may decide the current stage; `to_admins` when it passed to the admins because
    nobody but the author (or those who decided an earlier stage) could approve it."""

    user_ids: frozenset[int]
    to_admins: bool = False


def open_round(a: Announcement) -> ReviewRound | None:
    """The announcement's open review round (memoised for the request)."""
    if a.open_review is None:
        return None
    return _memo(
        ("round", a.id, a.version),
        lambda: db.session.scalar(
            select(ReviewRound).where(
                ReviewRound.announcement_id == a.id, ReviewRound.state == RoundState.OPEN
            )
        ),
    )


def role_holder_ids(role: Role) -> frozenset[int]:
    """Active people who may act in this role now."""
    if role in _MANY:
        return _memo(("holders", role), lambda: _role_holders([role]).get(role, frozenset()))
    return _memo(("holders",), lambda: _role_holders(_STAFF_ROLES)).get(role, frozenset())


_MANY = frozenset({S, P})  # thousands of holders: asked for one at a time
_STAFF_ROLES = [role for role in Role if role not in _MANY]


def _role_holders(roles: list[Role]) -> dict[Role, frozenset[int]]:
    """The active holders of these roles in one query (a request asks for several)."""
    holders: dict[Role, set[int]] = {}
    for user_id, role, status in db.session.execute(
        select(UserRole.user_id, UserRole.role, User.teacher_status)
        .join(User, User.id == UserRole.user_id)
        .where(User.is_active.is_(True), UserRole.role.in_(roles))
    ):
        if role in _NEEDS_CONFIRMATION and status is not TeacherStatus.CONFIRMED:
            continue
        holders.setdefault(role, set()).add(user_id)
    return {role: frozenset(ids) for role, ids in holders.items()}


def review_facts(rounds: list[ReviewRound]) -> dict[int, tuple[frozenset, frozenset]]:
    """round id → (people excluded from its current stage, the stage's named people who are
    active), for many rounds in a constant number of queries."""
    cache = _cache()
    facts = {
        r.id: cache[("review", r.id, r.stage)] for r in rounds if ("review", r.id, r.stage) in cache
    }
    pending = [r for r in rounds if r.id not in facts]
    if not pending:
        return facts
    announcement_ids = {r.announcement_id for r in pending}
    writers: dict[int, set[int]] = {}
    for announcement_id, writer_id in db.session.execute(
        select(Revision.announcement_id, Revision.author_id)
        .where(Revision.announcement_id.in_(announcement_ids))
        .union(
            select(Announcement.id, Announcement.author_id).where(
                Announcement.id.in_(announcement_ids)
            ),
            select(Announcement.id, Announcement.urgent_by_id).where(
                Announcement.id.in_(announcement_ids), Announcement.urgent_by_id.is_not(None)
            ),
        )
    ):
        writers.setdefault(announcement_id, set()).add(writer_id)
    deciders: dict[int, set[int]] = {}
    stage_of = {r.id: r.stage for r in pending}
    for round_id, stage, actor_id in db.session.execute(
        select(ReviewDecision.round_id, ReviewDecision.stage, ReviewDecision.actor_id).where(
            ReviewDecision.round_id.in_(list(stage_of))
        )
    ):
        if stage < stage_of[round_id]:
            deciders.setdefault(round_id, set()).add(actor_id)
    named = {r.id: set(r.stages[r.stage - 1].get("people", [])) for r in pending}
    everyone_named = set().union(*named.values())
    active = (
        set(
            db.session.scalars(
                select(User.id).where(User.id.in_(everyone_named), User.is_active.is_(True))
            )
        )
        if everyone_named
        else set()
    )
    for r in pending:
        excluded = frozenset(writers.get(r.announcement_id, set()) | deciders.get(r.id, set()))
        facts[r.id] = cache[("review", r.id, r.stage)] = (excluded, frozenset(named[r.id] & active))
    return facts


def stage_approvers(a: Announcement, round_: ReviewRound) -> StageApprovers:
    """The people who may decide the round's current stage.

    Nobody approves what they wrote (any revision's author, and whoever published it
    urgently), and one person decides one stage of a round. A stage left with nobody
    passes to the admins; failing them, to the head.
    """
    excluded, named = review_facts([round_])[round_.id]
    spec = round_.stages[round_.stage - 1]
    candidates = set(named)
    if spec.get("role"):
        candidates |= role_holder_ids(Role(spec["role"]))
    eligible = candidates - excluded
    if eligible:
        return StageApprovers(frozenset(eligible))
    for fallback in (A, H):
        eligible = role_holder_ids(fallback) - excluded
        if eligible:
            return StageApprovers(frozenset(eligible), to_admins=True)
    return StageApprovers(frozenset(), to_admins=True)


def _may_review(user: User, roles: frozenset[Role], a: Announcement) -> bool:
    round_ = open_round(a)
    if round_ is None:
        return False
    return user.id in stage_approvers(a, round_).user_ids


UPLOAD_RULES: dict[str, Callable[[User, frozenset[Role], Any], bool]] = {}


def _may_open_upload(user: User, roles: frozenset[Role], upload: Any) -> bool:
    """Each purpose (announcement, ticket …) has its rule; the uploader may always."""
    if upload.uploaded_by_id == user.id:
        return True
    rule = UPLOAD_RULES.get(upload.purpose)
    return rule is not None and rule(user, roles, upload)


def _may_open_announcement_upload(user: User, roles: frozenset[Role], upload: Any) -> bool:
    a = db.session.get(Announcement, upload.owner_id) if upload.owner_id else None
    return a is not None and _may_read_channel(user, roles, a)


def upload_is_public(upload: Any) -> bool:
    """Images of what a channel for everyone has published need no sign-in (feeds, mail)."""
    if upload.purpose != "announcement" or not upload.owner_id:
        return False
    a = db.session.get(Announcement, upload.owner_id)
    return a is not None and is_public(a)


UPLOAD_RULES["announcement"] = _may_open_announcement_upload

OBJECT_RULES.update(
    {
        "channels.read": _may_read_channel,
        "channels.view_work": _may_view_work,
        "channels.edit": _may_edit,
        "channels.submit": _may_submit,
        "channels.withdraw": _may_withdraw,
        "channels.review": _may_review,
        "channels.urgent": _may_publish_urgently,
        "channels.cancel": _may_cancel,
        "channels.acknowledge": _may_acknowledge,
        "channels.acks": _may_see_acks,
        "channels.sferum": _may_use_sferum_text,
        "uploads.view": _may_open_upload,
    }
)


# --- onboarding, admins, documents, movement, councils and clubs, imports -----------------------

ROLE_ACTIONS.update(
    {
        "onboarding.invitations": frozenset({A, TU, TE, S}),  # the invitations page
        "onboarding.invite": frozenset({A, TU, TE}),  # narrowed by the target group
        "onboarding.invite_parent": frozenset({A, TU, S}),  # narrowed by the student
        "onboarding.manage_invitation": frozenset({A, TU, TE, S}),  # narrowed: the creator
        "onboarding.requests": frozenset({A, TU}),  # tutors: parents of their students
        "onboarding.decide": frozenset({A, TU}),  # narrowed by the request
        "onboarding.issue_link": frozenset({A, TU}),  # narrowed by the person
        "onboarding.activation_sheet": frozenset({A, TU}),  # narrowed by the group
        "admins.view": frozenset({A, H}),
        "admins.appoint_main": frozenset({H}),
        "admins.manage": frozenset({A}),  # narrowed: the main admin only
        "documents.view": STAFF,
        "documents.manage": frozenset({A, H}),
        "movement.view": LEADERS,
        "movement.manage": frozenset({A}),
        "councils.view": STAFF,
        "councils.manage": LEADERS,
        "clubs.manage": LEADERS,
        "clubs.members": frozenset({A, H, D, TE}),  # narrowed: leaders or the club's leader
        "imports.run": frozenset({A}),
    }
)


def _students_of(group_ids: set[int]) -> Any:
    return select(Enrollment.student_id).where(
        Enrollment.group_id.in_(group_ids), _current(Enrollment, _today())
    )


def _may_invite_to(user: User, roles: frozenset[Role], group: Any) -> bool:
    """Admins invite to any group; tutors and teachers to the groups they work with."""
    if A in roles:
        return True
    mine = (tutored_group_ids(user) if TU in roles else set()) | (
        taught_group_ids(user) if TE in roles else set()
    )
    return isinstance(group, StudyGroup) and group.id in mine


def _may_invite_parent(user: User, roles: frozenset[Role], student: Any) -> bool:
    """A parent link for one student: by an admin, the student's tutor or the student."""
    if not isinstance(student, User) or S not in student.role_set:
        return False
    if A in roles or (S in roles and student.id == user.id):
        return True
    return TU in roles and _is_student_in(student.id, tutored_group_ids(user))


def _is_creator_or_admin(user: User, roles: frozenset[Role], invitation: Any) -> bool:
    return A in roles or invitation.created_by_id == user.id


def _may_decide(user: User, roles: frozenset[Role], request_: Any) -> bool:
    """Admins decide every join request; a tutor those of parents of their students."""
    if A in roles:
        return True
    return (
        TU in roles
        and request_.role is P
        and request_.student_id is not None
        and _is_student_in(request_.student_id, tutored_group_ids(user))
    )


def _may_issue_link(user: User, roles: frozenset[Role], person: Any) -> bool:
    """A personal sign-in link: admins for anyone; a tutor for the students of their groups
    and those students' parents."""
    if A in roles:
        return True
    if TU not in roles or not isinstance(person, User) or person.role_set & STAFF:
        return False
    groups = tutored_group_ids(user)
    if not groups:
        return False
    if _is_student_in(person.id, groups):
        return True
    query = select(
        exists().where(
            Guardian.parent_id == person.id, Guardian.student_id.in_(_students_of(groups))
        )
    )
    return bool(db.session.scalar(query))


def _may_print_sheet(user: User, roles: frozenset[Role], group: Any) -> bool:
    return A in roles or (TU in roles and group.id in tutored_group_ids(user))


def _is_main_admin(user: User, roles: frozenset[Role], obj: Any) -> bool:
    return A in roles and user.is_main_admin


def _may_manage_club_members(user: User, roles: frozenset[Role], club: Any) -> bool:
    return bool(roles & LEADERS) or club.leader_id == user.id


def _may_open_document(user: User, roles: frozenset[Role], upload: Any) -> bool:
    return bool(roles & STAFF)


UPLOAD_RULES["document"] = _may_open_document

OBJECT_RULES.update(
    {
        "onboarding.invite": _may_invite_to,
        "onboarding.invite_parent": _may_invite_parent,
        "onboarding.manage_invitation": _is_creator_or_admin,
        "onboarding.decide": _may_decide,
        "onboarding.issue_link": _may_issue_link,
        "onboarding.activation_sheet": _may_print_sheet,
        "admins.manage": _is_main_admin,
        "clubs.members": _may_manage_club_members,
    }
)


# --- events: the calendar, scheduling and subscriptions --------------------------------------

ROLE_ACTIONS.update(
    {
        "events.view": EVERYONE,  # narrowed by the object rule below
        "events.create": STAFF,  # teachers and tutors propose events for their own groups
        "events.manage": frozenset({A, H, D}),  # any event: edit, confirm, complete, cancel, delete
        "events.edit": STAFF,  # narrowed: managers, or the event's responsible person
        "events.override_conflict": frozenset({A}),
        "events.rooms": frozenset({A}),
        "events.subscribe": EVERYONE,  # narrowed by the feed's target (a group, a department …)
    }
)


@dataclass(frozen=True)
class EventReach:
    """What makes an event someone's: their groups (as student, parent, tutor, teacher),
    those groups' departments, and their roles."""

    user_id: int
    group_ids: frozenset[int]
    department_ids: frozenset[int]
    roles: frozenset[Role]


def children_group_ids(parent_id: int, today: date | None = None) -> set[int]:
    today = today or _today()
    rows = db.session.scalars(
        select(Enrollment.group_id).where(
            Guardian.parent_id == parent_id,
            Guardian.is_confirmed.is_(True),
            Enrollment.student_id == Guardian.student_id,
            _current(Enrollment, today),
        )
    )
    return set(rows)


def event_reach(user: User, today: date | None = None) -> EventReach:
    """The groups, departments and roles through which events concern this person."""
    roles = effective_roles(user)
    groups: set[int] = set()
    if S in roles:
        groups |= student_group_ids(user.id, today)
    if P in roles:
        groups |= children_group_ids(user.id, today)
    if TU in roles:
        groups |= tutored_group_ids(user, today)
    if TE in roles:
        groups |= taught_group_ids(user)
    departments: set[int] = set()
    if groups:
        departments = set(
            db.session.scalars(
                select(StudyGroup.department_id).where(StudyGroup.id.in_(groups)).distinct()
            )
        )
    return EventReach(user.id, frozenset(groups), frozenset(departments), roles)


def event_audience_clause(reach: EventReach, *, include_open: bool):
    """SQL: the events this reach concerns (responsible, taking part, audience, or open)."""
    terms = [
        Event.responsible_id == reach.user_id,
        exists().where(EventPerson.event_id == Event.id, EventPerson.user_id == reach.user_id),
    ]
    if reach.group_ids:
        terms.append(
            exists().where(
                EventGroup.event_id == Event.id, EventGroup.group_id.in_(reach.group_ids)
            )
        )
    if reach.department_ids:
        terms.append(
            exists().where(
                EventDepartment.event_id == Event.id,
                EventDepartment.department_id.in_(reach.department_ids),
            )
        )
    if reach.roles:
        terms.append(
            exists().where(
                EventAudienceRole.event_id == Event.id, EventAudienceRole.role.in_(reach.roles)
            )
        )
    if include_open:
        terms.append(Event.is_open.is_(True))
    return or_(*terms)


def _may_view_event(user: User, roles: frozenset[Role], event: Any) -> bool:
    """Staff see the college's whole calendar; students and parents the events that concern
    them or their children, and open ones."""
    if roles & STAFF or getattr(event, "is_open", False):
        return True
    clause = event_audience_clause(event_reach(user), include_open=True)
    return bool(db.session.scalar(select(exists().where(Event.id == event.id, clause))))


def _may_edit_event(user: User, roles: frozenset[Role], event: Any) -> bool:
    """Managers edit any event; the responsible person edits theirs."""
    return bool(roles & {A, H, D}) or event.responsible_id == user.id


def _may_subscribe(user: User, roles: frozenset[Role], target: Any) -> bool:
    """A feed of a group: staff, its students and their parents; of a department or a kind
    of event: staff. Personal and public feeds need no target."""
    if roles & STAFF:
        return True
    if isinstance(target, StudyGroup):
        mine = event_reach(user).group_ids
        return target.id in mine
    return False


OBJECT_RULES.update(
    {
        "events.view": _may_view_event,
        "events.edit": _may_edit_event,
        "events.subscribe": _may_subscribe,
    }
)


# --- chats registry (§2.2–2.4) ----------------------------------------------------------------

ROLE_ACTIONS.update(
    {
        "chats.view": frozenset({A, H, TU, TE}),  # admins and the head all, others their own
        "chats.register": frozenset({A, H, TU, TE}),
        "chats.edit": frozenset({A, H, TU, TE}),  # narrowed: the owner, or an admin
        "chats.view_all": frozenset({A, H}),
        "chats.send_links": frozenset({A, TU, TE}),  # narrowed: the group's tutor or teachers
    }
)


def _may_view_chat(user: User, roles: frozenset[Role], chat: Any) -> bool:
    """Admins and the head see every chat; others the chats they keep."""
    return bool(roles & {A, H}) or chat.owner_id == user.id


def _may_edit_chat(user: User, roles: frozenset[Role], chat: Any) -> bool:
    """The owner keeps their chat's record; an admin may correct any."""
    return A in roles or chat.owner_id == user.id


def _may_send_chat_links(user: User, roles: frozenset[Role], group: Any) -> bool:
    """A group's chat links go out from an admin, its tutor or a teacher of the group."""
    if A in roles:
        return True
    if not isinstance(group, StudyGroup) or group.is_archived:
        return False
    mine = (tutored_group_ids(user) if TU in roles else set()) | (
        taught_group_ids(user) if TE in roles else set()
    )
    return group.id in mine


OBJECT_RULES.update(
    {
        "chats.view": _may_view_chat,
        "chats.edit": _may_edit_chat,
        "chats.send_links": _may_send_chat_links,
    }
)


# --- personal data (152-ФЗ) ------------------------------------------------------------------

ROLE_ACTIONS.update(
    {
        "personal_data.own": EVERYONE,  # one's own consents, export and withdrawal
        "personal_data.export": frozenset({A}),  # anyone's export, from their page
        "personal_data.oversee": frozenset({A, H}),  # withdrawals, who is due for anonymisation
    }
)
ANY_ACCOUNT = ANY_ACCOUNT | {"personal_data.own"}
