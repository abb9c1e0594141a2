"""Channels and their review stages: created and changed by the platform administrators."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from intranet.extensions import db
from intranet.models import Audience, Channel, ChannelStage, Role, StudyGroup, User, UserRole
from intranet.models.base import fold
from intranet.models.people import STAFF_ROLES
from intranet.services import audit
from intranet.services.channels.common import require
from intranet.services.errors import ValidationFailed

MAX_STAGES = 5


@dataclass
class StageSpec:
    """One review stage as a form gives it: an approver role, named people, or both."""

    role: Role | None = None
    people_ids: list[int] = field(default_factory=list)


@dataclass
class ChannelData:
    name: str
    description: str
    audience: Audience
    stages: list[StageSpec]
    group_ids: list[int] = field(default_factory=list)
    group_students: bool = True
    group_parents: bool = False
    sferum_url: str = ""
    is_archived: bool = False


def create_channel(data: ChannelData, *, actor: User) -> Channel:
    """A new channel with its audience and review stages."""
    require(actor, "channels.manage", None)
    channel = Channel(name="", name_key="", audience=data.audience)
    _apply(channel, data)
    db.session.add(channel)
    db.session.flush()
    audit.record(
        "channel.created", actor=actor, obj=channel, summary=channel.name, **_describe(channel)
    )
    return channel


def update_channel(channel: Channel, data: ChannelData, *, actor: User) -> None:
    """Change a channel; review rounds already open keep the stages they started with."""
    require(actor, "channels.manage", channel)
    db.session.scalars(
        select(Channel)
        .where(Channel.id == channel.id)
        .options(
            selectinload(Channel.stages).selectinload(ChannelStage.approvers),
            selectinload(Channel.groups),
        )
        .execution_options(populate_existing=True)
    ).one()
    _apply(channel, data)
    db.session.flush()
    audit.record(
        "channel.updated", actor=actor, obj=channel, summary=channel.name, **_describe(channel)
    )


def _apply(channel: Channel, data: ChannelData) -> None:
    name = " ".join((data.name or "").split())
    if not name:
        raise ValidationFailed(_("Enter the channel's name."), "name")
    taken = db.session.scalar(
        select(func.count(Channel.id)).where(
            Channel.name_key == fold(name), Channel.id != channel.id
        )
    )
    if taken:
        raise ValidationFailed(_("A channel with this name already exists."), "name")
    url = (data.sferum_url or "").strip()
    if url and not url.lower().startswith(("https://", "http://")):
        raise ValidationFailed(_("The link must start with https://."), "sferum_url")
    groups: list[StudyGroup] = []
    if data.audience is Audience.GROUPS:
        if not data.group_ids:
            raise ValidationFailed(_("Choose at least one group."), "group_ids")
        if not (data.group_students or data.group_parents):
            raise ValidationFailed(
                _("Choose who in these groups reads the channel: students, parents or both."),
                "group_students",
            )
        groups = list(
            db.session.scalars(select(StudyGroup).where(StudyGroup.id.in_(data.group_ids)))
        )
        if len(groups) != len(set(data.group_ids)):
            raise ValidationFailed(_("One of the chosen groups no longer exists."), "group_ids")
    stages = _stages(data.stages)
    channel.name = name
    channel.name_key = fold(name)
    channel.description = (data.description or "").strip()
    channel.audience = data.audience
    channel.group_students = bool(data.group_students)
    channel.group_parents = bool(data.group_parents)
    channel.groups = groups
    channel.sferum_url = url
    channel.is_archived = bool(data.is_archived)
    if [(_key(s)) for s in channel.stages] != [_key(s) for s in stages]:
        channel.stages.clear()
        db.session.flush()  # the old positions go before the new ones take them
        channel.stages.extend(stages)


def _key(stage: ChannelStage) -> tuple:
    return (stage.position, stage.approver_role, sorted(u.id for u in stage.approvers))


def _stages(specs: list[StageSpec]) -> list[ChannelStage]:
    specs = [s for s in specs if s.role or s.people_ids]
    if not specs:
        raise ValidationFailed(
            _("Add at least one review stage: an approver role or named people."), "stages"
        )
    if len(specs) > MAX_STAGES:
        raise ValidationFailed(_("At most %(n)d review stages.", n=MAX_STAGES), "stages")
    wanted = {uid for s in specs for uid in s.people_ids}
    people = (
        {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(wanted)))}
        if wanted
        else {}
    )
    result = []
    for position, spec in enumerate(specs, start=1):
        role = Role(spec.role) if spec.role else None
        if role is not None and role not in STAFF_ROLES:
            raise ValidationFailed(_("Approvers must be college staff."), "stages")
        chosen = [people[uid] for uid in dict.fromkeys(spec.people_ids) if uid in people]
        if len(chosen) != len(set(spec.people_ids)) or any(
            not (u.role_set & STAFF_ROLES) or not u.is_active for u in chosen
        ):
            raise ValidationFailed(_("Approvers must be active college staff."), "stages")
        result.append(ChannelStage(position=position, approver_role=role, approvers=chosen))
    return result


def _describe(channel: Channel) -> dict:
    return {
        "audience": channel.audience.value,
        "groups": [g.name for g in channel.groups],
        "stages": [
            {
                "role": s.approver_role.value if s.approver_role else None,
                "people": [u.id for u in s.approvers],
            }
            for s in channel.stages
        ],
    }


def staff_choices() -> list[User]:
    """Active staff who may be named as approvers, sorted by surname."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.is_active.is_(True),
                User.roles.any(UserRole.role.in_(list(STAFF_ROLES))),
            )
            .order_by(User.name_key)
        )
    )
