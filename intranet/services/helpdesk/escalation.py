"""Escalation to the vendor's support: the forward, the vendor case, its clock and reminders.

The admin sees the forward exactly as it will leave: `preview` and `escalate` build it with
the same function from the same inputs, and the confirmation carries a digest of what was
shown, so a ticket that changed in between is previewed again instead of sent unseen.
Without the requester's consent nothing personal leaves: their name and contacts are not
included, e-mail addresses and phone numbers in the text are masked, screenshots stay home.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from intranet import policy
from intranet.extensions import db
from intranet.models import Organisation, User
from intranet.models.base import utcnow
from intranet.models.helpdesk import (
    MailDirection,
    MessageKind,
    MessageSource,
    Ticket,
    TicketAttachment,
    TicketMessage,
    TicketStatus,
    VendorCase,
    VendorCaseState,
)
from intranet.services import audit, mail
from intranet.services.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from intranet.services.helpdesk import attachments, notify, sla
from intranet.services.helpdesk.categories import (
    CATEGORIES,
    VENDOR_CATEGORIES,
    answer_label,
    category_label,
    question_label,
)
from intranet.services.phones import format_phone

S = TicketStatus
ESCALATABLE = frozenset({S.NEW, S.OPEN})
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_PHONE = re.compile(r"(?<!\d)(?:\+7|8)[\s\-()]*\d{3}[\s\-()]*\d{3}[\s\-]*\d{2}[\s\-]*\d{2}(?!\d)")


@dataclass
class ForwardFile:
    attachment_id: int
    filename: str
    content_type: str
    size: int


@dataclass
class Forward:
    """The e-mail to the vendor, as it will leave."""

    to: str
    reply_to: str
    subject: str
    body: str
    include_personal: bool
    files: list[ForwardFile] = field(default_factory=list)

    @property
    def digest(self) -> str:
        """A fingerprint of everything the admin was shown."""
        parts = [self.to, self.reply_to, self.subject, self.body]
        parts += [f"{f.attachment_id}:{f.filename}:{f.size}" for f in self.files]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def vendor_address() -> str:
    return current_app.config["VENDOR_SUPPORT_EMAIL"]


def _require(actor: User) -> None:
    if not policy.can(actor, "helpdesk.manage"):
        raise PermissionDenied(_("Only platform administrators forward requests to the vendor."))


def open_case(ticket_id: int) -> VendorCase | None:
    """The ticket's vendor case still running, if any."""
    return db.session.scalar(
        select(VendorCase)
        .where(VendorCase.ticket_id == ticket_id, VendorCase.state != VendorCaseState.CLOSED)
        .order_by(VendorCase.id.desc())
        .limit(1)
    )


def check_escalatable(ticket: Ticket) -> None:
    """Raise unless this ticket may be forwarded to the vendor now."""
    if ticket.category not in VENDOR_CATEGORIES:
        raise InvalidTransition(
            _(
                "«%(category)s» is settled by the college itself; the vendor cannot help with it.",
                category=category_label(ticket.category),
            )
        )
    if open_case(ticket.id) is not None:
        raise Conflict(_("The request is already with the vendor; write to them in its case."))
    if ticket.status not in ESCALATABLE:
        raise InvalidTransition(_("Only a new or open request can be forwarded to the vendor."))


def mask_personal(text: str, names: list[str]) -> str:
    """The text with e-mail addresses, phone numbers and the requester's names masked."""
    text = _EMAIL.sub(_("[e-mail removed]"), text)
    text = _PHONE.sub(_("[phone removed]"), text)
    for name in names:
        if name and len(name) >= 3:
            text = re.sub(re.escape(name), _("[name removed]"), text, flags=re.IGNORECASE)
    return text


def _requester_names(ticket: Ticket) -> list[str]:
    names = [p for p in (ticket.contact_name or "").split() if p]
    if ticket.requester_id:
        person = db.session.get(User, ticket.requester_id)
        if person is not None:
            names += [person.last_name, person.first_name, person.middle_name]
    return sorted({n for n in names if n}, key=len, reverse=True)


def _requester_files(ticket: Ticket) -> list[TicketAttachment]:
    return list(
        db.session.scalars(
            select(TicketAttachment)
            .join(TicketMessage, TicketMessage.id == TicketAttachment.message_id)
            .where(
                TicketAttachment.ticket_id == ticket.id,
                TicketAttachment.is_staff_only.is_(False),
                TicketMessage.from_requester.is_(True),
            )
            .order_by(TicketAttachment.id)
        )
    )


def _description(ticket: Ticket) -> str:
    first = db.session.scalar(
        select(TicketMessage.body)
        .where(TicketMessage.ticket_id == ticket.id)
        .order_by(TicketMessage.id)
        .limit(1)
    )
    return first or ""


def build_forward(
    ticket: Ticket, *, actor: User, steps_taken: str, include_personal: bool
) -> Forward:
    """The forward for this ticket: college, admin's contacts, the problem, what was tried."""
    with force_locale("ru"):  # the vendor reads Russian, whatever the admin's language
        return _build_forward(ticket, actor, steps_taken, include_personal)


def _build_forward(
    ticket: Ticket, actor: User, steps_taken: str, include_personal: bool
) -> Forward:
    include_personal = bool(include_personal and ticket.consent_vendor)
    organisation = db.session.scalar(select(Organisation).limit(1))
    names = _requester_names(ticket)
    description = _description(ticket)
    if not include_personal:
        description = mask_personal(description, names)
    steps = (steps_taken or "").strip()
    if not include_personal:
        steps = mask_personal(steps, names)
    details = [
        (question_label(q.key), answer_label(q.key, ticket.details.get(q.key, "")))
        for q in CATEGORIES[ticket.category].questions
        if ticket.details.get(q.key)
    ]
    if not include_personal:
        details = [(label, mask_personal(value, names)) for label, value in details]
    files = (
        [ForwardFile(a.id, a.filename, a.content_type, a.size) for a in _requester_files(ticket)]
        if include_personal
        else []
    )
    withheld_files = 0 if include_personal else len(_requester_files(ticket))
    title = ticket.subject if include_personal else mask_personal(ticket.subject, names)
    subject = mail.clean_header(
        f"[{ticket.number}] "
        + _(
            "Sferum: %(category)s — %(subject)s",
            category=category_label(ticket.category),
            subject=title,
        )
    )
    body = render_template(
        "email/helpdesk_forward_body.txt",
        ticket=ticket,
        organisation=organisation,
        admin=actor,
        admin_phone=format_phone(actor.phone) if actor.phone else "",
        category=category_label(ticket.category),
        details=details,
        description=description,
        steps=steps,
        include_personal=include_personal,
        requester_phone=format_phone(ticket.contact_phone) if ticket.contact_phone else "",
        files=files,
        withheld_files=withheld_files,
    ).strip()
    return Forward(
        to=vendor_address(),
        reply_to=str(notify.mailbox()),
        subject=subject,
        body=body,
        include_personal=include_personal,
        files=files,
    )


def preview(ticket: Ticket, *, actor: User, steps_taken: str, include_personal: bool) -> Forward:
    """The forward the admin reviews before confirming."""
    _require(actor)
    check_escalatable(ticket)
    return build_forward(
        ticket, actor=actor, steps_taken=steps_taken, include_personal=include_personal
    )


def escalate(
    ticket: Ticket,
    *,
    actor: User,
    steps_taken: str,
    include_personal: bool,
    digest: str,
    now: datetime | None = None,
) -> VendorCase:
    """Open a vendor case and queue the forward exactly as previewed."""
    _require(actor)
    check_escalatable(ticket)
    now = now or utcnow()
    forward = build_forward(
        ticket, actor=actor, steps_taken=steps_taken, include_personal=include_personal
    )
    if forward.digest != digest:
        raise Conflict(_("The request changed since the preview. Check the forward again."))
    files = []
    for item in forward.files:
        stored = db.session.get(TicketAttachment, item.attachment_id)
        files.append(mail.Attachment(item.filename, attachments.read(stored), item.content_type))
    message_id = notify.message_id_for(ticket)
    case = VendorCase(
        ticket_id=ticket.id,
        state=VendorCaseState.QUEUED,
        to_address=forward.to,
        subject=forward.subject,
        body=forward.body,
        message_id=message_id,
        include_personal=forward.include_personal,
        steps_taken=(steps_taken or "").strip(),
        created_by_id=actor.id,
        created_at=now,
    )
    db.session.add(case)
    db.session.flush()
    mail.queue_mail(
        "helpdesk.vendor",
        forward.to,
        forward.subject,
        "helpdesk_forward",
        {"body": forward.body},
        reply_to=forward.reply_to,
        attachments=files,
        headers={"X-Intranet-Ticket": ticket.number},
        message_id=message_id,
        locale="ru",
    )
    notify.remember(ticket, message_id, direction=MailDirection.OUT, vendor_case_id=case.id)
    db.session.add(
        TicketMessage(
            ticket_id=ticket.id,
            kind=MessageKind.VENDOR_OUT,
            source=MessageSource.WEB,
            author_id=actor.id,
            author_label=actor.full_name,
            body=forward.body,
            created_at=now,
        )
    )
    previous = ticket.status
    ticket.status = S.ESCALATED
    ticket.last_activity_at = now
    if ticket.assignee_id is None:
        ticket.assignee_id = actor.id
    audit.record(
        "helpdesk.escalated",
        actor=actor,
        obj=ticket,
        summary=f"{ticket.number} → {forward.to}",
        previous=previous.value,
        vendor_case_id=case.id,
        personal_data=forward.include_personal,
        files=len(files),
    )
    return case


def write_to_vendor(
    case: VendorCase, *, actor: User, body: str, now: datetime | None = None
) -> TicketMessage:
    """A follow-up to the vendor in the case's thread (e.g. the requester's answer)."""
    _require(actor)
    now = now or utcnow()
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(_("Write the message."), "body")
    if case.state is VendorCaseState.CLOSED:
        raise InvalidTransition(_("The vendor case is closed."))
    ticket = db.session.get(Ticket, case.ticket_id)
    if ticket.status in (S.RESOLVED, S.CLOSED):
        raise InvalidTransition(_("The request is resolved; reopen it first."))
    message_id = notify.message_id_for(ticket)
    headers = {
        "In-Reply-To": case.message_id,
        "References": case.message_id,
        "X-Intranet-Ticket": ticket.number,
    }
    subject = case.subject if case.subject.startswith("Re:") else f"Re: {case.subject}"
    mail.queue_mail(
        "helpdesk.vendor",
        case.to_address,
        subject,
        "helpdesk_forward",
        {"body": body},
        reply_to=str(notify.mailbox()),
        headers=headers,
        message_id=message_id,
        locale="ru",
    )
    notify.remember(ticket, message_id, direction=MailDirection.OUT, vendor_case_id=case.id)
    message = TicketMessage(
        ticket_id=ticket.id,
        kind=MessageKind.VENDOR_OUT,
        source=MessageSource.WEB,
        author_id=actor.id,
        author_label=actor.full_name,
        body=body,
        created_at=now,
    )
    db.session.add(message)
    if case.state is not VendorCaseState.QUEUED:
        case.state = VendorCaseState.SENT
        case.last_sent_at = now
        case.next_reminder_at = _next_reminder(now)
    if ticket.status is S.OPEN:
        ticket.status = S.WAITING_VENDOR
    ticket.last_activity_at = now
    audit.record("helpdesk.vendor_message", actor=actor, obj=ticket, summary=ticket.number)
    db.session.flush()
    return message


def set_vendor_ref(case: VendorCase, ref: str, *, actor: User) -> None:
    """Record the vendor's own reference number for the case."""
    _require(actor)
    ref = " ".join((ref or "").split())[:64]
    case.vendor_ref = ref or None
    audit.record("helpdesk.vendor_ref", actor=actor, obj=case, summary=ref)


def close_case(case: VendorCase, *, actor: User | None, now: datetime | None = None) -> None:
    """Stop tracking the vendor case (no more reminders)."""
    if actor is not None:
        _require(actor)
    now = now or utcnow()
    if case.state is VendorCaseState.CLOSED:
        return
    if case.sent_at is None:
        case.sent_at = now  # it never left; the CHECK wants a time, the audit tells the story
    case.state = VendorCaseState.CLOSED
    case.closed_at = now
    case.next_reminder_at = None
    audit.record("helpdesk.vendor_case_closed", actor=actor, obj=case, summary=str(case.id))


def close_cases_of(ticket: Ticket, now: datetime) -> None:
    """A resolved ticket needs no more answers from the vendor: its cases close."""
    db.session.execute(
        update(VendorCase)
        .where(
            VendorCase.ticket_id == ticket.id,
            VendorCase.state.in_([VendorCaseState.SENT, VendorCaseState.ANSWERED]),
        )
        .values(state=VendorCaseState.CLOSED, closed_at=now, next_reminder_at=None)
        .execution_options(synchronize_session="fetch")
    )


def _next_reminder(moment: datetime) -> datetime | None:
    cal = sla.current_calendar()
    days = int(current_app.config["HELPDESK_VENDOR_REMINDER_DAYS"])
    if days <= 0:
        return None
    return cal.add(moment, days * cal.day_seconds)


def vendor_replied(
    case: VendorCase, ticket: Ticket, *, subject: str, body: str, now: datetime
) -> None:
    """The vendor answered: the case remembers when and its reference, the admin relays."""
    if case.first_vendor_reply_at is None:
        case.first_vendor_reply_at = now
    case.last_vendor_reply_at = now
    case.next_reminder_at = None
    if case.state is not VendorCaseState.CLOSED:
        if case.sent_at is None:
            case.sent_at = now
        case.state = VendorCaseState.ANSWERED
    if not case.vendor_ref:
        case.vendor_ref = find_vendor_ref(f"{subject}\n{body}")
    if ticket.status in (S.ESCALATED, S.WAITING_VENDOR):
        ticket.status = S.OPEN


def find_vendor_ref(text: str) -> str | None:
    """The vendor's reference number in their reply, by HELPDESK_VENDOR_REF_PATTERN."""
    pattern = current_app.config["HELPDESK_VENDOR_REF_PATTERN"]
    if not pattern:
        return None
    found = re.search(pattern, text or "", flags=re.IGNORECASE)
    return found.group(1)[:64] if found else None


# --- the worker's part -----------------------------------------------------------------------


def mark_delivered(now: datetime) -> int:
    """Forwards the outbox has delivered: the case's clock starts, the ticket waits."""
    from intranet.models import OutboxMessage, OutboxStatus

    rows = db.session.execute(
        select(VendorCase, OutboxMessage.sent_at)
        .join(OutboxMessage, OutboxMessage.message_id == VendorCase.message_id)
        .where(
            VendorCase.state == VendorCaseState.QUEUED,
            OutboxMessage.status == OutboxStatus.SENT,
        )
    ).all()
    for case, sent_at in rows:
        case.state = VendorCaseState.SENT
        case.sent_at = sent_at or now
        case.last_sent_at = case.sent_at
        case.next_reminder_at = _next_reminder(case.sent_at)
        ticket = db.session.get(Ticket, case.ticket_id)
        if ticket is not None and ticket.status is S.ESCALATED:
            ticket.status = S.WAITING_VENDOR
    return len(rows)


def send_reminders(now: datetime) -> int:
    """Remind the vendor of cases without an answer for N working days."""
    limit = int(current_app.config["HELPDESK_VENDOR_MAX_REMINDERS"])
    cases = db.session.scalars(
        select(VendorCase).where(
            VendorCase.state == VendorCaseState.SENT,
            VendorCase.next_reminder_at.is_not(None),
            VendorCase.next_reminder_at <= now,
        )
    ).all()
    for case in cases:
        ticket = db.session.get(Ticket, case.ticket_id)
        if case.reminders_sent >= limit or ticket is None:
            case.next_reminder_at = None
            continue
        message_id = notify.message_id_for(ticket)
        with force_locale("ru"):
            body = render_template(
                "email/helpdesk_vendor_reminder_body.txt", case=case, ticket=ticket
            ).strip()
        subject = case.subject if case.subject.startswith("Re:") else f"Re: {case.subject}"
        mail.queue_mail(
            "helpdesk.vendor",
            case.to_address,
            subject,
            "helpdesk_forward",
            {"body": body},
            reply_to=str(notify.mailbox()),
            headers={
                "In-Reply-To": case.message_id,
                "References": case.message_id,
                "X-Intranet-Ticket": ticket.number,
            },
            message_id=message_id,
            locale="ru",
        )
        notify.remember(ticket, message_id, direction=MailDirection.OUT, vendor_case_id=case.id)
        db.session.add(
            TicketMessage(
                ticket_id=ticket.id,
                kind=MessageKind.VENDOR_OUT,
                source=MessageSource.SYSTEM,
                author_label=_("Reminder to the vendor"),
                body=body,
                created_at=now,
            )
        )
        case.reminders_sent += 1
        case.last_sent_at = now
        case.next_reminder_at = _next_reminder(now) if case.reminders_sent < limit else None
        audit.record(
            "helpdesk.vendor_reminder",
            actor=None,
            obj=case,
            summary=f"{ticket.number} #{case.reminders_sent}",
        )
    return len(cases)
