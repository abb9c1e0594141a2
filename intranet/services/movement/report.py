"""The movement report for a period, on a page and as CSV."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, select

from intranet import policy
from intranet.extensions import db
from intranet.i18n import format_day
from intranet.models import Movement, MovementKind, MovementStatus, User
from intranet.services import documents
from intranet.services.errors import PermissionDenied, ValidationFailed
from intranet.services.movement import core
from intranet.services.structure import search_terms

MAX_DAYS = 3 * 366
EXPORT_LIMIT = 50000


@dataclass(frozen=True)
class ReportFilters:
    since: date
    until: date
    kind: MovementKind | None = None
    status: MovementStatus | None = None
    q: str = ""


def check_period(since: date | None, until: date | None) -> None:
    if since is None or until is None:
        raise ValidationFailed(_("Enter both dates of the period."), "since")
    if until < since:
        raise ValidationFailed(_("The end cannot be before the start."), "until")
    if (until - since).days > MAX_DAYS:
        raise ValidationFailed(_("The period may be at most three years."), "until")


def report_query(filters: ReportFilters) -> Select:
    """Movements effective within the period (cancelled ones only when asked for)."""
    query = (
        select(Movement)
        .join(User, User.id == Movement.person_id)
        .options(*core._LOAD)
        .where(Movement.effective_on >= filters.since, Movement.effective_on <= filters.until)
        .where(*search_terms(User.name_key, filters.q))
    )
    if filters.kind is not None:
        query = query.where(Movement.kind == filters.kind)
    if filters.status is not None:
        query = query.where(Movement.status == filters.status)
    else:
        query = query.where(Movement.status != MovementStatus.CANCELLED)
    return query.order_by(Movement.effective_on, User.name_key, Movement.id)


def report_table(filters: ReportFilters, *, viewer: User) -> tuple[list[str], list[list]]:
    """The report as a table for CSV."""
    if not policy.can(viewer, "movement.view"):
        raise PermissionDenied(_("You may not see the movement report."))
    check_period(filters.since, filters.until)
    header = [
        _("Effective date"),
        _("Movement"),
        _("Full name"),
        _("From group"),
        _("To group"),
        _("Basis"),
        _("Comment"),
        _("Successor"),
        _("Status"),
    ]
    rows = []
    for m in db.session.scalars(report_query(filters).limit(EXPORT_LIMIT)):
        rows.append(
            [
                format_day(m.effective_on),
                core.kind_label(m.kind),
                m.person.full_name,
                m.from_group.name if m.from_group else "",
                m.to_group.name if m.to_group else "",
                documents.document_label(m.basis),
                m.comment,
                m.successor.full_name if m.successor else "",
                core.status_label(m.status),
            ]
        )
    return header, rows
