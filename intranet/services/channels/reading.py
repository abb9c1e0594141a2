"""Reading: channel pages, the home feed, Atom entries, work lists, history, acknowledgements."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from intranet import policy
from intranet.extensions import db
from intranet.models import (
    Acknowledgement,
    Announcement,
    AnnouncementStatus,
    AuditEvent,
    Channel,
    ChannelStage,
    ReviewDecision,
    ReviewRound,
    Revision,
    RoundState,
    User,
)
from intranet.models.base import fold
from intranet.services.channels import audience, common

S = AnnouncementStatus
READABLE = (S.PUBLISHED, S.CANCELLED)
UNLISTED = tuple(s for s in S if s not in READABLE)
PAGE_SIZE = 20
FEED_SIZE = 8
WORK_TABS = ("mine", "review", "all")


def load(announcement_id: int) -> Announcement | None:
    """One announcement with what its pages show: channel, author, live and current text."""
    return db.session.scalar(
        select(Announcement)
        .where(Announcement.id == announcement_id)
        .options(
            joinedload(Announcement.channel),
            joinedload(Announcement.author),
            joinedload(Announcement.live_revision),
            joinedload(Announcement.current_revision),
        )
    )


def channel_with_stages(announcement: Announcement) -> Channel:
    """The announcement's channel with its review stages and named approvers."""
    return common.channel_of(announcement)


def revision(announcement: Announcement, number: int | None = None) -> Revision:
    """One revision (the current one by default), with its author."""
    return common.revision(announcement, number)


def _like(text: str) -> str:
    escaped = fold(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def channels_for(user: User) -> list[tuple[Channel, int]]:
    """The channels this person reads, each with its number of published items."""
    ids = policy.readable_channel_ids(user)
    if not ids:
        return []
    counts = dict(
        db.session.execute(
            select(Announcement.channel_id, func.count(Announcement.id))
            .where(Announcement.channel_id.in_(ids), Announcement.status == S.PUBLISHED)
            .group_by(Announcement.channel_id)
        ).all()
    )
    channels = db.session.scalars(
        select(Channel).where(Channel.id.in_(ids)).order_by(Channel.is_archived, Channel.name_key)
    ).all()
    return [(c, counts.get(c.id, 0)) for c in channels]


def all_channels() -> list[Channel]:
    """Every channel, archived last (the admins' list)."""
    return list(
        db.session.scalars(
            select(Channel)
            .options(
                selectinload(Channel.stages).selectinload(ChannelStage.approvers),
                selectinload(Channel.groups),
            )
            .order_by(Channel.is_archived, Channel.name_key)
        )
    )


def listed(ids: list[int], *options) -> list[Announcement]:
    """Announcements by id, in the order given, with what a list shows.

    Lists first pick the ids of one page with a lean query (ordered by an index, nothing
    joined), then load those rows: joining texts to every candidate row before the LIMIT
    would make the database sort thousands of wide rows for one page.
    """
    if not ids:
        return []
    options = options or (joinedload(Announcement.live_revision), joinedload(Announcement.channel))
    rows = {
        a.id: a
        for a in db.session.scalars(
            select(Announcement).where(Announcement.id.in_(ids)).options(*options)
        )
    }
    return [rows[i] for i in ids if i in rows]


def channel_items(channel: Channel, *, search: str = "") -> Select:
    """The ids on a channel's page: published and cancelled items, newest first, searched."""
    query = (
        select(Announcement.id)
        # NOT IN keeps the planner on the channel's feed index (ordered, covering).
        .where(Announcement.channel_id == channel.id, Announcement.status.not_in(UNLISTED))
        .order_by(Announcement.published_at.desc(), Announcement.id.desc())
    )
    text = (search or "").strip()[:100]
    if text:
        live = select(Revision.announcement_id).where(
            Revision.announcement_id == Announcement.id,
            Revision.number == Announcement.live_no,
            Revision.search_key.like(_like(text), escape="\\"),
        )
        query = query.where(live.exists())
    return query


def home_feed(user: User, limit: int = FEED_SIZE) -> list[Announcement]:
    """The newest items of every channel this person reads."""
    ids = policy.readable_channel_ids(user)
    if not ids:
        return []
    # Newest first along the feed index, filtering as it goes. The filters are written so
    # that no other index matches them (NOT IN on the status, an expression on the channel):
    # otherwise the planner takes a per-channel index and sorts every published row.
    query = (
        select(Announcement.id)
        .where(Announcement.status.not_in(UNLISTED), Announcement.published_at.is_not(None))
        .order_by(Announcement.published_at.desc(), Announcement.id.desc())
        .limit(limit)
    )
    if not policy.reads_every_channel(user):
        query = query.where((Announcement.channel_id + 0).in_(ids))
    newest = db.session.scalars(query).all()
    return listed(list(newest))


def to_acknowledge(user: User, limit: int = 10) -> list[Announcement]:
    """Mandatory items this staff member has not acknowledged yet."""
    if not policy.can(user, "channels.acknowledge"):
        return []
    ids = policy.readable_channel_ids(user)
    acked = select(Acknowledgement.announcement_id).where(Acknowledgement.user_id == user.id)
    return list(
        db.session.scalars(
            select(Announcement)
            .where(
                Announcement.status == S.PUBLISHED,
                Announcement.is_mandatory.is_(True),
                Announcement.channel_id.in_(ids),
                Announcement.id.not_in(acked),
            )
            .options(joinedload(Announcement.live_revision))
            .order_by(Announcement.published_at.desc())
            .limit(limit)
        )
    )


ATOM_SIZE = 30


def atom_state(channel: Channel, limit: int = ATOM_SIZE) -> list[tuple]:
    """What the Atom feed's fingerprint is made of, in one lean query."""
    ids = channel_items(channel).limit(limit).subquery()
    return [
        tuple(row)
        for row in db.session.execute(
            select(Announcement.id, Announcement.version, Announcement.live_no, Announcement.status)
            .where(Announcement.id.in_(select(ids.c.id)))
            .order_by(Announcement.id)
        )
    ]


def atom_entries(channel: Channel, limit: int = ATOM_SIZE) -> list[Announcement]:
    return listed(list(db.session.scalars(channel_items(channel).limit(limit))))


def awaiting_review_ids(user: User) -> list[int]:
    """Announcements whose current stage this person may decide."""
    open_rounds = db.session.scalars(
        select(ReviewRound)
        .where(ReviewRound.state == RoundState.OPEN)
        .options(joinedload(ReviewRound.announcement))
    ).all()
    policy.review_facts(list(open_rounds))
    return [
        r.announcement_id
        for r in open_rounds
        if user.id in policy.stage_approvers(r.announcement, r).user_ids
    ]


def work_query(user: User, tab: str, *, status: str = "", search: str = "") -> Select:
    """The ids of the work list: mine, awaiting my review, or (leaders) all; see work_rows."""
    query = select(Announcement.id)
    if tab == "review":
        query = query.where(Announcement.id.in_(awaiting_review_ids(user) or [0]))
    elif tab == "all":
        query = query.where(Announcement.status != S.DRAFT)
    else:
        query = query.where(Announcement.author_id == user.id)
    if status in {s.value for s in S}:
        query = query.where(Announcement.status == S(status))
    text = (search or "").strip()[:100]
    if text:
        current = select(Revision.announcement_id).where(
            Revision.announcement_id == Announcement.id,
            Revision.number == Announcement.current_no,
            Revision.search_key.like(_like(text), escape="\\"),
        )
        query = query.where(current.exists())
    return query.order_by(Announcement.updated_at.desc(), Announcement.id.desc())


def work_rows(ids: list[int]) -> list[Announcement]:
    """The work list's rows with their current text, channel and author."""
    return listed(
        ids,
        joinedload(Announcement.current_revision),
        joinedload(Announcement.channel),
        joinedload(Announcement.author),
    )


def revisions(announcement: Announcement) -> list[Revision]:
    return list(
        db.session.scalars(
            select(Revision)
            .where(Revision.announcement_id == announcement.id)
            .options(joinedload(Revision.author))
            .order_by(Revision.number)
        )
    )


def review_rounds(announcement: Announcement) -> list[ReviewRound]:
    """Every round, newest first, with its decisions and who made them."""
    return list(
        db.session.scalars(
            select(ReviewRound)
            .where(ReviewRound.announcement_id == announcement.id)
            .options(selectinload(ReviewRound.decisions).joinedload(ReviewDecision.actor))
            .order_by(ReviewRound.id.desc())
        )
    )


def history(announcement: Announcement) -> Select:
    """The audit trail of one announcement, oldest first."""
    return (
        select(AuditEvent)
        .where(AuditEvent.object_type == "Announcement", AuditEvent.object_id == announcement.id)
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.at, AuditEvent.id)
    )


def people(ids: set[int] | frozenset[int]) -> list[User]:
    if not ids:
        return []
    return list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.name_key)))


# --- acknowledgements ------------------------------------------------------------------------


def acknowledge(announcement: Announcement, *, actor: User) -> bool:
    """Record that this staff member has read the mandatory item; False if already done."""
    common.require(actor, "channels.acknowledge", announcement)
    exists_ = db.session.scalar(
        select(Acknowledgement.id).where(
            Acknowledgement.announcement_id == announcement.id,
            Acknowledgement.user_id == actor.id,
        )
    )
    if exists_:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(
                Acknowledgement(
                    announcement_id=announcement.id,
                    user_id=actor.id,
                    revision_no=announcement.live_no or announcement.current_no,
                )
            )
    except IntegrityError:
        return False
    return True


def has_acknowledged(announcement: Announcement, user: User) -> bool:
    return bool(
        db.session.scalar(
            select(Acknowledgement.id).where(
                Acknowledgement.announcement_id == announcement.id,
                Acknowledgement.user_id == user.id,
            )
        )
    )


def acknowledgement_report(announcement: Announcement, *, which: str = "") -> Select:
    """Staff of the audience (all, those who have acknowledged, or those who have not)."""
    channel = db.session.get(Channel, announcement.channel_id)
    members = audience.staff_member_ids(channel)
    acked = select(Acknowledgement.id).where(
        Acknowledgement.user_id == User.id, Acknowledgement.announcement_id == announcement.id
    )
    query = select(User).where(User.id.in_(members)).order_by(User.name_key)
    if which == "yes":
        query = query.where(acked.exists())
    elif which == "no":
        query = query.where(~acked.exists())
    return query


def acknowledged_at(announcement: Announcement, user_ids: list[int]) -> dict:
    """user id → when they acknowledged, for the people on one page."""
    if not user_ids:
        return {}
    return dict(
        db.session.execute(
            select(Acknowledgement.user_id, Acknowledgement.at).where(
                Acknowledgement.announcement_id == announcement.id,
                Acknowledgement.user_id.in_(user_ids),
            )
        ).all()
    )


def acknowledgement_counts(announcement: Announcement) -> tuple[int, int]:
    """(acknowledged, staff in the audience)."""
    channel = db.session.get(Channel, announcement.channel_id)
    members = audience.staff_member_ids(channel)
    total = db.session.scalar(select(func.count()).select_from(members.subquery())) or 0
    done = (
        db.session.scalar(
            select(func.count(Acknowledgement.id)).where(
                Acknowledgement.announcement_id == announcement.id,
                Acknowledgement.user_id.in_(members),
            )
        )
        or 0
    )
    return done, total


def home_panel(user: User) -> dict:
    """The home page's channel panel: the feed, what to acknowledge, what awaits review."""
    from intranet.services.channels import publication

    staff = policy.can(user, "channels.draft")
    return {
        "feed": home_feed(user),
        "to_acknowledge": to_acknowledge(user) if staff else [],
        "awaiting": len(awaiting_review_ids(user)) if staff else 0,
        "overdue": publication.overdue_count() if policy.can(user, "channels.manage") else 0,
        "can_draft": staff,
    }
