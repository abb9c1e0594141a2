"""The statistics page as one object, and each of its tables as CSV rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _

from intranet.i18n import format_day, local_zone
from intranet.labels import platform_label, role_label
from intranet.models import PlatformSnapshot
from intranet.models.base import utcnow
from intranet.services import stats
from intranet.services.events.labels import KIND_LABELS
from intranet.services.helpdesk import reports as helpdesk_reports
from intranet.services.helpdesk.categories import category_label, status_label
from intranet.services.stats import platform
from intranet.services.stats.period import Period


@dataclass
class Report:
    period: Period
    today: date
    people: stats.People
    onboarding: stats.Onboarding
    chats: stats.Chats
    announcements: stats.Announcements
    events: stats.Events
    tickets: helpdesk_reports.Report
    snapshots: list[PlatformSnapshot]
    latest_snapshot: PlatformSnapshot | None

    @property
    def intranet_accounts(self) -> int:
        """Accounts in use: students and parents with a password, and staff."""
        staff = sum(r.activated for r in self.people.staff)
        return self.people.students_activated + self.people.parents_activated + staff


def build(
    period: Period, today: date, now: datetime | None = None, *, fresh: bool = False
) -> Report:
    now = now or utcnow()
    zone = local_zone()
    lo, hi = period.bounds(zone)
    snapshots, latest = platform.in_period(period.start, period.end)
    return Report(
        period=period,
        today=today,
        people=stats.people(today, now),
        onboarding=stats.onboarding(lo, hi),
        chats=stats.chats(today, fresh=fresh),
        announcements=stats.announcements(period, lo, hi, zone),
        events=stats.events(lo, hi, now),
        tickets=helpdesk_reports.build(period.start, period.end),
        snapshots=snapshots,
        latest_snapshot=latest,
    )


# --- CSV: each table of the page, built from only the section it needs ----------------------

Table = tuple[list[str], list[list]]


def _people(period: Period, today: date) -> Table:
    p = stats.people(today)
    header = [
        _("Who"),
        _("Expected"),
        _("Registered"),
        _("With a password"),
        _("Signed in within 30 days"),
        _("Teacher status confirmed"),
    ]
    rows = [
        [
            _("Students"),
            p.students_enrolled,
            p.students_enrolled,
            p.students_activated,
            p.students_recent,
            None,
        ],
        [_("Parents"), p.students_enrolled, p.parents, p.parents_activated, p.parents_recent, None],
    ]
    rows += [
        [role_label(r.role), None, r.registered, r.activated, r.recent, r.confirmed]
        for r in p.staff
    ]
    return header, rows


def _onboarding(period: Period, today: date) -> Table:
    lo, hi = period.bounds(local_zone())
    o = stats.onboarding(lo, hi)
    header = [_("Figure"), _("Number")]
    rows = [
        [_("Join requests waiting: %(role)s", role=role_label(role)), n]
        for role, n in sorted(o.pending.items())
    ]
    rows += [
        [_("Join requests waiting, total"), o.pending_total],
        [_("Join requests approved in the period"), o.approved],
        [_("Join requests rejected in the period"), o.rejected],
        [_("Teachers awaiting confirmation of their status"), o.teachers_pending],
    ]
    return header, rows


def _chats(period: Period, today: date) -> Table:
    c = stats.chats(today, fresh=True)
    header = [_("Department or keeper"), _("Chats expected"), _("Registered"), _("Share, percent")]
    rows = [[r.label, r.expected, r.present, r.percent] for r in c.by_keeper + c.by_department]
    rows.append([_("Total"), c.total.expected, c.total.present, c.total.percent])
    return header, rows


def _announcements(period: Period, today: date) -> Table:
    zone = local_zone()
    lo, hi = period.bounds(zone)
    a = stats.announcements(period, lo, hi, zone)
    header = [_("Channel"), *[stats.month_label(m) for m in a.months], _("Total")]
    rows = [[name, *per, total] for name, per, total in a.channels]
    rows.append([_("Total"), *a.per_month, a.total])
    return header, rows


def _events(period: Period, today: date) -> Table:
    lo, hi = period.bounds(local_zone())
    e = stats.events(lo, hi)
    header = [
        _("Kind of event"),
        *[str(stats.EVENT_STATE_LABELS[s]) for s in stats.EVENT_STATES],
        _("With a broadcast link"),
        _("Total"),
    ]
    rows = [
        [
            str(KIND_LABELS[r.kind]),
            *[r.counts.get(s, 0) for s in stats.EVENT_STATES],
            r.streamed,
            r.total,
        ]
        for r in e.rows
    ]
    return header, rows


def _tickets(period: Period, today: date) -> Table:
    t = helpdesk_reports.build(period.start, period.end)
    statuses = helpdesk_reports.STATUSES
    header = [_("Ticket category"), *[status_label(s) for s in statuses], _("Total")]
    rows = [
        [category_label(category), *[counts.get(s, 0) for s in statuses], total]
        for category, counts, total in t.rows
    ]
    rows.append([_("Total"), *[t.totals.get(s, 0) for s in statuses], t.total])
    return header, rows


def _platform(period: Period, today: date) -> Table:
    snapshots, _latest = platform.in_period(period.start, period.end)
    header = [
        _("Date"),
        _("Platform"),
        _("Members"),
        _("Active users (30 days)"),
        _("Messages (30 days)"),
        _("Calls and video lessons (30 days)"),
        _("Broadcasts (30 days)"),
        _("Chats"),
        _("Note"),
    ]
    rows = [
        [
            format_day(s.taken_on),
            platform_label(s.platform),
            s.members,
            s.active_users,
            s.messages,
            s.calls,
            s.broadcasts,
            s.chats,
            s.note,
        ]
        for s in snapshots
    ]
    return header, rows


TABLES: dict[str, Callable[[Period, date], Table]] = {
    "people": _people,
    "onboarding": _onboarding,
    "chats": _chats,
    "announcements": _announcements,
    "events": _events,
    "tickets": _tickets,
    "platform": _platform,
}
