"""Help-desk reports: tickets by category and status, response and resolution times, SLA
breaches, escalations and the vendor's answer times over a period."""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import case, func, select

from intranet.extensions import db
from intranet.models.helpdesk import Category, Ticket, TicketStatus, VendorCase
from intranet.services.helpdesk import sla
from intranet.services.helpdesk.categories import (
    CATEGORIES,
    category_label,
    priority_label,
    status_label,
)

STATUSES = list(TicketStatus)


@dataclass
class Report:
    start: date
    end: date
    rows: list[tuple[Category, dict[TicketStatus, int], int]] = field(default_factory=list)
    totals: dict[TicketStatus, int] = field(default_factory=dict)
    total: int = 0
    median_first_response: float | None = None  # working hours
    median_resolution: float | None = None  # working hours
    first_response_breaches: int = 0
    resolution_breaches: int = 0
    escalations: int = 0
    vendor_answered: int = 0
    vendor_median_answer: float | None = None  # working hours
    vendor_unanswered: int = 0


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """UTC bounds of the local days start…end (both included)."""
    zone = sla.current_calendar().zone
    return (
        datetime.combine(start, time(0), tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone),
    )


def _hours(seconds: list[int]) -> float | None:
    return round(statistics.median(seconds) / 3600, 1) if seconds else None


def build(start: date, end: date) -> Report:
    """The report for tickets filed from `start` to `end` (local dates, inclusive)."""
    lo, hi = _bounds(start, end)
    in_period = (Ticket.created_at >= lo) & (Ticket.created_at < hi)
    report = Report(start=start, end=end)
    counts: dict[Category, dict[TicketStatus, int]] = {}
    for category, status, count, fr_breach, res_breach in db.session.execute(
        select(
            Ticket.category,
            Ticket.status,
            func.count(Ticket.id),
            func.sum(case((Ticket.first_response_breached, 1), else_=0)),
            func.sum(case((Ticket.resolution_breached, 1), else_=0)),
        )
        .where(in_period)
        .group_by(Ticket.category, Ticket.status)
    ):
        counts.setdefault(category, {})[status] = count
        report.totals[status] = report.totals.get(status, 0) + count
        report.total += count
        report.first_response_breaches += int(fr_breach or 0)
        report.resolution_breaches += int(res_breach or 0)
    for category in CATEGORIES:
        row = counts.get(category, {})
        report.rows.append((category, row, sum(row.values())))
    report.median_first_response = _hours(
        list(
            db.session.scalars(
                select(Ticket.first_response_seconds).where(
                    in_period, Ticket.first_response_seconds.is_not(None)
                )
            )
        )
    )
    report.median_resolution = _hours(
        list(
            db.session.scalars(
                select(Ticket.resolution_seconds).where(
                    in_period, Ticket.resolution_seconds.is_not(None)
                )
            )
        )
    )
    cases = db.session.execute(
        select(VendorCase.sent_at, VendorCase.first_vendor_reply_at).where(
            VendorCase.created_at >= lo, VendorCase.created_at < hi
        )
    ).all()
    report.escalations = len(cases)
    cal = sla.current_calendar()
    waits = [cal.between(sent, reply) for sent, reply in cases if sent and reply]
    report.vendor_answered = len(waits)
    report.vendor_unanswered = sum(1 for _sent, reply in cases if reply is None)
    report.vendor_median_answer = _hours(waits)
    return report


CSV_HEADER = [
    "номер",
    "создана",
    "категория",
    "приоритет",
    "статус",
    "источник",
    "первый ответ, рабочих ч",
    "решение, рабочих ч",
    "просрочен первый ответ",
    "просрочено решение",
    "передана разработчику",
    "инцидент",
]


def csv_rows(start: date, end: date) -> Iterator[list]:
    """One row per ticket of the period, without personal data."""
    lo, hi = _bounds(start, end)
    escalated = select(VendorCase.id).where(VendorCase.ticket_id == Ticket.id).exists()
    query = (
        select(
            Ticket.number,
            Ticket.created_at,
            Ticket.category,
            Ticket.priority,
            Ticket.status,
            Ticket.source,
            Ticket.first_response_seconds,
            Ticket.resolution_seconds,
            Ticket.first_response_breached,
            Ticket.resolution_breached,
            escalated.label("escalated"),
            Ticket.incident_id,
        )
        .where(Ticket.created_at >= lo, Ticket.created_at < hi)
        .order_by(Ticket.created_at, Ticket.id)
        .limit(100_000)
    )
    zone = sla.current_calendar().zone
    for row in db.session.execute(query).yield_per(1000):
        yield [
            row.number,
            row.created_at.astimezone(zone).strftime("%d.%m.%Y %H:%M"),
            category_label(row.category),
            priority_label(row.priority),
            status_label(row.status),
            row.source.value,
            round(row.first_response_seconds / 3600, 2)
            if row.first_response_seconds is not None
            else None,
            round(row.resolution_seconds / 3600, 2) if row.resolution_seconds is not None else None,
            bool(row.first_response_breached),
            bool(row.resolution_breached),
            bool(row.escalated),
            row.incident_id,
        ]
