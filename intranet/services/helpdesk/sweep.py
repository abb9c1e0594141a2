"""The worker's help-desk sweep: SLA warnings, escalation proposals, vendor reminders."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from intranet.extensions import db
from intranet.jobs import register_job
from intranet.models import User
from intranet.models.base import utcnow
from intranet.models.helpdesk import SlaAlert, Ticket, TicketStatus, VendorCase
from intranet.services import audit
from intranet.services.helpdesk import escalation, notify, sla, tickets
from intranet.services.helpdesk.categories import VENDOR_CATEGORIES

S = TicketStatus
_BATCH = 500  # tickets per sweep and kind: a backlog is worked off over a few runs


def sweep(now: datetime | None = None) -> dict[str, int]:
    """One pass; idempotent, so a run repeated after a crash warns nobody twice."""
    now = now or utcnow()
    cal = sla.current_calendar()
    soon = cal.add(now, int(current_app.config["HELPDESK_DUE_SOON_MINUTES"]) * 60)
    overdue = _mark(now, SlaAlert.OVERDUE, Ticket.due_at <= now)
    due_soon = _mark(now, SlaAlert.DUE_SOON, (Ticket.due_at > now) & (Ticket.due_at <= soon))
    proposed = _propose_escalations(now)
    delivered = escalation.mark_delivered(now)
    reminded = escalation.send_reminders(now)
    closed = _close_resolved(now)
    _tell(due_soon, overdue, proposed)
    db.session.flush()
    return {
        "overdue": len(overdue),
        "due_soon": len(due_soon),
        "proposed": len(proposed),
        "delivered": delivered,
        "reminded": reminded,
        "closed": closed,
    }


def _mark(now: datetime, level: SlaAlert, condition) -> list[Ticket]:
    """Tickets reaching this warning level now (each is told once per due time)."""
    below = [SlaAlert.NONE] if level is SlaAlert.DUE_SOON else [SlaAlert.NONE, SlaAlert.DUE_SOON]
    found = list(
        db.session.scalars(
            select(Ticket)
            .where(Ticket.due_at.is_not(None), condition, Ticket.sla_alert.in_(below))
            .order_by(Ticket.due_at)
            .limit(_BATCH)
        )
    )
    for ticket in found:
        ticket.sla_alert = level
        if level is SlaAlert.OVERDUE:
            if ticket.first_response_at is None:
                ticket.first_response_breached = True
            else:
                ticket.resolution_breached = True
    return found


def _propose_escalations(now: datetime) -> list[Ticket]:
    """Vendor-handled tickets past their resolution target and not yet with the vendor."""
    has_case = select(VendorCase.id).where(VendorCase.ticket_id == Ticket.id).exists()
    found = list(
        db.session.scalars(
            select(Ticket)
            .where(
                Ticket.category.in_(list(VENDOR_CATEGORIES)),
                Ticket.status.in_([S.NEW, S.OPEN]),
                Ticket.resolution_due_at <= now,
                Ticket.sla_paused_at.is_(None),
                Ticket.escalation_proposed_at.is_(None),
                ~has_case,
            )
            .order_by(Ticket.resolution_due_at)
            .limit(_BATCH)
        )
    )
    for ticket in found:
        ticket.escalation_proposed_at = now
        audit.record(
            "helpdesk.escalation_proposed",
            actor=None,
            obj=ticket,
            summary=f"{ticket.number}: resolution target passed",
        )
    return found


def _close_resolved(now: datetime) -> int:
    """Resolved tickets nobody reopened within HELPDESK_AUTOCLOSE_DAYS are closed."""
    days = int(current_app.config.get("HELPDESK_AUTOCLOSE_DAYS", 0) or 0)
    if days <= 0:
        return 0
    found = list(
        db.session.scalars(
            select(Ticket)
            .where(Ticket.status == S.RESOLVED, Ticket.resolved_at <= now - timedelta(days=days))
            .limit(_BATCH)
        )
    )
    for ticket in found:
        ticket.status = S.CLOSED
        ticket.closed_at = now
        audit.record("helpdesk.auto_closed", actor=None, obj=ticket, summary=ticket.number)
    return len(found)


def _tell(due_soon: list[Ticket], overdue: list[Ticket], proposed: list[Ticket]) -> None:
    """One digest per person: the assignee about their tickets, admins about all."""
    if not (due_soon or overdue or proposed):
        return
    everyone = tickets.admins()
    admin_ids = {a.id for a in everyone}
    for person in everyone:
        notify.sla_digest(person, due_soon, overdue, proposed)
    # An assignee who is not (or no longer) an admin still hears about their own tickets.
    extra_ids = {
        t.assignee_id
        for t in (*due_soon, *overdue)
        if t.assignee_id is not None and t.assignee_id not in admin_ids
    }
    for person in db.session.scalars(select(User).where(User.id.in_(extra_ids))):
        mine = [t for t in due_soon if t.assignee_id == person.id]
        late = [t for t in overdue if t.assignee_id == person.id]
        notify.sla_digest(person, mine, late, [])


def run_job() -> None:
    """The worker's entry point (no arguments; the runner commits)."""
    sweep()


def fetch_mail_job() -> None:
    """Poll the help-desk mailbox when one is configured."""
    if not current_app.config.get("HELPDESK_IMAP_HOST"):
        return
    from intranet.services.helpdesk.imap import fetch

    fetch(commit=True)


register_job("helpdesk.sweep", 60, run_job)
register_job("helpdesk.fetch_mail", 120, fetch_mail_job)  # a no-op without HELPDESK_IMAP_HOST
