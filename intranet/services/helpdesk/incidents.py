"""Incidents: one outage, many tickets; an answer to all of them and a banner on the site."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import case, func, select
from sqlalchemy.exc import SQLAlchemyError

from intranet import policy
from intranet.extensions import db
from intranet.models import User
from intranet.models.base import utcnow
from intranet.models.helpdesk import (
    ACTIVE_STATUSES,
    Incident,
    IncidentStatus,
    Ticket,
    TicketStatus,
)
from intranet.services import audit
from intranet.services.errors import InvalidTransition, PermissionDenied, ValidationFailed
from intranet.services.helpdesk import tickets

# The banner is on every page: each process keeps it for a short while instead of asking
# the database on every request.
_BANNER_TTL = 30.0
_banner_cache: dict[str, tuple[float, list[tuple[int, str]]]] = {}


def _require(actor: User) -> None:
    if not policy.can(actor, "helpdesk.manage"):
        raise PermissionDenied(_("Only platform administrators manage incidents."))


def forget_banners() -> None:
    _banner_cache.clear()


def banners() -> list[tuple[int, str]]:
    """(incident id, text) of the banners to show now; cached briefly per process."""
    key = current_app.config["SQLALCHEMY_DATABASE_URI"]
    now = time.monotonic()
    hit = None if current_app.testing else _banner_cache.get(key)
    if hit and now - hit[0] < _BANNER_TTL:
        return hit[1]
    try:
        rows = db.session.execute(
            select(Incident.id, Incident.banner_text, Incident.title)
            .where(Incident.status == IncidentStatus.ACTIVE, Incident.show_banner.is_(True))
            .order_by(Incident.id)
        ).all()
    except SQLAlchemyError:  # an error page must still render when the database is down
        return []
    found = [(r.id, r.banner_text or r.title) for r in rows]
    _banner_cache[key] = (now, found)
    return found


def save_incident(
    incident: Incident | None,
    *,
    actor: User,
    title: str,
    description: str,
    show_banner: bool,
    banner_text: str,
) -> Incident:
    """Create or edit an incident (and its banner)."""
    _require(actor)
    title = " ".join((title or "").split())[:200]
    if not title:
        raise ValidationFailed(_("Name the incident."), "title")
    banner_text = " ".join((banner_text or "").split())[:300]
    created = incident is None
    if incident is None:
        incident = Incident(created_by_id=actor.id, status=IncidentStatus.ACTIVE)
        db.session.add(incident)
    incident.title = title
    incident.description = (description or "").strip()[:5000]
    incident.show_banner = bool(show_banner)
    incident.banner_text = banner_text
    db.session.flush()
    forget_banners()
    audit.record(
        "helpdesk.incident_created" if created else "helpdesk.incident_saved",
        actor=actor,
        obj=incident,
        summary=title,
        banner=incident.show_banner,
    )
    return incident


def link_tickets(
    incident: Incident, numbers: Iterable[str], *, actor: User
) -> tuple[list[Ticket], list[str]]:
    """Link tickets (by number) to the incident; returns the linked and the unknown numbers."""
    _require(actor)
    if incident.status is not IncidentStatus.ACTIVE:
        raise InvalidTransition(_("The incident is resolved; open a new one."))
    wanted = [n.strip().upper() for n in numbers if n and n.strip()]
    if not wanted:
        raise ValidationFailed(_("Enter ticket numbers, e.g. HD-2026-00042."), "numbers")
    found = list(db.session.scalars(select(Ticket).where(Ticket.number.in_(wanted))))
    known = {t.number for t in found}
    for ticket in found:
        ticket.incident_id = incident.id
    if found:
        audit.record(
            "helpdesk.incident_linked",
            actor=actor,
            obj=incident,
            summary=", ".join(sorted(known))[:300],
        )
    return found, [n for n in wanted if n not in known]


def unlink_ticket(ticket: Ticket, *, actor: User) -> None:
    _require(actor)
    previous = ticket.incident_id
    ticket.incident_id = None
    audit.record(
        "helpdesk.incident_unlinked",
        actor=actor,
        obj=ticket,
        summary=ticket.number,
        incident_id=previous,
    )


def answer_all(
    incident: Incident,
    *,
    actor: User,
    body: str,
    resolve: bool,
    now: datetime | None = None,
) -> int:
    """One public answer to every open ticket of the incident (mailed to each requester)."""
    _require(actor)
    now = now or utcnow()
    if not (body or "").strip():
        raise ValidationFailed(_("Write the answer."), "body")
    open_tickets = list(
        db.session.scalars(
            select(Ticket)
            .where(Ticket.incident_id == incident.id, Ticket.status.in_(list(ACTIVE_STATUSES)))
            .order_by(Ticket.id)
        )
    )
    if not open_tickets:
        raise InvalidTransition(_("The incident has no open tickets to answer."))
    for ticket in open_tickets:
        then = TicketStatus.RESOLVED if resolve else None
        if then is not None and then not in tickets.TRANSITIONS[ticket.status]:
            then = None
        tickets.staff_reply(ticket, actor=actor, body=body, then=then, now=now)
    audit.record(
        "helpdesk.incident_answered",
        actor=actor,
        obj=incident,
        summary=ngettext("%(num)d ticket", "%(num)d tickets", len(open_tickets)),
        resolved=resolve,
    )
    return len(open_tickets)


def resolve_incident(incident: Incident, *, actor: User, now: datetime | None = None) -> None:
    """The outage is over: the banner goes away."""
    _require(actor)
    if incident.status is IncidentStatus.RESOLVED:
        raise InvalidTransition(_("The incident is already resolved."))
    incident.status = IncidentStatus.RESOLVED
    incident.resolved_at = now or utcnow()
    forget_banners()
    audit.record("helpdesk.incident_resolved", actor=actor, obj=incident, summary=incident.title)


def incidents_with_counts(status: IncidentStatus | None = None) -> list[tuple[Incident, int, int]]:
    """Incidents, newest first, with (all tickets, open tickets) counts: two queries."""
    query = select(Incident).order_by(Incident.created_at.desc(), Incident.id.desc())
    if status is not None:
        query = query.where(Incident.status == status)
    found = list(db.session.scalars(query.limit(200)))
    ids = [i.id for i in found]
    counts: dict[int, tuple[int, int]] = {}
    if ids:
        is_open = Ticket.status.in_(list(ACTIVE_STATUSES))
        rows = db.session.execute(
            select(
                Ticket.incident_id,
                func.count(Ticket.id),
                func.sum(case((is_open, 1), else_=0)),
            )
            .where(Ticket.incident_id.in_(ids))
            .group_by(Ticket.incident_id)
        ).all()
        counts = {r[0]: (r[1], int(r[2] or 0)) for r in rows}
    return [(i, *counts.get(i.id, (0, 0))) for i in found]


def active_incidents() -> list[Incident]:
    return list(
        db.session.scalars(
            select(Incident)
            .where(Incident.status == IncidentStatus.ACTIVE)
            .order_by(Incident.created_at.desc())
        )
    )
