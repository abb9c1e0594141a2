"""The pages `make bench` measures. A capability adds its pages by appending to PAGES.

`path` is a string or a function called inside the app context of the benchmark's own app
(against the same database), for pages that need an object's id, e.g.
    Page("ticket", lambda: f"/helpdesk/{db.session.scalar(select(Ticket.id).limit(1))}", "admin")
`role` is the demo account the page is loaded as (None: anonymous).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Page:
    name: str
    path: str | Callable[[], str]
    role: str | None = None
    status: int = 200  # the answer the page must give, checked before it is loaded
    target: float = 0.25  # the ratio to the floor it should reach


PAGES: list[Page] = [
    Page("login", "/login"),
    Page("home_admin", "/", "admin"),
    Page("home_head", "/", "head"),
    Page("home_deputy", "/", "deputy"),
    Page("home_tutor", "/", "tutor"),
    Page("home_teacher", "/", "teacher"),
    Page("home_student", "/", "student"),
    Page("home_parent", "/", "parent"),
    Page("people", "/people/", "admin"),
]


# --- channels --------------------------------------------------------------------------------


def _official_channel() -> str:
    from intranet.extensions import db
    from intranet.models import Channel

    channel_id = db.session.scalar(
        db.select(Channel.id).where(Channel.name == "Официальный канал колледжа")
    )
    return f"/channels/{channel_id}"


def _newest_announcement() -> str:
    from intranet.extensions import db
    from intranet.models import Announcement, AnnouncementStatus

    newest = db.session.scalar(
        db.select(Announcement.id)
        .where(Announcement.status == AnnouncementStatus.PUBLISHED)
        .order_by(Announcement.published_at.desc())
        .limit(1)
    )
    return f"/announcements/{newest}"


def _in_review() -> str:
    from intranet.extensions import db
    from intranet.models import Announcement, AnnouncementStatus

    item = db.session.scalar(
        db.select(Announcement.id)
        .where(Announcement.status == AnnouncementStatus.IN_REVIEW)
        .limit(1)
    )
    return f"/announcements/{item}/work"


PAGES += [
    Page("channels", "/channels/", "student"),
    Page("channel_page", _official_channel, "student"),
    Page("channel_page_2", lambda: _official_channel() + "?page=2", "parent"),
    # LIKE over every published text's folded key: a scan, so a lower target.
    Page(
        "channel_search",
        lambda: _official_channel() + "?q=" + quote("собрание"),
        "student",
        target=0.1,
    ),
    Page("channel_atom", lambda: _official_channel() + "/feed.atom"),
    Page("announcement", _newest_announcement, "student"),
    Page("announcements_review", "/announcements/?tab=review", "deputy"),
    Page("announcement_work", _in_review, "deputy"),
]


# --- help desk -------------------------------------------------------------------------------


def _escalated_ticket() -> str:
    """The demo's ticket with the longest conversation: forwarded to the vendor."""
    from intranet.extensions import db
    from intranet.models import Ticket

    ticket_id = db.session.scalar(
        db.select(Ticket.id).where(Ticket.subject == "Видеоурок обрывается через минуту").limit(1)
    )
    return f"/helpdesk/tickets/{ticket_id}"


PAGES += [
    Page("helpdesk_queue", "/helpdesk/queue", "admin"),
    Page("helpdesk_ticket", _escalated_ticket, "admin"),
    Page("helpdesk_mine", "/helpdesk/mine", "student"),
    Page("helpdesk_public_form", "/helpdesk/public/login"),
    Page("helpdesk_help", "/helpdesk/help"),
]


# --- events ----------------------------------------------------------------------------------


def _demo_exam() -> str:
    """The demo group's state final attestation: sessions, people, broadcast."""
    from intranet.extensions import db
    from intranet.models import Event, EventKind

    event_id = db.session.scalar(
        db.select(Event.id)
        .where(Event.kind == EventKind.DEMO_EXAM, Event.title.like("%(ГИА)%"))
        .limit(1)
    )
    return f"/events/{event_id}"


PAGES += [
    Page("events_month", "/events/", "admin"),
    Page("events_month_student", "/events/", "student"),
    Page("events_week", "/events/week", "teacher"),
    Page("events_agenda", "/events/agenda", "admin"),
    Page("event_page", _demo_exam, "admin"),
    Page("event_subscriptions", "/events/feeds", "teacher"),
]


# --- chats registry (§2.2–2.4) ----------------------------------------------------------------


def _demo_group_links() -> str:
    from intranet.extensions import db
    from intranet.models import StudyGroup, TutorAssignment, User

    group_id = db.session.scalar(
        db.select(StudyGroup.id)
        .join(TutorAssignment, TutorAssignment.group_id == StudyGroup.id)
        .join(User, User.id == TutorAssignment.tutor_id)
        .where(User.email == "tutor@demo.college", TutorAssignment.ends_on.is_(None))
        .limit(1)
    )
    return f"/chats/groups/{group_id}/links"


PAGES += [
    # The whole college's board, kept a minute per process; and counted afresh (every expected
    # chat of the college computed against the registry), what the first load of a minute costs.
    Page("chats_compliance", "/chats/compliance", "admin"),
    Page("chats_compliance_fresh", "/chats/compliance?fresh=1", "admin"),
    Page("chats_compliance_head", "/chats/compliance?view=teachers", "head"),
    Page("chats_compliance_mine", "/chats/compliance", "tutor"),
    Page("chats_registry", "/chats/", "admin"),
    Page("chats_links", _demo_group_links, "tutor"),
    Page("chats_sheet", lambda: _demo_group_links().replace("/links", "/sheet"), "tutor"),
]


# --- statistics ------------------------------------------------------------------------------

PAGES += [
    Page("stats", "/stats/", "head"),
    Page("stats_month", "/stats/?preset=this_month", "admin"),
    # The figures counted afresh (the cache bypassed): what the first load of a minute costs.
    Page("stats_fresh", "/stats/?fresh=1", "head", target=0.02),
    Page("stats_csv_tickets", "/stats/tickets.csv", "head"),
    Page("stats_platform", "/stats/platform", "admin"),
]


# --- personal data (152-ФЗ) ------------------------------------------------------------------

PAGES += [
    Page("personal_data_mine", "/profile/personal-data", "student"),
    Page("personal_data_overview", "/admin/personal-data", "admin"),
]
