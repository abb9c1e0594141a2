"""The admins' queue: filters and the order by due time, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, case, or_, select
from sqlalchemy.orm import aliased

from intranet.bounds import id_from
from intranet.extensions import BoundedPagination
from intranet.models import User
from intranet.models.base import fold, utcnow
from intranet.models.helpdesk import (
    ACTIVE_STATUSES,
    Category,
    Incident,
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


_ASSIGNEE = aliased(User, name="assignee")


class RowPagination(BoundedPagination):
    """A page of plain rows (the columns a list shows), not ORM objects: a queue page of 50
    tickets costs a third of what loading 50 tickets with their assignees would."""

    def _query_items(self) -> list:
        select_ = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(select_).all())


def queue_query(f: QueueFilter, *, me_id: int, now: datetime | None = None) -> Select:
    """Tickets matching the filter, the soonest due first; paused and finished ones last.

    Rows carry the ticket's columns that the queue shows, the assignee's name and the
    incident's title (outer joins: one statement for the page)."""
    now = now or utcnow()
    assignee = _ASSIGNEE
    query = (
        select(
            Ticket.id,
            Ticket.number,
            Ticket.subject,
            Ticket.category,
            Ticket.status,
            Ticket.priority,
            Ticket.source,
            Ticket.due_at,
            Ticket.sla_alert,
            Ticket.sla_paused_at,
            Ticket.escalation_proposed_at,
            Ticket.contact_name,
            assignee.last_name.label("assignee_last"),
            assignee.first_name.label("assignee_first"),
            assignee.middle_name.label("assignee_middle"),
            Incident.title.label("incident_title"),
        )
        .outerjoin(assignee, assignee.id == Ticket.assignee_id)
        .outerjoin(Incident, Incident.id == Ticket.incident_id)
    )
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
    elif id_from(f.assignee) is not None:
        query = query.where(Ticket.assignee_id == id_from(f.assignee))
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
                Ticket.number.endswith(text.zfill(5)[-5:]) | (Ticket.id == (id_from(text) or 0))
            )
        else:
            key = fold(text)[:100].replace("%", "").replace("_", "")
            query = query.where(Ticket.subject_key.contains(key))
    no_due_last = case((Ticket.due_at.is_(None), 1), else_=0)
    return query.order_by(no_due_last, Ticket.due_at, Ticket.id)
