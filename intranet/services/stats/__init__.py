"""Statistics for the head and the admins (§2.1, §2.2): people registered against those
expected, onboarding waiting, chats kept, announcements, events, help-desk requests.

Every section is a fixed handful of aggregate queries (GROUP BY, conditional sums), so the
page costs the same number of statements whatever the size of the college.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, distinct, exists, func, or_, select

from intranet.extensions import db
from intranet.models import (
    Announcement,
    Channel,
    Enrollment,
    Event,
    EventKind,
    EventStatus,
    Guardian,
    JoinRequest,
    JoinStatus,
    Role,
    StudyGroup,
    TeacherStatus,
    User,
    UserRole,
)
from intranet.models.base import utcnow
from intranet.models.chats import HEAD_KINDS, TUTOR_KINDS
from intranet.services.stats.period import Period, month_bucket

RECENT_DAYS = 30
STAFF_ORDER = (Role.HEAD, Role.DEPUTY, Role.ADMIN, Role.TUTOR, Role.TEACHER)
PUBLISHED_STATES = ("published", "expired", "cancelled")  # went live at published_at

MONTH_ABBR = (
    _l("Jan"),
    _l("Feb"),
    _l("Mar"),
    _l("Apr"),
    _l("May"),
    _l("Jun"),
    _l("Jul"),
    _l("Aug"),
    _l("Sep"),
    _l("Oct"),
    _l("Nov"),
    _l("Dec"),
)


def month_label(first: date) -> str:
    return f"{MONTH_ABBR[first.month - 1]} {first.year}"


def month_name(first: date) -> str:
    return str(MONTH_ABBR[first.month - 1])


def percent(part: int, whole: int) -> int | None:
    """Share rounded down (99.6 % is not complete); None when there is nothing to share."""
    return part * 100 // whole if whole else None


# --- people --------------------------------------------------------------------------------


@dataclass
class StaffRow:
    role: Role
    registered: int = 0  # active accounts with the role
    activated: int = 0  # that have set a password (imported people have none until then)
    recent: int = 0  # signed in over the last RECENT_DAYS days
    confirmed: int | None = None  # teacher status confirmed (teaching roles only)


@dataclass
class People:
    students_enrolled: int = 0
    students_activated: int = 0
    students_recent: int = 0
    students_with_parent: int = 0
    parents: int = 0  # distinct parents linked to an enrolled student
    parents_activated: int = 0
    parents_recent: int = 0
    parent_links: int = 0
    staff: list[StaffRow] = field(default_factory=list)

    @property
    def parents_per_student(self) -> float | None:
        if not self.students_enrolled:
            return None
        return round(self.parent_links / self.students_enrolled, 2)


def _flag(condition) -> object:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def enrolled_students(today: date):
    """Ids of the students enrolled today in a group that is not archived."""
    return (
        select(Enrollment.student_id)
        .join(StudyGroup, StudyGroup.id == Enrollment.group_id)
        .where(
            StudyGroup.is_archived.is_(False),
            Enrollment.starts_on <= today,
            or_(Enrollment.ends_on.is_(None), Enrollment.ends_on >= today),
        )
    )


def people(today: date, now: datetime | None = None) -> People:
    """Who is registered against who is expected, as of today (three queries)."""
    now = now or utcnow()
    recent_since = now - timedelta(days=RECENT_DAYS)
    enrolled = enrolled_students(today)
    activated = User.password_hash.is_not(None)
    recent = User.last_login_at >= recent_since
    has_parent = exists().where(Guardian.student_id == User.id, Guardian.is_confirmed.is_(True))
    out = People()
    row = db.session.execute(
        select(func.count(User.id), _flag(activated), _flag(recent), _flag(has_parent)).where(
            User.id.in_(enrolled), User.is_active.is_(True)
        )
    ).one()
    out.students_enrolled, out.students_activated, out.students_recent = row[0], row[1], row[2]
    out.students_with_parent = row[3]
    links = (
        select(func.count(Guardian.id))
        .where(Guardian.is_confirmed.is_(True), Guardian.student_id.in_(enrolled))
        .scalar_subquery()
    )
    parent_ids = select(Guardian.parent_id).where(
        Guardian.is_confirmed.is_(True), Guardian.student_id.in_(enrolled)
    )
    row = db.session.execute(
        select(func.count(User.id), _flag(activated), _flag(recent), links).where(
            User.id.in_(parent_ids), User.is_active.is_(True)
        )
    ).one()
    out.parents, out.parents_activated, out.parents_recent, out.parent_links = row
    found = {}
    for role, registered, active, seen, confirmed in db.session.execute(
        select(
            UserRole.role,
            func.count(distinct(User.id)),
            _flag(activated),
            _flag(recent),
            _flag(User.teacher_status == TeacherStatus.CONFIRMED),
        )
        .join(User, User.id == UserRole.user_id)
        .where(User.is_active.is_(True), UserRole.role.in_(STAFF_ORDER))
        .group_by(UserRole.role)
    ):
        found[role] = StaffRow(role, registered, active, seen, confirmed)
    for role in STAFF_ORDER:
        row_ = found.get(role, StaffRow(role))
        if role not in (Role.TUTOR, Role.TEACHER):
            row_.confirmed = None
        out.staff.append(row_)
    return out


# --- onboarding ----------------------------------------------------------------------------


@dataclass
class Onboarding:
    pending: dict[Role, int] = field(default_factory=dict)  # join requests waiting, by role
    approved: int = 0  # decided in the period
    rejected: int = 0
    teachers_pending: int = 0  # teacher status awaiting an admin (§2.1)

    @property
    def pending_total(self) -> int:
        return sum(self.pending.values())


def onboarding(lo: datetime, hi: datetime) -> Onboarding:
    """Join requests waiting now and decided in the period; teachers awaiting confirmation."""
    out = Onboarding()
    decided = and_(JoinRequest.decided_at >= lo, JoinRequest.decided_at < hi)
    for role, status, count in db.session.execute(
        select(JoinRequest.role, JoinRequest.status, func.count(JoinRequest.id))
        .where(or_(JoinRequest.status == JoinStatus.PENDING, decided))
        .group_by(JoinRequest.role, JoinRequest.status)
    ):
        if status is JoinStatus.PENDING:
            out.pending[role] = count
        elif status is JoinStatus.APPROVED:
            out.approved += count
        else:
            out.rejected += count
    out.teachers_pending = db.session.scalar(
        select(func.count(User.id)).where(
            User.teacher_status == TeacherStatus.PENDING, User.is_active.is_(True)
        )
    )
    return out


# --- chats ---------------------------------------------------------------------------------


@dataclass
class CoverageRow:
    label: str
    expected: int
    present: int

    @property
    def percent(self) -> int | None:
        return percent(self.present, self.expected)


@dataclass
class Chats:
    total: CoverageRow
    by_keeper: list[CoverageRow]
    by_department: list[CoverageRow]


KEEPER_LABELS = (
    (_l("The head's chats"), HEAD_KINDS),
    (_l("Tutors' chats"), TUTOR_KINDS),
    (_l("Teachers' chats"), None),  # everything else the regulation asks for
)


def chats(today: date, *, fresh: bool = False) -> Chats:
    """The compliance board's summary: the whole college's board as the board page keeps it
    (its own fixed handful of queries, at most a minute old unless `fresh`)."""
    from intranet.services.chats import compliance

    board, _counted = compliance.college_board(today, fresh=fresh)
    total = board.total
    keepers = []
    for label, kinds in KEEPER_LABELS:
        expected = present = 0
        for item, found in board.items:
            mine = (
                item.kind in kinds
                if kinds is not None
                else not (item.kind in HEAD_KINDS or item.kind in TUTOR_KINDS)
            )
            if mine:
                expected += 1
                present += found
        keepers.append(CoverageRow(str(label), expected, present))
    departments = [
        CoverageRow(c.name, c.expected, c.present)
        for c in sorted(board.by_department(), key=lambda c: c.name)
    ]
    return Chats(CoverageRow("", total.expected, total.present), keepers, departments)


# --- announcements -------------------------------------------------------------------------


@dataclass
class Announcements:
    months: list[date]
    channels: list[tuple[str, list[int], int]]  # name, count per month, total
    per_month: list[int]
    total: int = 0


def announcements(period: Period, lo: datetime, hi: datetime, zone) -> Announcements:
    """Announcements that went live in the period, by channel and local month (one query)."""
    months = period.months
    bucket = month_bucket(Announcement.published_at, period, zone).label("month")
    counts: dict[tuple[int, str], list[int]] = {}
    for channel_id, name, index, count in db.session.execute(
        select(Channel.id, Channel.name, bucket, func.count(Announcement.id))
        .join(Channel, Channel.id == Announcement.channel_id)
        .where(
            Announcement.published_at >= lo,
            Announcement.published_at < hi,
            Announcement.status.in_(PUBLISHED_STATES),
        )
        .group_by(Channel.id, Channel.name, bucket)
    ):
        counts.setdefault((channel_id, name), [0] * len(months))[index] += count
    rows = sorted(
        ((name, per, sum(per)) for (_id, name), per in counts.items()),
        key=lambda r: (-r[2], r[0]),
    )
    per_month = [sum(per[i] for _n, per, _t in rows) for i in range(len(months))]
    return Announcements(months, rows, per_month, sum(per_month))


# --- events --------------------------------------------------------------------------------

HELD, PLANNED, CANCELLED = "held", "planned", "cancelled"
EVENT_STATES = (HELD, PLANNED, CANCELLED)
EVENT_STATE_LABELS = {HELD: _l("Held"), PLANNED: _l("Planned"), CANCELLED: _l("Cancelled")}


@dataclass
class EventRow:
    kind: EventKind
    counts: dict[str, int] = field(default_factory=dict)
    streamed: int = 0  # not cancelled, with a stream link

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Events:
    rows: list[EventRow]

    def total(self, state: str) -> int:
        return sum(r.counts.get(state, 0) for r in self.rows)

    @property
    def streamed(self) -> int:
        return sum(r.streamed for r in self.rows)


def events(lo: datetime, hi: datetime, now: datetime | None = None) -> Events:
    """Events starting in the period by kind: held, still planned, cancelled (one query)."""
    now = now or utcnow()
    state = case(
        (Event.status == EventStatus.CANCELLED, CANCELLED),
        (or_(Event.status == EventStatus.COMPLETED, Event.last_ends_at <= now), HELD),
        else_=PLANNED,
    ).label("state")
    streamed = _flag(and_(Event.stream_url != "", Event.status != EventStatus.CANCELLED))
    rows = {kind: EventRow(kind) for kind in EventKind}
    for kind, name, count, with_stream in db.session.execute(
        select(Event.kind, state, func.count(Event.id), streamed)
        .where(Event.first_starts_at >= lo, Event.first_starts_at < hi)
        .group_by(Event.kind, state)
    ):
        rows[kind].counts[name] = count
        rows[kind].streamed += with_stream
    return Events(list(rows.values()))
