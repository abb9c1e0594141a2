"""Getting people into the chats (§2.5, §2.6): a tutor or teacher sends their group's chat
links to its students and parents by e-mail, or prints them as a sheet of QR codes, and sees
who has been sent which link.

The chats in play are the active chats of the group that the sender keeps (an admin: all of
them): the tutor's chat with the students and each teacher's discipline chat go to the
students enrolled today, the tutor's chat with the parents to their confirmed parents.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from intranet import policy
from intranet.extensions import db
from intranet.models import (
    Chat,
    ChatKind,
    ChatLinkSent,
    ChatStatus,
    Enrollment,
    Guardian,
    Role,
    StudyGroup,
    User,
)
from intranet.models.base import utcnow
from intranet.services import audit, mail
from intranet.services.errors import PermissionDenied

STUDENT_KINDS = (ChatKind.TUTOR_STUDENTS, ChatKind.TEACHER_GROUP_DISCIPLINE)
PARENT_KINDS = (ChatKind.TUTOR_PARENTS,)
MAIL_KIND = "chats.invitation"

mail.register_kind(
    MAIL_KIND,
    _l("Links to join your group's chats, sent by your tutor or teachers"),
    optional=False,
    roles=[Role.STUDENT, Role.PARENT],
)

# What the sender sees for each person and chat.
SENT, NO_EMAIL, NOT_SENT = "sent", "no_email", "not_sent"


@dataclass
class Addressee:
    """A student of the group, or a parent of one, with the chats meant for them."""

    person: User
    role: Role
    child: User | None = None  # the student, for a parent
    chats: list[Chat] = field(default_factory=list)
    sent: dict[int, datetime] = field(default_factory=dict)  # chat id → when last e-mailed

    @property
    def has_email(self) -> bool:
        return bool(self.person.email) and self.person.is_active

    def state(self, chat: Chat) -> str:
        if chat.id in self.sent:
            return SENT
        return NOT_SENT if self.has_email else NO_EMAIL

    def unsent(self) -> list[Chat]:
        return [c for c in self.chats if c.id not in self.sent]


@dataclass
class Roster:
    """The group's chats in play and everyone they are for."""

    group: StudyGroup
    chats: list[Chat]
    people: list[Addressee]

    @property
    def student_chats(self) -> list[Chat]:
        return [c for c in self.chats if c.kind in STUDENT_KINDS]

    @property
    def parent_chats(self) -> list[Chat]:
        return [c for c in self.chats if c.kind in PARENT_KINDS]

    def counts(self) -> dict[str, int]:
        """How many (person, chat) pairs are sent, lack an e-mail, or wait."""
        out = {SENT: 0, NO_EMAIL: 0, NOT_SENT: 0}
        for person in self.people:
            for chat in person.chats:
                out[person.state(chat)] += 1
        return out


def _current(model, today: date):
    return (model.starts_on <= today) & or_(model.ends_on.is_(None), model.ends_on >= today)


def chats_in_play(actor: User, group: StudyGroup) -> list[Chat]:
    """The group's active chats for students and parents that this sender keeps."""
    query = (
        select(Chat)
        .options(joinedload(Chat.discipline))
        .where(
            Chat.group_id == group.id,
            Chat.status == ChatStatus.ACTIVE,
            Chat.kind.in_(STUDENT_KINDS + PARENT_KINDS),
        )
        .order_by(Chat.kind, Chat.title_key, Chat.id)
    )
    if Role.ADMIN not in policy.effective_roles(actor):
        query = query.where(Chat.owner_id == actor.id)
    order = {kind: n for n, kind in enumerate(STUDENT_KINDS + PARENT_KINDS)}
    return sorted(db.session.scalars(query), key=lambda c: order[c.kind])  # stable


def roster(actor: User, group: StudyGroup, today: date) -> Roster:
    """Who the sender's chats of this group are for, and what each has been sent (4 queries)."""
    chats = chats_in_play(actor, group)
    students = list(
        db.session.scalars(
            select(User)
            .join(Enrollment, Enrollment.student_id == User.id)
            .where(Enrollment.group_id == group.id, _current(Enrollment, today))
            .order_by(User.last_name, User.first_name, User.id)
        ).unique()
    )
    by_id = {s.id: s for s in students}
    parents_of: dict[int, list[User]] = defaultdict(list)
    student_chats = [c for c in chats if c.kind in STUDENT_KINDS]
    parent_chats = [c for c in chats if c.kind in PARENT_KINDS]
    if students and parent_chats:  # parents are listed only when there is a chat for them
        rows = db.session.execute(
            select(User, Guardian.student_id)
            .join(Guardian, Guardian.parent_id == User.id)
            .where(Guardian.student_id.in_(by_id), Guardian.is_confirmed.is_(True))
            .order_by(User.last_name, User.first_name, User.id)
        )
        for parent, student_id in rows:
            parents_of[student_id].append(parent)
    people: list[Addressee] = []
    for student in students:
        people.append(Addressee(student, Role.STUDENT, chats=list(student_chats)))
        for parent in parents_of[student.id]:
            people.append(Addressee(parent, Role.PARENT, child=student, chats=list(parent_chats)))
    sent: dict[int, dict[int, datetime]] = defaultdict(dict)
    if chats and people:
        rows = db.session.execute(
            select(ChatLinkSent.user_id, ChatLinkSent.chat_id, ChatLinkSent.sent_at).where(
                ChatLinkSent.chat_id.in_([c.id for c in chats]),
                ChatLinkSent.user_id.in_({p.person.id for p in people}),
            )
        )
        for user_id, chat_id, sent_at in rows:
            sent[user_id][chat_id] = sent_at
    for person in people:
        person.sent = {k: v for k, v in sent[person.person.id].items()}
    return Roster(group, chats, people)


def send(actor: User, group: StudyGroup, today: date, *, resend: bool = False) -> tuple[int, int]:
    """E-mail each person the links of their chats not yet sent (or all of them again).

    A parent of two students of the group gets one letter. Returns (letters queued, people
    left out for want of an e-mail address)."""
    if not policy.can(actor, "chats.send_links", group):
        raise PermissionDenied(_("You may not send this group's chat links."))
    found = roster(actor, group, today)
    letters: dict[int, tuple[Addressee, dict[int, Chat]]] = {}
    without_email: set[int] = set()
    for person in found.people:
        chats = person.chats if resend else person.unsent()
        if not chats:
            continue
        if not person.has_email:
            without_email.add(person.person.id)
            continue
        entry = letters.setdefault(person.person.id, (person, {}))
        entry[1].update((c.id, c) for c in chats)
    now = utcnow()
    existing = {
        (row.chat_id, row.user_id): row
        for row in db.session.scalars(
            select(ChatLinkSent).where(
                ChatLinkSent.chat_id.in_([c.id for c in found.chats] or [0]),
                ChatLinkSent.user_id.in_(list(letters) or [0]),
            )
        )
    }
    queued = 0
    for user_id, (person, chats) in letters.items():
        message = mail.queue_mail(
            MAIL_KIND,
            person.person,
            _l("Chats of group %(group)s", group=group.name),
            "chats_links",
            {
                "person": person.person,
                "group": group,
                "chats": list(chats.values()),
                "sender": actor,
                "is_parent": person.role is Role.PARENT,
            },
        )
        if message is None:  # an unusable address: nothing went out
            without_email.add(user_id)
            continue
        queued += 1
        for chat_id in chats:
            row = existing.get((chat_id, user_id))
            if row is None:
                row = ChatLinkSent(chat_id=chat_id, user_id=user_id, times=0)
                db.session.add(row)
                existing[(chat_id, user_id)] = row
            row.sent_at, row.sent_by_id, row.times = now, actor.id, (row.times or 0) + 1
    db.session.flush()
    audit.record(
        "chats.links_sent",
        actor=actor,
        obj=group,
        summary=group.name,
        letters=queued,
        without_email=len(without_email),
    )
    return queued, len(without_email)


def sendable_groups(user: User, today: date) -> list[StudyGroup]:
    """Open groups whose chat links this person may send: tutored or taught (admins: none
    listed, they reach a group from its chats)."""
    roles = policy.effective_roles(user)
    ids: set[int] = set()
    if Role.TUTOR in roles:
        ids |= policy.tutored_group_ids(user, today)
    if Role.TEACHER in roles:
        ids |= policy.taught_group_ids(user)
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(StudyGroup)
            .where(StudyGroup.id.in_(ids), StudyGroup.is_archived.is_(False))
            .order_by(StudyGroup.name_key)
        )
    )
