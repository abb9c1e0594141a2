"""Tickets: filing, numbering, replies and notes, claiming, priorities and the status workflow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload, lazyload, selectinload
from werkzeug.datastructures import FileStorage

from intranet import policy
from intranet.extensions import db
from intranet.models import Guardian, Organisation, Role, User, UserRole
from intranet.models.base import fold, utcnow
from intranet.models.helpdesk import (
    ACTIVE_STATUSES,
    Category,
    MessageKind,
    MessageSource,
    Priority,
    Ticket,
    TicketCounter,
    TicketMessage,
    TicketSource,
    TicketStatus,
)
from intranet.models.structure import Platform
from intranet.services import audit
from intranet.services.errors import InvalidTransition, PermissionDenied, ValidationFailed
from intranet.services.helpdesk import attachments, escalation, notify, sla
from intranet.services.helpdesk.categories import CATEGORIES, status_label
from intranet.services.phones import normalize_phone

S = TicketStatus

# Status changes an admin may make by hand. Escalation (→ escalated) and the delivery of
# the forward (escalated → waiting_vendor) happen in the escalation service.
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.NEW: frozenset({S.OPEN, S.WAITING_REQUESTER, S.RESOLVED}),
    S.OPEN: frozenset({S.WAITING_REQUESTER, S.RESOLVED}),
    S.WAITING_REQUESTER: frozenset({S.OPEN, S.RESOLVED}),
    S.ESCALATED: frozenset({S.OPEN, S.RESOLVED}),
    S.WAITING_VENDOR: frozenset({S.OPEN, S.RESOLVED}),
    S.RESOLVED: frozenset({S.OPEN, S.CLOSED}),
    S.CLOSED: frozenset(),
}
# A requester's answer brings the ticket back to the admins.
REQUESTER_REOPENS = frozenset({S.NEW, S.WAITING_REQUESTER, S.RESOLVED})

MAX_BODY = 20000


@dataclass
class Contact:
    """How to reach the requester; for a public ticket also their name and consent."""

    name: str = ""
    email: str | None = None
    phone: str | None = None


@dataclass
class NewTicket:
    category: Category
    subject: str
    description: str
    details: dict[str, str] = field(default_factory=dict)
    contact: Contact = field(default_factory=Contact)
    consent_personal_data: bool = False
    consent_vendor: bool = False
    for_student_id: int | None = None
    files: Sequence[FileStorage] = ()


# --- numbering -------------------------------------------------------------------------------


def next_number(year: int) -> tuple[int, str]:
    """The next number of the year, HD-2026-00042; concurrent callers never share one.

    The counter row is bumped with one UPDATE … RETURNING: PostgreSQL locks the row until
    the transaction ends and SQLite writers hold the database (BEGIN IMMEDIATE), so the
    second caller sees the first one's number.
    """
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        insert(TicketCounter)
        .values(year=year, last=0)
        .on_conflict_do_nothing(index_elements=["year"])
    )
    seq = db.session.execute(
        update(TicketCounter)
        .where(TicketCounter.year == year)
        .values(last=TicketCounter.last + 1)
        .returning(TicketCounter.last)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return seq, f"HD-{year}-{seq:05d}"


# --- filing ----------------------------------------------------------------------------------


def _clean_details(category: Category, details: dict) -> dict[str, str]:
    keys = {q.key for q in CATEGORIES[category].questions}
    return {k: str(v).strip()[:300] for k, v in details.items() if k in keys and v}


def _check_contact(contact: Contact, *, public: bool) -> Contact:
    name = " ".join((contact.name or "").split())[:200]
    email = (contact.email or "").strip().casefold() or None
    phone = None
    if contact.phone and contact.phone.strip():
        phone = normalize_phone(contact.phone)
        if phone is None:
            raise ValidationFailed(
                _("Enter a Russian phone number, e.g. +7 912 345-67-89."), "contact_phone"
            )
    if public and not name:
        raise ValidationFailed(_("Tell us your name."), "contact_name")
    if public and not (email or phone):
        raise ValidationFailed(
            _("Leave an e-mail or a phone number so that we can answer you."), "contact_email"
        )
    return Contact(name=name, email=email, phone=phone)


def _default_platform() -> Platform | None:
    return db.session.scalar(select(Organisation.platform).limit(1))


def file_ticket(data: NewTicket, *, requester: User | None, now: datetime | None = None) -> Ticket:
    """File a ticket for a signed-in requester, or a public one (requester None)."""
    now = now or utcnow()
    public = requester is None
    if requester is not None and not policy.can(requester, "helpdesk.file"):
        raise PermissionDenied(_("You cannot file help-desk requests."))
    if public and not data.consent_personal_data:
        raise ValidationFailed(
            _("We can only accept the request with your consent to processing personal data."),
            "consent_personal_data",
        )
    subject = " ".join((data.subject or "").split())[:200]
    description = (data.description or "").strip()[:MAX_BODY]
    if not subject:
        raise ValidationFailed(_("Say in a few words what happened."), "subject")
    if not description:
        raise ValidationFailed(_("Describe the problem."), "description")
    contact = _check_contact(data.contact, public=public)
    if requester is not None:
        contact.name = requester.full_name
        if data.for_student_id is not None and not _is_child(requester, data.for_student_id):
            raise ValidationFailed(_("Choose one of your children."), "for_student")
    attachments.check_files(data.files)
    details = _clean_details(Category(data.category), data.details)
    platform = details.get("platform")
    year = now.astimezone(sla.current_calendar().zone).year
    seq, number = next_number(year)
    ticket = Ticket(
        number=number,
        year=year,
        seq=seq,
        subject=subject,
        subject_key=fold(subject)[:200],
        category=Category(data.category),
        priority=Priority.NORMAL,
        status=TicketStatus.NEW,
        source=TicketSource.PUBLIC if public else TicketSource.WEB,
        platform=Platform(platform) if platform in Platform._value2member_map_ else None,
        details=details,
        requester_id=requester.id if requester else None,
        for_student_id=data.for_student_id if requester else None,
        contact_name=contact.name,
        contact_email=contact.email,
        contact_phone=contact.phone,
        consent_personal_data=bool(data.consent_personal_data or requester is not None),
        consent_vendor=bool(data.consent_vendor),
        consent_at=now if (data.consent_personal_data or data.consent_vendor) else None,
        created_at=now,
        updated_at=now,
        last_activity_at=now,
    )
    if ticket.platform is None and not public:
        ticket.platform = _default_platform()
    db.session.add(ticket)
    db.session.flush()
    sla.start_clock(ticket, now)
    message = TicketMessage(
        ticket=ticket,
        kind=MessageKind.PUBLIC,
        source=MessageSource.WEB,
        author_id=requester.id if requester else None,
        author_label=contact.name,
        from_requester=True,
        body=description,
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    attachments.attach(message, data.files, staff_only=False)
    audit.record(
        "helpdesk.ticket_filed",
        actor=requester,
        obj=ticket,
        summary=f"{number} {subject}",
        source=ticket.source.value,
        category=ticket.category.value,
    )
    notify.ticket_filed(ticket, requester=requester)
    return ticket


def _is_child(parent: User, student_id: int) -> bool:
    return (
        db.session.scalar(
            select(Guardian.id).where(
                Guardian.parent_id == parent.id,
                Guardian.student_id == student_id,
                Guardian.is_confirmed.is_(True),
            )
        )
        is not None
    )


def children_of(parent: User) -> list[User]:
    """The confirmed children a parent may file tickets for."""
    return list(
        db.session.scalars(
            select(User)
            .join(Guardian, Guardian.student_id == User.id)
            .where(Guardian.parent_id == parent.id, Guardian.is_confirmed.is_(True))
            .order_by(User.name_key)
        )
    )


# --- reading ---------------------------------------------------------------------------------


def requester_query(user: User) -> Select:
    """The tickets a requester may see: their own and those filed for them or their child."""
    children = select(Guardian.student_id).where(
        Guardian.parent_id == user.id, Guardian.is_confirmed.is_(True)
    )
    return (
        select(Ticket)
        .where(
            or_(
                Ticket.requester_id == user.id,
                Ticket.for_student_id == user.id,
                Ticket.for_student_id.in_(children),
            )
        )
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
    )


def load_for_page(ticket_id: int, *, staff: bool) -> Ticket | None:
    """A ticket with what its page shows, in a fixed number of queries.

    The people shown are loaded without their roles (the page shows names only); should
    anything ask for a role, it is loaded then rather than failing."""
    no_roles = lazyload(User.roles)
    return db.session.scalar(
        select(Ticket)
        .where(Ticket.id == ticket_id)
        .options(
            joinedload(Ticket.requester).options(no_roles),
            joinedload(Ticket.for_student).options(no_roles),
            joinedload(Ticket.assignee).options(no_roles),
            joinedload(Ticket.incident),
            selectinload(Ticket.vendor_cases),
            selectinload(Ticket.messages).selectinload(TicketMessage.attachments),
            selectinload(Ticket.messages).joinedload(TicketMessage.author).options(no_roles),
        )
    )


def visible_messages(ticket: Ticket, *, staff: bool) -> list[TicketMessage]:
    """The messages this reader may see: staff all, requesters the public ones."""
    if staff:
        return list(ticket.messages)
    return [m for m in ticket.messages if m.kind is MessageKind.PUBLIC]


def admins() -> list[User]:
    """Active platform administrators (they work the queue)."""
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.ADMIN, User.is_active.is_(True))
            .order_by(User.name_key)
        ).unique()
    )


def admin_choices() -> list[tuple[str, str]]:
    """(id, full name) of the active administrators, for the assignee selects (one light query)."""
    rows = db.session.execute(
        select(User.id, User.last_name, User.first_name, User.middle_name)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.ADMIN, User.is_active.is_(True))
        .order_by(User.name_key)
    ).all()
    return [
        (str(r.id), " ".join(p for p in (r.last_name, r.first_name, r.middle_name) if p))
        for r in rows
    ]


# --- staff actions ---------------------------------------------------------------------------


def _require_manage(actor: User) -> None:
    if not policy.can(actor, "helpdesk.manage"):
        raise PermissionDenied(_("Only platform administrators work the help-desk queue."))


def _touch(ticket: Ticket, now: datetime) -> None:
    ticket.last_activity_at = now
    ticket.updated_at = now


def claim(ticket: Ticket, *, actor: User, now: datetime | None = None) -> None:
    """Take the ticket: it is assigned to the actor, and a new one is now in progress."""
    assign(ticket, actor, actor=actor, now=now)


def assign(
    ticket: Ticket, assignee: User | None, *, actor: User, now: datetime | None = None
) -> None:
    """Give the ticket to an administrator (or to nobody)."""
    _require_manage(actor)
    now = now or utcnow()
    if assignee is not None and not policy.can(assignee, "helpdesk.manage"):
        raise ValidationFailed(_("Tickets go to platform administrators only."), "assignee")
    ticket.assignee_id = assignee.id if assignee else None
    if ticket.status is S.NEW and assignee is not None:
        _set_status(ticket, S.OPEN, now)
    _touch(ticket, now)
    audit.record(
        "helpdesk.assigned",
        actor=actor,
        obj=ticket,
        summary=f"{ticket.number} → {assignee.full_name if assignee else '—'}",
        assignee_id=assignee.id if assignee else None,
    )


def set_priority(
    ticket: Ticket, priority: Priority, *, actor: User, now: datetime | None = None
) -> None:
    """Change the priority; the due times follow the new targets."""
    _require_manage(actor)
    now = now or utcnow()
    old = ticket.priority
    if old is priority:
        return
    ticket.priority = Priority(priority)
    if ticket.status not in (S.RESOLVED, S.CLOSED):
        sla.recompute_due(ticket, sla.current_calendar())
    _touch(ticket, now)
    audit.record(
        "helpdesk.priority",
        actor=actor,
        obj=ticket,
        summary=f"{ticket.number}: {old.value} → {priority.value}",
    )


def _set_status(ticket: Ticket, target: TicketStatus, now: datetime) -> None:
    """Move the status and keep the SLA clock in step (no checks: callers guard)."""
    previous = ticket.status
    ticket.status = target
    cal = sla.current_calendar()
    if target is S.WAITING_REQUESTER:
        sla.pause(ticket, now)
    elif previous is S.WAITING_REQUESTER:
        sla.resume(ticket, now, cal)
    if target is S.RESOLVED:
        sla.record_resolution(ticket, now, cal)
        escalation.close_cases_of(ticket, now)
    elif target is S.CLOSED:
        ticket.closed_at = now
        sla._refresh_next_due(ticket)
    elif previous in (S.RESOLVED, S.CLOSED):
        ticket.closed_at = None
        sla.reopen(ticket, now, cal)


def change_status(
    ticket: Ticket,
    target: TicketStatus,
    *,
    actor: User,
    now: datetime | None = None,
) -> None:
    """A status change by an admin, as the ticket workflow allows it."""
    _require_manage(actor)
    now = now or utcnow()
    target = TicketStatus(target)
    if target not in TRANSITIONS[ticket.status]:
        raise InvalidTransition(
            _(
                "A ticket that is «%(current)s» cannot become «%(target)s».",
                current=status_label(ticket.status),
                target=status_label(target),
            )
        )
    previous = ticket.status
    _set_status(ticket, target, now)
    _touch(ticket, now)
    audit.record(
        "helpdesk.status",
        actor=actor,
        obj=ticket,
        summary=f"{ticket.number}: {previous.value} → {target.value}",
        previous=previous.value,
        status=target.value,
    )
    if target is S.RESOLVED:
        notify.ticket_resolved(ticket)


def staff_reply(
    ticket: Ticket,
    *,
    actor: User,
    body: str,
    internal: bool = False,
    files: Sequence[FileStorage] = (),
    then: TicketStatus | None = None,
    now: datetime | None = None,
) -> TicketMessage:
    """An admin's public answer (mailed to the requester) or internal note."""
    _require_manage(actor)
    now = now or utcnow()
    body = (body or "").strip()[:MAX_BODY]
    if not body:
        raise ValidationFailed(_("Write the answer."), "body")
    if ticket.status is S.CLOSED:
        raise InvalidTransition(_("The ticket is closed."))
    if then is not None and then is not ticket.status and then not in TRANSITIONS[ticket.status]:
        raise InvalidTransition(
            _(
                "A ticket that is «%(current)s» cannot become «%(target)s».",
                current=status_label(ticket.status),
                target=status_label(then),
            )
        )
    attachments.check_files(files)
    message = TicketMessage(
        ticket_id=ticket.id,
        kind=MessageKind.INTERNAL if internal else MessageKind.PUBLIC,
        source=MessageSource.WEB,
        author_id=actor.id,
        author_label=actor.full_name,
        body=body,
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    attachments.attach(message, files, staff_only=internal)
    if not internal:
        sla.record_first_response(ticket, now)
        if ticket.status is S.NEW:
            _set_status(ticket, S.OPEN, now)
        if ticket.assignee_id is None:
            ticket.assignee_id = actor.id
    previous = ticket.status
    if then is not None and then is not ticket.status:
        _set_status(ticket, then, now)
    _touch(ticket, now)
    audit.record(
        "helpdesk.note" if internal else "helpdesk.reply",
        actor=actor,
        obj=ticket,
        summary=ticket.number,
        message_id=message.id,
        status=ticket.status.value if ticket.status is not previous else None,
    )
    if not internal:
        notify.public_reply(ticket, message)
    elif then is S.RESOLVED:
        notify.ticket_resolved(ticket)
    return message


def requester_reply(
    ticket: Ticket,
    *,
    actor: User | None,
    body: str,
    files: Sequence[FileStorage] = (),
    source: MessageSource = MessageSource.WEB,
    author_label: str = "",
    now: datetime | None = None,
) -> TicketMessage:
    """The requester answers (on the page, by the signed link or by e-mail)."""
    now = now or utcnow()
    if actor is not None and not policy.can(actor, "helpdesk.view_ticket", ticket):
        raise PermissionDenied(_("This is not your request."))
    body = (body or "").strip()[:MAX_BODY]
    if not body:
        raise ValidationFailed(_("Write your message."), "body")
    if ticket.status is S.CLOSED:
        raise InvalidTransition(
            _("This request is closed. If the problem is back, file a new request.")
        )
    attachments.check_files(files)
    message = TicketMessage(
        ticket_id=ticket.id,
        kind=MessageKind.PUBLIC,
        source=source,
        author_id=actor.id if actor else None,
        author_label=(actor.full_name if actor else author_label or ticket.contact_name)[:300],
        from_requester=True,
        body=body,
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    attachments.attach(message, files, staff_only=False)
    if ticket.status in (S.WAITING_REQUESTER, S.RESOLVED):
        _set_status(ticket, S.OPEN, now)
    _touch(ticket, now)
    notify.requester_wrote(ticket, message)
    return message


def staff_note(
    ticket: Ticket,
    *,
    body: str,
    kind: MessageKind,
    author_label: str,
    source: MessageSource = MessageSource.EMAIL,
    now: datetime | None = None,
) -> TicketMessage:
    """A staff-only message the system adds (a vendor's answer, a stranger's mail)."""
    now = now or utcnow()
    message = TicketMessage(
        ticket_id=ticket.id,
        kind=kind,
        source=source,
        author_label=author_label[:300],
        body=(body or "").strip()[:MAX_BODY],
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    _touch(ticket, now)
    return message


def regenerate_public_link(ticket: Ticket, *, actor: User) -> None:
    """Revoke the ticket's signed link (e.g. it was forwarded to the wrong person)."""
    _require_manage(actor)
    ticket.public_token_version += 1
    audit.record("helpdesk.link_revoked", actor=actor, obj=ticket, summary=ticket.number)


def public_token(ticket: Ticket) -> str:
    from intranet.services.security import make_token

    return make_token("helpdesk.ticket", ticket.id, ticket.public_token_version)


def ticket_by_token(token: str) -> Ticket | None:
    """The ticket a signed link points to, or None (bad, foreign or revoked link)."""
    from intranet.services.security import read_token

    found = read_token("helpdesk.ticket", token or "")
    if found is None:
        return None
    ticket_id, version = found
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or ticket.public_token_version != version:
        return None
    return ticket


def is_active(ticket: Ticket) -> bool:
    return ticket.status in ACTIVE_STATUSES


def max_files() -> int:
    return int(current_app.config["HELPDESK_MAX_FILES"])
