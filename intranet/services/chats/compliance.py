"""Compliance with §2.2–2.4: the chats the structure says should exist, and which are missing.

Expected chats follow the assignments of today: a new tutor is expected to keep the group's
chats, so a chat the previous tutor registered no longer counts. Everything is computed from a
fixed handful of queries, whatever the size of the college.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from flask import current_app
from sqlalchemy import String, or_, select, type_coerce

from intranet import policy
from intranet.extensions import db
from intranet.models import (
    Chat,
    ChatKind,
    ChatStatus,
    Council,
    CouncilKind,
    Department,
    Discipline,
    ExtracurricularGroup,
    Role,
    StudyGroup,
    TeacherStatus,
    TeachingAssignment,
    TutorAssignment,
    User,
    UserRole,
)
from intranet.models.base import utcnow
from intranet.models.chats import HEAD_KINDS as HEAD_KINDS
from intranet.services.chats import TEACHER_KINDS as TEACHER_KINDS

Key = tuple[ChatKind, int | None, int | None, int | None, int | None]


class Expected(NamedTuple):
    """A chat the regulation asks for: its kind, who should keep it and what it is about.

    A plain tuple in the order of `Key` (thousands are made per board), so it matches the
    registry's keys as it is."""

    kind: ChatKind
    owner_id: int | None
    group_id: int | None = None
    discipline_id: int | None = None
    club_id: int | None = None

    @property
    def key(self) -> Key:
        return tuple(self)  # type: ignore[return-value]


@dataclass
class Coverage:
    """Expected and present chats for one group, person or department."""

    key: int | None
    name: str
    expected: int = 0
    present: int = 0
    missing: list[Expected] = field(default_factory=list)

    @property
    def percent(self) -> int:
        """Share covered, rounded down so 99.6 % is not shown as complete."""
        return 100 if not self.expected else self.present * 100 // self.expected

    def add(self, item: Expected, found: bool) -> None:
        self.expected += 1
        if found:
            self.present += 1
        else:
            self.missing.append(item)


@dataclass
class Board:
    """The whole picture, with the names needed to show it."""

    items: list[tuple[Expected, bool]]
    groups: dict[int, str]
    group_department: dict[int, int]
    departments: dict[int, str]
    people: dict[int, str]
    disciplines: dict[int, str]
    clubs: dict[int, str]
    # Aggregates computed once: a board kept for a minute serves many pages (read-only).
    _memo: dict = field(default_factory=dict, repr=False, compare=False)

    def _kept(self, key, compute):
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @property
    def total(self) -> Coverage:
        return self._kept("total", lambda: self._one(None, "", lambda e: True))

    def _one(self, key, name, keep) -> Coverage:
        cov = Coverage(key, name)
        for item, found in self.items:
            if keep(item):
                cov.add(item, found)
        return cov

    def _by(self, pick, names: dict[int, str]) -> list[Coverage]:
        rows: dict[int | None, Coverage] = {}
        for item, found in self.items:
            key = pick(item)
            if key is False:
                continue
            if key not in rows:
                rows[key] = Coverage(key, names.get(key, "") if key is not None else "")
            rows[key].add(item, found)
        return sorted(rows.values(), key=lambda c: (c.key is None, c.percent, c.name))

    def by_group(self) -> list[Coverage]:
        return self._kept(
            "groups",
            lambda: self._by(
                lambda e: e.group_id if e.group_id is not None else False, self.groups
            ),
        )

    def by_department(self) -> list[Coverage]:
        return self._kept(
            "departments",
            lambda: self._by(
                lambda e: (
                    self.group_department.get(e.group_id, False)
                    if e.group_id is not None
                    else False
                ),
                self.departments,
            ),
        )

    def by_owner(self, kinds: frozenset[ChatKind]) -> list[Coverage]:
        return self._kept(
            ("owners", frozenset(kinds)),
            lambda: self._by(lambda e: e.owner_id if e.kind in kinds else False, self.people),
        )

    def for_owner(self, owner_id: int) -> Coverage:
        return self._one(owner_id, self.people.get(owner_id, ""), lambda e: e.owner_id == owner_id)

    def describe(self, item: Expected) -> str:
        """What a missing chat is about: the group, discipline or club, in words."""
        parts = []
        if item.group_id is not None:
            parts.append(self.groups.get(item.group_id, ""))
        if item.discipline_id is not None:
            parts.append(self.disciplines.get(item.discipline_id, ""))
        if item.club_id is not None:
            parts.append(self.clubs.get(item.club_id, ""))
        return ", ".join(p for p in parts if p)


TUTOR_KINDS = (ChatKind.TUTOR_STUDENTS, ChatKind.TUTOR_PARENTS, ChatKind.TUTOR_TEACHERS)


def _current(model, today: date):
    return (model.starts_on <= today) & or_(model.ends_on.is_(None), model.ends_on >= today)


def expected_chats(today: date, *, owner_id: int | None = None) -> list[Expected]:
    """The mandated chats as of today (only one person's when owner_id is given)."""
    out: list[Expected] = []
    heads = select(UserRole.user_id).join(User, User.id == UserRole.user_id)
    heads = heads.where(UserRole.role == Role.HEAD, User.is_active.is_(True))
    if owner_id is not None:
        heads = heads.where(UserRole.user_id == owner_id)
    council_kinds = set(db.session.scalars(select(Council.kind).distinct()))
    for head_id in db.session.scalars(heads.order_by(UserRole.user_id)):
        out.append(Expected(ChatKind.HEAD_DEPUTIES, head_id))
        out.append(Expected(ChatKind.HEAD_TEACHERS, head_id))
        if CouncilKind.PARENTS in council_kinds:
            out.append(Expected(ChatKind.HEAD_PARENTS_COUNCIL, head_id))
        if CouncilKind.STUDENTS in council_kinds:
            out.append(Expected(ChatKind.HEAD_STUDENT_COUNCIL, head_id))
    # Each open group: its current tutor's three chats (owner None when it has no tutor).
    groups = select(StudyGroup.id).where(StudyGroup.is_archived.is_(False))
    tutors = select(TutorAssignment.group_id, TutorAssignment.tutor_id).where(
        _current(TutorAssignment, today), TutorAssignment.group_id.in_(groups)
    )
    tutor_of: dict[int, list[int]] = defaultdict(list)
    for group_id, tutor_id in db.session.execute(tutors):
        tutor_of[group_id].append(tutor_id)
    group_ids = [] if owner_id is not None else list(db.session.scalars(groups))
    for group_id in sorted(set(group_ids) | set(tutor_of)):
        for tutor_id in sorted(tutor_of.get(group_id, [])) or [None]:
            if owner_id is not None and tutor_id != owner_id:
                continue
            out.extend(Expected(kind, tutor_id, group_id) for kind in TUTOR_KINDS)
    teaching = select(
        TeachingAssignment.teacher_id, TeachingAssignment.group_id, TeachingAssignment.discipline_id
    ).where(TeachingAssignment.group_id.in_(groups))
    if owner_id is not None:
        teaching = teaching.where(TeachingAssignment.teacher_id == owner_id)
    for teacher_id, group_id, discipline_id in db.session.execute(teaching):
        out.append(Expected(ChatKind.TEACHER_GROUP_DISCIPLINE, teacher_id, group_id, discipline_id))
    clubs = select(ExtracurricularGroup.id, ExtracurricularGroup.leader_id).where(
        ExtracurricularGroup.is_active.is_(True), ExtracurricularGroup.leader_id.is_not(None)
    )
    if owner_id is not None:
        clubs = clubs.where(ExtracurricularGroup.leader_id == owner_id)
    for club_id, leader_id in db.session.execute(clubs):
        out.append(Expected(ChatKind.TEACHER_EXTRACURRICULAR, leader_id, club_id=club_id))
    return out


def present_keys(*, owner_id: int | None = None) -> set[Key]:
    """Keys of the active chats in the registry."""
    # The kind as its plain string (a StrEnum member equals and hashes as its value): no enum
    # conversion for each of the thousands of rows.
    query = select(
        type_coerce(Chat.kind, String()),
        Chat.owner_id,
        Chat.group_id,
        Chat.discipline_id,
        Chat.club_id,
    ).where(Chat.status == ChatStatus.ACTIVE, Chat.kind != ChatKind.OTHER)
    if owner_id is not None:
        query = query.where(Chat.owner_id == owner_id)
    return {tuple(row) for row in db.session.execute(query)}  # type: ignore[misc]


def board(today: date, *, owner_id: int | None = None) -> Board:
    """Expected chats matched with the registry, with the names to show them."""
    expected = expected_chats(today, owner_id=owner_id)
    present = present_keys(owner_id=owner_id)
    items = [(e, e in present) for e in expected]
    group_ids = {e.group_id for e in expected if e.group_id is not None}
    people_ids = {e.owner_id for e in expected if e.owner_id is not None}
    discipline_ids = {e.discipline_id for e in expected if e.discipline_id is not None}
    club_ids = {e.club_id for e in expected if e.club_id is not None}
    groups, group_department, departments = {}, {}, {}
    if group_ids:
        rows = db.session.execute(
            select(StudyGroup.id, StudyGroup.name, Department.id, Department.name)
            .join(Department, Department.id == StudyGroup.department_id)
            .where(StudyGroup.id.in_(group_ids))
        )
        for gid, gname, did, dname in rows:
            groups[gid], group_department[gid], departments[did] = gname, did, dname
    people = {}
    if people_ids:
        rows = db.session.execute(
            select(User.id, User.last_name, User.first_name, User.middle_name).where(
                User.id.in_(people_ids)
            )
        )
        for uid, last, first, middle in rows:
            initials = "".join(f"{p[0]}." for p in (first, middle) if p)
            people[uid] = f"{last} {initials}".strip()
    disciplines = {}
    if discipline_ids:
        rows = db.session.execute(
            select(Discipline.id, Discipline.code, Discipline.name).where(
                Discipline.id.in_(discipline_ids)
            )
        )
        disciplines = {did: f"{code} {name}" for did, code, name in rows}
    clubs = {}
    if club_ids:
        rows = db.session.execute(
            select(ExtracurricularGroup.id, ExtracurricularGroup.name).where(
                ExtracurricularGroup.id.in_(club_ids)
            )
        )
        clubs = {cid: name for cid, name in rows}
    return Board(items, groups, group_department, departments, people, disciplines, clubs)


def missing_for(user: User, today: date) -> Board | None:
    """One keeper's own board (for the home page), or None if nothing is expected of them."""
    roles = policy.effective_roles(user)
    if not roles & {Role.HEAD, Role.TUTOR, Role.TEACHER}:
        return None
    if user.is_teaching_staff and user.teacher_status is not TeacherStatus.CONFIRMED:
        return None
    result = board(today, owner_id=user.id)
    return result if result.items else None


# --- the whole college's board, kept a minute ----------------------------------------------
#
# The leaders' board computes every expected chat of the college (thousands at a large one),
# so each process keeps it CHATS_BOARD_SECONDS (default 60): the page says when it was counted
# and offers to count again. A chat registered or changed in this process forgets it at once;
# a keeper's own board (owner_id) is always computed afresh.

_cached: dict[tuple[str, date], tuple[float, datetime, Board]] = {}
_lock = threading.Lock()


def board_seconds() -> int:
    return int(current_app.config.get("CHATS_BOARD_SECONDS", 60))


def college_board(today: date, *, fresh: bool = False) -> tuple[Board, datetime]:
    """The whole college's board and when it was counted (at most a minute ago)."""
    ttl = board_seconds()
    key = (current_app.config["SQLALCHEMY_DATABASE_URI"], today)
    now = time.monotonic()
    hit = _cached.get(key)
    if ttl > 0 and not fresh and hit is not None and hit[0] > now:
        return hit[2], hit[1]
    result = board(today)
    counted = utcnow()
    if ttl > 0:
        with _lock:
            for stale in [k for k, v in _cached.items() if v[0] <= now]:
                del _cached[stale]
            _cached[key] = (now + ttl, counted, result)
    return result, counted


def forget_college_board() -> None:
    """Drop the kept boards (a chat was registered or changed)."""
    with _lock:
        _cached.clear()
