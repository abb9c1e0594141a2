"""What each role's home page shows: the things that need this person's attention."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from intranet import policy
from intranet.extensions import db
from intranet.models import (
    Enrollment,
    Guardian,
    JoinRequest,
    JoinStatus,
    Role,
    StudyGroup,
    TeacherStatus,
    TeachingAssignment,
    TutorAssignment,
    User,
    UserRole,
)
from intranet.models.people import TEACHING_ROLES


@dataclass
class Panel:
    """One block on the home page: a title, rows of (label, value, link) and an empty note."""

    key: str
    rows: list[tuple[str, str, str | None]] = field(default_factory=list)
    data: dict = field(default_factory=dict)


def panels_for(
    user: User, today: date | None = None, *, child_id: int | None = None
) -> list[Panel]:
    """The panels of this person's home page; `child_id` picks which of a parent's children
    the chats panel shows (NotFound when it is not theirs)."""
    today = today or date.today()
    roles = policy.effective_roles(user)
    if child_id is not None and Role.PARENT not in roles:
        from intranet.services.errors import NotFound

        raise NotFound("")
    panels: list[Panel] = []
    if user.is_teaching_staff and user.teacher_status is not TeacherStatus.CONFIRMED:
        panels.append(Panel("teacher_pending"))
    if Role.ADMIN in roles:
        panels.append(_admin_panel(today))
    if Role.HEAD in roles or Role.DEPUTY in roles:
        panels.append(_college_panel(today))
    if Role.TUTOR in roles:
        panels.append(_tutor_panel(user, today))
    if Role.TEACHER in roles:
        panels.append(_teacher_panel(user))
    if Role.STUDENT in roles:
        panels.append(_student_panel(user, today))
    if Role.PARENT in roles:
        panels.append(_parent_panel(user, today))
    if roles & {Role.STUDENT, Role.PARENT}:
        from intranet.services import chats as chat_registry

        joinable = chat_registry.joinable_for(user, today, child_id)
        panels.append(Panel("chats_join", data={"join": joinable}))
    if roles & {Role.HEAD, Role.TUTOR, Role.TEACHER}:
        from intranet.services.chats import compliance as chat_compliance

        board = chat_compliance.missing_for(user, today)
        mine = board.for_owner(user.id) if board is not None else None
        if mine is not None and mine.missing:
            panels.append(Panel("chats_missing", data={"board": board, "mine": mine}))
    if roles:
        from intranet.services.channels import reading as channel_reading

        panels.append(Panel("channels", data=channel_reading.home_panel(user)))
    return panels


def _current(model, today: date):
    return (model.starts_on <= today) & ((model.ends_on.is_(None)) | (model.ends_on >= today))


def _admin_panel(today: date) -> Panel:
    """What waits for the platform administrators, counted in one statement."""
    pending = (
        select(func.count(func.distinct(User.id)))
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            UserRole.role.in_(list(TEACHING_ROLES)),
            User.teacher_status != TeacherStatus.CONFIRMED,
            User.is_active.is_(True),
        )
    )
    tutored = select(TutorAssignment.group_id).where(_current(TutorAssignment, today))
    untutored = select(func.count(StudyGroup.id)).where(
        StudyGroup.is_archived.is_(False), StudyGroup.id.not_in(tutored)
    )
    requests = select(func.count(JoinRequest.id)).where(JoinRequest.status == JoinStatus.PENDING)
    row = db.session.execute(
        select(pending.scalar_subquery(), untutored.scalar_subquery(), requests.scalar_subquery())
    ).one()
    return Panel(
        "admin",
        data={
            "pending_teachers": row[0] or 0,
            "untutored_groups": row[1] or 0,
            "join_requests": row[2] or 0,
        },
    )


def _college_panel(today: date) -> Panel:
    counts = dict(
        db.session.execute(
            select(UserRole.role, func.count(UserRole.id))
            .join(User, User.id == UserRole.user_id)
            .where(User.is_active.is_(True))
            .group_by(UserRole.role)
        ).all()
    )
    groups = db.session.scalar(
        select(func.count(StudyGroup.id)).where(StudyGroup.is_archived.is_(False))
    )
    return Panel(
        "college",
        data={
            "students": counts.get(Role.STUDENT, 0),
            "parents": counts.get(Role.PARENT, 0),
            "staff": sum(counts.get(r, 0) for r in (Role.TEACHER, Role.TUTOR)),
            "groups": groups or 0,
        },
    )


def _group_sizes(group_ids: list[int], today: date) -> dict[int, int]:
    if not group_ids:
        return {}
    rows = db.session.execute(
        select(Enrollment.group_id, func.count(Enrollment.id))
        .where(Enrollment.group_id.in_(group_ids), _current(Enrollment, today))
        .group_by(Enrollment.group_id)
    )
    return dict(rows.all())


def _tutor_panel(user: User, today: date) -> Panel:
    groups = db.session.scalars(
        select(StudyGroup)
        .join(TutorAssignment, TutorAssignment.group_id == StudyGroup.id)
        .where(TutorAssignment.tutor_id == user.id, _current(TutorAssignment, today))
        .order_by(StudyGroup.name_key)
    ).all()
    sizes = _group_sizes([g.id for g in groups], today)
    return Panel("tutor", data={"groups": [(g, sizes.get(g.id, 0)) for g in groups]})


def _teacher_panel(user: User) -> Panel:
    from sqlalchemy.orm import joinedload

    assignments = db.session.scalars(
        select(TeachingAssignment)
        .options(joinedload(TeachingAssignment.group), joinedload(TeachingAssignment.discipline))
        .where(TeachingAssignment.teacher_id == user.id)
        .join(StudyGroup, StudyGroup.id == TeachingAssignment.group_id)
        .order_by(StudyGroup.name_key)
    ).all()
    return Panel("teacher", data={"assignments": assignments})


def _groups_with_tutors(
    student_ids: list[int], today: date
) -> list[tuple[User, StudyGroup, list[User]]]:
    """(student, current group, the group's tutors) for each of these students."""
    from sqlalchemy.orm import joinedload

    if not student_ids:
        return []
    enrollments = db.session.scalars(
        select(Enrollment)
        .options(joinedload(Enrollment.group), joinedload(Enrollment.student))
        .where(Enrollment.student_id.in_(student_ids), _current(Enrollment, today))
    ).all()
    group_ids = [e.group_id for e in enrollments]
    tutors: dict[int, list[User]] = {}
    if group_ids:
        for assignment in db.session.scalars(
            select(TutorAssignment)
            .options(joinedload(TutorAssignment.tutor))
            .where(TutorAssignment.group_id.in_(group_ids), _current(TutorAssignment, today))
        ):
            tutors.setdefault(assignment.group_id, []).append(assignment.tutor)
    return [(e.student, e.group, tutors.get(e.group_id, [])) for e in enrollments]


def _student_panel(user: User, today: date) -> Panel:
    return Panel("student", data={"rows": _groups_with_tutors([user.id], today)})


def _parent_panel(user: User, today: date) -> Panel:
    children = db.session.scalars(
        select(Guardian.student_id).where(
            Guardian.parent_id == user.id, Guardian.is_confirmed.is_(True)
        )
    ).all()
    return Panel("parent", data={"rows": _groups_with_tutors(list(children), today)})
