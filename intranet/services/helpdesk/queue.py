"""The admins' queue: filters and the order by due time, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, case, or_, select
from sqlalchemy.orm import joinedload

from intranet.models.base import fold, utcnow
from intranet.models.helpdesk import (
    ACTIVE_STATUSES,
    Category,
    Priority,
    Ticket,
    TicketStatus,
)


@dataclass
class QueueFilter:
    status: str = "active"  # active, all, or one status
    category: str = ""
    priority: str = ""
    assignee: str = ""  # "", "me", "none", or a user id
    overdue: bool = False
    incident: int | None = None
    q: str = ""


def queue_query(f: QueueFilter, *, me_id: int, now: datetime | None = None) -> Select:
    """Tickets matching the filter, the soonest due first; paused and finished ones last."""
    now = now or utcnow()
    query = select(Ticket).options(joinedload(Ticket.assignee), joinedload(Ticket.incident))
    if f.status == "active":
        query = query.where(Ticket.status.in_(list(ACTIVE_STATUSES)))
    elif f.status in TicketStatus._value2member_map_:
        query = query.where(Ticket.status == TicketStatus(f.status))
    if f.category in Category._value2member_map_:
        query = query.where(Ticket.category == Category(f.category))
    if f.priority in Priority._value2member_map_:
        query = query.where(Ticket.priority == Priority(f.priority))
    if f.assignee == "me":
        query = query.where(Ticket.assignee_id == me_id)
    elif f.assignee == "none":
        query = query.where(Ticket.assignee_id.is_(None))
    elif f.assignee.isdigit():
        query = query.where(Ticket.assignee_id == int(f.assignee))
    if f.overdue:
        query = query.where(
            or_(
                Ticket.due_at <= now,
                (Ticket.status.in_(list(ACTIVE_STATUSES)) & Ticket.resolution_breached),
            )
        )
    if f.incident:
        query = query.where(Ticket.incident_id == f.incident)
    text = (f.q or "").strip()
    if text:
        number = text.upper()
        if number.startswith("HD-"):
            query = query.where(Ticket.number.startswith(number[:20]))
        elif text.isdigit():
            query = query.where(
                Ticket.number.endswith(text.zfill(5)[-5:]) | (Ticket.id == int(text))
            )
        else:
            key = fold(text)[:100].replace("%", "").replace("_", "")
            query = query.where(Ticket.subject_key.contains(key))
    no_due_last = case((Ticket.due_at.is_(None), 1), else_=0)
    return query.order_by(no_due_last, Ticket.due_at, Ticket.id)
