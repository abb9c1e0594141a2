"""Who is in a channel's audience: for e-mail on publication and for acknowledgements."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, and_, or_, select

from intranet.models import (
    Audience,
    Channel,
    Enrollment,
    Guardian,
    Role,
    TeacherStatus,
    User,
    UserRole,
)
from intranet.models.channels import channel_group as channel_group_table

OFFICE = (Role.ADMIN, Role.HEAD, Role.DEPUTY)
TEACHING = (Role.TUTOR, Role.TEACHER)


def _has_role(*roles: Role):
    return User.roles.any(UserRole.role.in_(list(roles)))


def _staff_condition():
    """Staff acting in their role: teaching staff only once their status is confirmed."""
    return or_(
        _has_role(*OFFICE),
        and_(_has_role(*TEACHING), User.teacher_status == TeacherStatus.CONFIRMED),
    )


def _current(model, today: date):
    return (model.starts_on <= today) & (model.ends_on.is_(None) | (model.ends_on >= today))


def member_ids(channel: Channel, today: date | None = None) -> Select:
    """A query of the ids of the active people the channel is meant for."""
    today = today or date.today()
    query = select(User.id).where(User.is_active.is_(True))
    audience = channel.audience
    if audience is Audience.EVERYONE:
        return query.where(or_(_staff_condition(), _has_role(Role.STUDENT, Role.PARENT)))
    if audience is Audience.STAFF:
        return query.where(_staff_condition())
    if audience is Audience.STUDENTS:
        return query.where(_has_role(Role.STUDENT))
    if audience is Audience.PARENTS:
        return query.where(_has_role(Role.PARENT))
    groups = select(channel_group_table.c.group_id).where(
        channel_group_table.c.channel_id == channel.id
    )
    students = select(Enrollment.student_id).where(
        Enrollment.group_id.in_(groups), _current(Enrollment, today)
    )
    parts = []
    if channel.group_students:
        parts.append(and_(User.id.in_(students), _has_role(Role.STUDENT)))
    if channel.group_parents:
        parents = select(Guardian.parent_id).where(
            Guardian.student_id.in_(students), Guardian.is_confirmed.is_(True)
        )
        parts.append(and_(User.id.in_(parents), _has_role(Role.PARENT)))
    return query.where(or_(*parts)) if parts else query.where(False)


def staff_member_ids(channel: Channel) -> Select:
    """The staff in the audience: those a mandatory announcement asks to acknowledge."""
    if channel.audience not in (Audience.STAFF, Audience.EVERYONE):
        return select(User.id).where(False)
    return select(User.id).where(User.is_active.is_(True), _staff_condition())
