"""The chats registry (§2.2–2.4): owners register the chats they keep, admins see them all.

Compliance (which mandated chats exist and which are missing) is in `compliance`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from flask import g, has_app_context
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import joinedload

from intranet import policy
from intranet.extensions import db
from intranet.models import (
    Chat,
    ChatKind,
    ChatStatus,
    Discipline,
    ExtracurricularGroup,
    ExtracurricularMember,
    Guardian,
    Organisation,
    Platform,
    Role,
    StudyGroup,
    TeachingAssignment,
    User,
)
from intranet.models.base import fold
from intranet.models.chats import GROUP_KINDS, HEAD_KINDS, TUTOR_KINDS
from intranet.services import audit
from intranet.services.errors import NotFound, PermissionDenied, ValidationFailed
from intranet.services.qr import qr_data_uri

KIND_LABELS = {
    ChatKind.HEAD_DEPUTIES: _l("Head with the deputies"),
    ChatKind.HEAD_TEACHERS: _l("Head with the teaching staff"),
    ChatKind.HEAD_PARENTS_COUNCIL: _l("Head with the parents' council"),
    ChatKind.HEAD_STUDENT_COUNCIL: _l("Head with the student council"),
    ChatKind.TUTOR_STUDENTS: _l("Tutor with the group's students"),
    ChatKind.TUTOR_PARENTS: _l("Tutor with the group's parents"),
    ChatKind.TUTOR_TEACHERS: _l("Tutor with the group's teachers"),
    ChatKind.TEACHER_GROUP_DISCIPLINE: _l("Teacher with a group for a discipline"),
    ChatKind.TEACHER_EXTRACURRICULAR: _l("Teacher with a club or section"),
    ChatKind.OTHER: _l("Other chat"),
}
STATUS_LABELS = {ChatStatus.ACTIVE: _l("Active"), ChatStatus.ARCHIVED: _l("Archived")}
TEACHER_KINDS = frozenset({ChatKind.TEACHER_GROUP_DISCIPLINE, ChatKind.TEACHER_EXTRACURRICULAR})
MAX_MEMBERS = 100_000


def chat_kind_label(kind: ChatKind | str) -> str:
    """The Russian name of a chat kind (translated once per request: boards show hundreds)."""
    if not has_app_context():
        return str(KIND_LABELS[ChatKind(kind)])
    by_locale = g.setdefault("_chat_kind_labels", {})
    locale = str(get_locale())
    labels = by_locale.get(locale)
    if labels is None:
        labels = by_locale[locale] = {k.value: str(v) for k, v in KIND_LABELS.items()}
    return labels[kind.value if isinstance(kind, ChatKind) else ChatKind(kind).value]


def chat_status_label(status: ChatStatus | str) -> str:
    """The Russian name of a chat status."""
    return str(STATUS_LABELS[ChatStatus(status)])


def default_platform() -> Platform:
    """The organisation's messenger, or VK Messenger before the organisation is set up."""
    platform = db.session.scalar(select(Organisation.platform).limit(1))
    return platform or Platform.VK


def kinds_for(user: User) -> list[ChatKind]:
    """The kinds of chat this person may register, in the regulation's order."""
    roles = policy.effective_roles(user)
    if Role.ADMIN in roles:
        return list(ChatKind)
    kinds: list[ChatKind] = []
    for kind in ChatKind:
        if (
            (kind in HEAD_KINDS and Role.HEAD in roles)
            or (kind in TUTOR_KINDS and Role.TUTOR in roles)
            or (kind in TEACHER_KINDS and Role.TEACHER in roles)
            or (kind is ChatKind.OTHER and roles & {Role.HEAD, Role.TUTOR, Role.TEACHER})
        ):
            kinds.append(kind)
    return kinds


def group_choices(user: User) -> list[StudyGroup]:
    """Groups a chat may be about: admins any open group, others those they tutor or teach."""
    query = select(StudyGroup).where(StudyGroup.is_archived.is_(False))
    if Role.ADMIN not in policy.effective_roles(user):
        ids = policy.tutored_group_ids(user) | policy.taught_group_ids(user)
        query = query.where(StudyGroup.id.in_(ids))
    return list(db.session.scalars(query.order_by(StudyGroup.name_key)))


def discipline_choices(user: User) -> list[Discipline]:
    """Disciplines: admins any, teachers those they teach."""
    query = select(Discipline)
    if Role.ADMIN not in policy.effective_roles(user):
        taught = select(TeachingAssignment.discipline_id).where(
            TeachingAssignment.teacher_id == user.id
        )
        query = query.where(Discipline.id.in_(taught))
    return list(db.session.scalars(query.order_by(Discipline.code)))


def club_choices(user: User) -> list[ExtracurricularGroup]:
    """Clubs: admins any active one, teachers those they lead."""
    query = select(ExtracurricularGroup).where(ExtracurricularGroup.is_active.is_(True))
    if Role.ADMIN not in policy.effective_roles(user):
        query = query.where(ExtracurricularGroup.leader_id == user.id)
    return list(db.session.scalars(query.order_by(ExtracurricularGroup.name_key)))


def clean_invite_url(url: str) -> str:
    """An invitation link must be a full https address."""
    url = (url or "").strip()
    if not url:
        raise ValidationFailed(_("Enter the chat's invitation link."), "invite_url")
    if len(url) > 500:
        raise ValidationFailed(_("The link is too long (500 characters at most)."), "invite_url")
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme != "https"
        or not parts.hostname
        or any(ch.isspace() or ord(ch) < 0x20 for ch in url)
    ):
        raise ValidationFailed(
            _("Enter a link that starts with https://, as the messenger gives it."), "invite_url"
        )
    return url


@dataclass
class ChatValues:
    """What a form gives for a chat."""

    kind: ChatKind | str
    title: str
    invite_url: str
    group_id: int | None = None
    discipline_id: int | None = None
    club_id: int | None = None
    platform: Platform | str | None = None
    created_on: date | None = None
    member_count: int | None = None
    status: ChatStatus | str = ChatStatus.ACTIVE
    notes: str = ""


def _enum(cls, value, field: str):
    try:
        return cls(value)
    except ValueError:
        raise ValidationFailed(_("Choose a value from the list."), field) from None


def _check(owner: User, values: ChatValues, *, by_admin: bool, chat: Chat | None) -> dict:
    """Validate the values against the regulation and the owner's assignments."""
    kind = _enum(ChatKind, values.kind, "kind")
    roles = policy.effective_roles(owner)
    if not by_admin and kind not in kinds_for(owner):
        raise ValidationFailed(_("You cannot keep a chat of this kind."), "kind")
    title = (values.title or "").strip()
    if not title:
        raise ValidationFailed(_("Enter the chat's title."), "title")
    if len(title) > 200:
        raise ValidationFailed(_("The title is too long (200 characters at most)."), "title")
    if values.member_count is not None and not 0 <= values.member_count <= MAX_MEMBERS:
        raise ValidationFailed(_("Enter a number from 0 to 100000."), "member_count")
    if values.created_on is not None and values.created_on > date.today():
        raise ValidationFailed(_("The creation date cannot be in the future."), "created_on")
    group = discipline = club = None
    if kind in GROUP_KINDS or (kind is ChatKind.OTHER and values.group_id):
        if not values.group_id:
            raise ValidationFailed(_("Choose the group."), "group_id")
        group = db.session.get(StudyGroup, values.group_id)
        if group is None:
            raise ValidationFailed(_("Choose a group from the list."), "group_id")
    if kind is ChatKind.TEACHER_GROUP_DISCIPLINE:
        if not values.discipline_id:
            raise ValidationFailed(_("Choose the discipline."), "discipline_id")
        discipline = db.session.get(Discipline, values.discipline_id)
        if discipline is None:
            raise ValidationFailed(_("Choose a discipline from the list."), "discipline_id")
    if kind is ChatKind.TEACHER_EXTRACURRICULAR:
        if not values.club_id:
            raise ValidationFailed(_("Choose the club or section."), "club_id")
        club = db.session.get(ExtracurricularGroup, values.club_id)
        if club is None:
            raise ValidationFailed(_("Choose a club from the list."), "club_id")
    if not by_admin and Role.ADMIN not in roles:
        if kind in TUTOR_KINDS and group.id not in policy.tutored_group_ids(owner):
            raise ValidationFailed(_("You are not this group's tutor."), "group_id")
        if kind is ChatKind.TEACHER_GROUP_DISCIPLINE and not _teaches(owner, group, discipline):
            raise ValidationFailed(
                _("You do not teach this discipline in this group."), "discipline_id"
            )
        if kind is ChatKind.TEACHER_EXTRACURRICULAR and club.leader_id != owner.id:
            raise ValidationFailed(_("You do not lead this club."), "club_id")
        if kind is ChatKind.OTHER and group is not None:
            mine = policy.tutored_group_ids(owner) | policy.taught_group_ids(owner)
            if group.id not in mine:
                raise ValidationFailed(_("You do not work with this group."), "group_id")
    status = _enum(ChatStatus, values.status or ChatStatus.ACTIVE, "status")
    row = {
        "kind": kind,
        "group_id": group.id if group else None,
        "discipline_id": discipline.id if discipline else None,
        "club_id": club.id if club else None,
        "platform": _enum(Platform, values.platform or default_platform(), "platform"),
        "title": title,
        "title_key": fold(title),
        "invite_url": clean_invite_url(values.invite_url),
        "created_on": values.created_on,
        "member_count": values.member_count,
        "status": status,
        "notes": (values.notes or "").strip()[:5000],
    }
    if kind is not ChatKind.OTHER and status is ChatStatus.ACTIVE:
        _refuse_duplicate(owner, row, chat)
    return row


def _teaches(owner: User, group: StudyGroup, discipline: Discipline) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    TeachingAssignment.teacher_id == owner.id,
                    TeachingAssignment.group_id == group.id,
                    TeachingAssignment.discipline_id == discipline.id,
                )
            )
        )
    )


def _refuse_duplicate(owner: User, row: dict, chat: Chat | None) -> None:
    """One active chat of a mandated kind per owner and subject keeps compliance honest."""
    query = select(Chat.id).where(
        Chat.owner_id == owner.id,
        Chat.kind == row["kind"],
        Chat.status == ChatStatus.ACTIVE,
        Chat.group_id.is_(None) if row["group_id"] is None else Chat.group_id == row["group_id"],
        Chat.discipline_id.is_(None)
        if row["discipline_id"] is None
        else Chat.discipline_id == row["discipline_id"],
        Chat.club_id.is_(None) if row["club_id"] is None else Chat.club_id == row["club_id"],
    )
    if chat is not None:
        query = query.where(Chat.id != chat.id)
    if db.session.scalar(query.limit(1)) is not None:
        raise ValidationFailed(
            _("You have already registered an active chat of this kind for it."), "kind"
        )


def _forget_board() -> None:
    from intranet.services.chats import compliance

    compliance.forget_college_board()


def register(actor: User, values: ChatValues) -> Chat:
    """Register a chat the actor keeps."""
    if not policy.can(actor, "chats.register"):
        raise PermissionDenied(_("You may not register chats."))
    row = _check(actor, values, by_admin=False, chat=None)
    chat = Chat(owner_id=actor.id, **row)
    db.session.add(chat)
    db.session.flush()
    _forget_board()
    audit.record("chats.register", actor=actor, obj=chat, summary=chat.title, kind=chat.kind.value)
    return chat


def update(actor: User, chat: Chat, values: ChatValues) -> Chat:
    """Change a chat's record (its owner, or an admin correcting it)."""
    if not policy.can(actor, "chats.edit", chat):
        raise PermissionDenied(_("You may not change this chat."))
    by_admin = actor.id != chat.owner_id
    owner = db.session.get(User, chat.owner_id)
    row = _check(owner, values, by_admin=by_admin, chat=chat)
    changed = {k: v for k, v in row.items() if getattr(chat, k) != v}
    for key, value in changed.items():
        setattr(chat, key, value)
    db.session.flush()
    _forget_board()
    audit.record(
        "chats.update",
        actor=actor,
        obj=chat,
        summary=chat.title,
        fields=sorted(k for k in changed if k != "title_key"),
    )
    return chat


def list_query(
    viewer: User,
    *,
    find: str = "",
    kind: str = "",
    status: str = "",
    everyone: bool = False,
) -> Select:
    """The registry as the viewer may see it: every chat for leaders who ask, else their own."""
    query = select(Chat).options(
        joinedload(Chat.owner), joinedload(Chat.group), joinedload(Chat.discipline),
        joinedload(Chat.club),
    )  # fmt: skip
    if not (everyone and policy.can(viewer, "chats.view_all")):
        query = query.where(Chat.owner_id == viewer.id)
    if kind in {k.value for k in ChatKind}:
        query = query.where(Chat.kind == ChatKind(kind))
    if status in {s.value for s in ChatStatus}:
        query = query.where(Chat.status == ChatStatus(status))
    key = fold(find)[:100]
    if key:
        like = f"%{key.replace('%', '').replace('_', '')}%"
        query = query.where(Chat.title_key.like(like))
    return query.order_by(Chat.status, Chat.title_key, Chat.id)


def load(chat_id: int) -> Chat | None:
    """A chat with what its page shows."""
    return db.session.scalar(
        select(Chat)
        .options(
            joinedload(Chat.owner),
            joinedload(Chat.group),
            joinedload(Chat.discipline),
            joinedload(Chat.club),
        )  # fmt: skip
        .where(Chat.id == chat_id)
    )


def values_of(chat: Chat) -> dict[str, Any]:
    """A chat's fields as a form's initial data."""
    return {
        "kind": chat.kind.value,
        "group_id": chat.group_id,
        "discipline_id": chat.discipline_id,
        "club_id": chat.club_id,
        "platform": chat.platform.value,
        "title": chat.title,
        "invite_url": chat.invite_url,
        "created_on": chat.created_on,
        "member_count": chat.member_count,
        "status": chat.status.value,
        "notes": chat.notes,
    }


JoinItem = tuple[Chat, str]  # a chat and the QR code of its link


@dataclass
class Joinable:
    """The chats a student or parent should be in (§2.5, §2.6), each with its QR code.

    `own`: a student's own chats. `children`: a parent's children (id, name); the chats of
    the one chosen (`child_id`) are in `child_items`."""

    own: list[JoinItem]
    children: list[tuple[int, str]]
    child_id: int | None
    child_items: list[JoinItem]

    @property
    def child_name(self) -> str:
        return dict(self.children).get(self.child_id, "") if self.child_id else ""


def _items(chats: list[Chat]) -> list[JoinItem]:
    return [(c, qr_data_uri(c.invite_url)) for c in chats]


def _joinable_query(*conditions) -> list[Chat]:
    query = (
        select(Chat)
        .options(joinedload(Chat.group), joinedload(Chat.discipline), joinedload(Chat.club))
        .where(Chat.status == ChatStatus.ACTIVE, or_(*conditions))
        .order_by(Chat.kind, Chat.title_key, Chat.id)
    )
    return list(db.session.scalars(query))


def _group_chats(group_ids: set[int], kinds: tuple[ChatKind, ...]) -> list[Chat]:
    if not group_ids:
        return []
    return _joinable_query(Chat.group_id.in_(group_ids) & Chat.kind.in_(kinds))


def _student_chats(student_id: int, today: date) -> list[Chat]:
    """The student's group chats with the tutor and per discipline, and their clubs' chats."""
    groups = policy.student_group_ids(student_id, today)
    clubs = (
        select(ExtracurricularMember.group_id)
        .join(ExtracurricularGroup, ExtracurricularGroup.id == ExtracurricularMember.group_id)
        .where(
            ExtracurricularMember.user_id == student_id,
            ExtracurricularGroup.is_active.is_(True),
        )
    )
    conditions = [
        (Chat.kind == ChatKind.TEACHER_EXTRACURRICULAR) & Chat.club_id.in_(clubs),
    ]
    if groups:
        conditions.append(
            Chat.group_id.in_(groups)
            & Chat.kind.in_((ChatKind.TUTOR_STUDENTS, ChatKind.TEACHER_GROUP_DISCIPLINE))
        )
    return _joinable_query(*conditions)


def children_of(parent: User) -> list[tuple[int, str]]:
    """A parent's confirmed children as (id, «Имя Фамилия»), by name."""
    rows = db.session.execute(
        select(User.id, User.first_name, User.last_name)
        .join(Guardian, Guardian.student_id == User.id)
        .where(Guardian.parent_id == parent.id, Guardian.is_confirmed.is_(True))
        .order_by(User.last_name, User.first_name, User.id)
    ).all()
    return [(cid, f"{first} {last}".strip()) for cid, first, last in rows]


def joinable_for(user: User, today: date, child_id: int | None = None) -> Joinable:
    """What the home page offers a student or parent to join.

    A parent sees one child at a time: `child_id` (the first child when None). A child_id
    that is not one of this person's children raises NotFound."""
    roles = policy.effective_roles(user)
    own = _items(_student_chats(user.id, today)) if Role.STUDENT in roles else []
    children = children_of(user) if Role.PARENT in roles else []
    if child_id is not None and child_id not in dict(children):
        raise NotFound(_("This is not your child."))
    chosen = child_id if child_id is not None else (children[0][0] if children else None)
    items: list[JoinItem] = []
    if chosen is not None:
        groups = policy.student_group_ids(chosen, today)
        items = _items(_group_chats(groups, (ChatKind.TUTOR_PARENTS,)))
    return Joinable(own, children, chosen, items)
