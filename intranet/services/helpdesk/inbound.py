"""Inbound mail: one RFC 822 message in, matched to its ticket, stored once, never lost.

Matching, in order: In-Reply-To/References against the thread's Message-IDs; the subject
tag [HD-2026-00042]; the vendor's own reference number. A tag or reference match counts
only when the sender is the ticket's requester or the vendor: anyone can type a tag.
Vendor answers become staff-only notes, requester answers public messages. Auto-replies,
bounces and our own messages coming back are recorded and dropped, so mail never loops.
What matches nothing waits in a list for an admin.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr

import nh3
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from intranet import policy
from intranet.extensions import db
from intranet.models import User
from intranet.models.base import utcnow
from intranet.models.helpdesk import (
    InboundMail,
    InboundStatus,
    MailDirection,
    MailRef,
    MessageKind,
    MessageSource,
    Ticket,
    TicketStatus,
    VendorCase,
)
from intranet.services import audit, mail
from intranet.services.errors import InvalidTransition, PermissionDenied, ValidationFailed
from intranet.services.helpdesk import attachments, escalation, notify, tickets

TAG = re.compile(r"\[(HD-\d{4}-\d{5,})\]", re.IGNORECASE)
_MSGID = re.compile(r"<[^<>\s]+>")
_AUTO_HEADERS = re.compile(r"^x-(auto-?reply|autorespond|auto-?response|autoreply-from)", re.I)
_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?\s*(reply|response)|autoreply|out of (the )?office|автоответ|"
    r"автоматический ответ|undeliverable|delivery status notification|"
    r"mail delivery failed|не доставлено)",
    re.IGNORECASE,
)
_QUOTE_START = re.compile(
    r"^(\s*-{2,}\s*(original message|исходное сообщение|forwarded message|"
    r"пересылаемое сообщение)\s*-{2,}\s*|.{0,200}\b(wrote|пишет|написал\(?а?\)?):\s*)$",
    re.IGNORECASE,
)
KEEP_RAW_BYTES = 2 * 1024 * 1024


@dataclass
class Result:
    status: InboundStatus
    reason: str = ""
    ticket: Ticket | None = None
    inbound: InboundMail | None = None
    duplicate: bool = False


# --- reading the message ---------------------------------------------------------------------


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=email_policy.default).parsebytes(raw)


def _header(msg: EmailMessage, name: str) -> str:
    """A header as one line of text; a malformed header reads as empty, never stops intake."""
    try:
        value = msg.get(name)
        return " ".join(str(value or "").split())
    except Exception:  # noqa: BLE001 - hostile mail may break the header parser in many ways
        return ""


def message_id_of(msg: EmailMessage, raw: bytes) -> str:
    """The Message-ID, or one derived from the bytes for a message without it."""
    found = _MSGID.search(_header(msg, "Message-ID"))
    if found:
        return found.group(0)[:250]
    return f"<sha256.{hashlib.sha256(raw).hexdigest()[:40]}@inbound.invalid>"


def referenced_ids(msg: EmailMessage) -> list[str]:
    """In-Reply-To first, then References from the newest back."""
    ids = _MSGID.findall(_header(msg, "In-Reply-To"))
    ids += list(reversed(_MSGID.findall(_header(msg, "References"))))
    return list(dict.fromkeys(i[:250] for i in ids))


def sender(msg: EmailMessage) -> tuple[str, str]:
    """(display name, address casefolded) of the From header."""
    name, address = parseaddr(_header(msg, "From"))
    return name[:200], address.strip().casefold()[:254]


def is_auto_reply(msg: EmailMessage) -> str | None:
    """Why this message is automatic (and must get no answer), or None."""
    auto = _header(msg, "Auto-Submitted").casefold()
    if auto and auto != "no":
        return "Auto-Submitted"
    for name in msg:
        if _AUTO_HEADERS.match(name) and name.casefold() != "x-auto-response-suppress":
            return name
    if _header(msg, "Precedence").casefold() in ("bulk", "junk", "list", "auto_reply"):
        return "Precedence"
    if _header(msg, "X-Precedence").casefold() in ("bulk", "junk", "auto_reply"):
        return "X-Precedence"
    if _header(msg, "List-Id") or _header(msg, "List-Unsubscribe"):
        return "mailing list"
    if msg.get_content_type() == "multipart/report":
        return "delivery report"
    _name, address = sender(msg)
    local = address.split("@")[0]
    if local in ("mailer-daemon", "postmaster") or local.startswith(("no-reply", "noreply")):
        return f"sender {local}"
    if _header(msg, "Return-Path") == "<>":
        return "empty Return-Path"
    if _AUTO_SUBJECT.match(_header(msg, "Subject")):
        return "subject"
    return None


def body_text(msg: EmailMessage) -> str:
    """The plain text of the message (the HTML part stripped of markup when that is all)."""
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace")
    if not isinstance(content, str):
        return ""
    if part.get_content_type() == "text/html":
        content = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", content)
        content = html.unescape(nh3.clean(content, tags=set()))
    return content.replace("\r\n", "\n").strip()


def strip_quoted(text: str) -> str:
    """The new part of a reply: the quoted history below it is cut off."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if index > 0 and _QUOTE_START.match(line):
            lines = lines[:index]
            break
    while lines and (lines[-1].startswith(">") or not lines[-1].strip()):
        lines.pop()
    new = "\n".join(lines).strip()
    return new or text.strip()


def file_parts(msg: EmailMessage) -> list[tuple[str, bytes]]:
    """(filename, bytes) of each attached file."""
    found = []
    for part in msg.iter_attachments():
        filename = part.get_filename()
        if not filename:
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            found.append((filename, payload))
    return found


# --- whose message is it ---------------------------------------------------------------------


def vendor_domains() -> list[str]:
    configured = current_app.config.get("HELPDESK_VENDOR_DOMAINS")
    if configured:
        return [d.casefold().lstrip("@") for d in configured]
    return [escalation.vendor_address().rsplit("@", 1)[-1].casefold()]


def is_vendor(address: str) -> bool:
    if not address or "@" not in address:
        return False
    if address == escalation.vendor_address().casefold():
        return True
    domain = address.rsplit("@", 1)[1]
    return any(domain == d or domain.endswith("." + d) for d in vendor_domains())


def is_requester(ticket: Ticket, address: str) -> bool:
    if not address:
        return False
    if ticket.contact_email and ticket.contact_email.casefold() == address:
        return True
    if ticket.requester_id:
        person = db.session.get(User, ticket.requester_id)
        return person is not None and (person.email or "").casefold() == address
    return False


def _own_addresses() -> set[str]:
    own = set()
    for key in ("HELPDESK_MAILBOX", "MAIL_SENDER"):
        try:
            own.add(mail.parse_address(current_app.config[key]).addr_spec.casefold())
        except (ValueError, KeyError):
            continue
    return own


def is_own(msg: EmailMessage, message_id: str, address: str) -> bool:
    """A message we sent ourselves, come back (a loop, or a copy to our own mailbox)."""
    from intranet.models import OutboxMessage

    if address in _own_addresses() or _header(msg, "X-Intranet-Ticket"):
        return True
    if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.message_id == message_id)):
        return True
    return bool(
        db.session.scalar(
            select(MailRef.id).where(
                MailRef.message_id == message_id, MailRef.direction == MailDirection.OUT
            )
        )
    )


# --- matching --------------------------------------------------------------------------------


@dataclass
class Match:
    ticket: Ticket
    by: str  # thread, tag, vendor_ref
    case: VendorCase | None = None


def find_ticket(msg: EmailMessage, address: str) -> tuple[Match | None, str]:
    """The ticket this message belongs to, and why not when none."""
    refs = referenced_ids(msg)
    if refs:
        row = db.session.execute(
            select(MailRef.ticket_id, MailRef.vendor_case_id)
            .where(MailRef.message_id.in_(refs))
            .order_by(MailRef.id.desc())
            .limit(1)
        ).first()
        if row is not None:
            ticket = db.session.get(Ticket, row.ticket_id)
            case = db.session.get(VendorCase, row.vendor_case_id) if row.vendor_case_id else None
            if ticket is not None:
                return Match(ticket, "thread", case), ""
    subject = _header(msg, "Subject")
    reason = "no reference, tag or vendor number"
    for number in dict.fromkeys(n.upper() for n in TAG.findall(subject)):
        ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
        if ticket is None:
            reason = f"tag {number}: no such ticket"
            continue
        if is_requester(ticket, address) or is_vendor(address):
            return Match(ticket, "tag", None), ""
        reason = f"tag {number} from an address that is neither the requester's nor the vendor's"
    if is_vendor(address):
        ref = escalation.find_vendor_ref(f"{subject}\n{body_text(msg)[:5000]}")
        if ref:
            case = db.session.scalar(
                select(VendorCase)
                .where(VendorCase.vendor_ref == ref)
                .order_by(VendorCase.id.desc())
                .limit(1)
            )
            if case is not None:
                ticket = db.session.get(Ticket, case.ticket_id)
                if ticket is not None:
                    return Match(ticket, "vendor_ref", case), ""
            reason = f"vendor reference {ref}: no such case"
    return None, reason


# --- intake ----------------------------------------------------------------------------------


def ingest(raw: bytes, *, now: datetime | None = None) -> Result:
    """Take in one message; the caller commits. Safe to call twice with the same message."""
    now = now or utcnow()
    limit = int(current_app.config["HELPDESK_INBOUND_MAX_BYTES"])
    too_big = len(raw) > limit
    msg = parse(raw[: 256 * 1024] if too_big else raw)
    message_id = message_id_of(msg, raw)
    name, address = sender(msg)
    subject = _header(msg, "Subject")[:300]
    existing = db.session.scalar(select(InboundMail).where(InboundMail.message_id == message_id))
    if existing is not None:
        return Result(existing.status, "duplicate", None, existing, duplicate=True)
    record = InboundMail(
        message_id=message_id,
        received_at=now,
        from_address=address,
        from_name=name,
        subject=subject,
        status=InboundStatus.UNMATCHED,
        size=len(raw),
    )
    try:
        with db.session.begin_nested():
            db.session.add(record)
            db.session.flush()
    except IntegrityError:  # the same message, ingested at this moment by another process
        existing = db.session.scalar(
            select(InboundMail).where(InboundMail.message_id == message_id)
        )
        return Result(InboundStatus.DROPPED, "duplicate", None, existing, duplicate=True)

    def finish(status: InboundStatus, reason: str, ticket: Ticket | None = None, by: str = ""):
        record.status = status
        record.reason = reason[:200]
        record.matched_by = by
        record.ticket_id = ticket.id if ticket else None
        if status is InboundStatus.UNMATCHED:
            record.raw = raw if len(raw) <= KEEP_RAW_BYTES else raw[:KEEP_RAW_BYTES]
        db.session.flush()
        return Result(status, reason, ticket, record)

    if is_own(msg, message_id, address):
        return finish(InboundStatus.DROPPED, "our own message")
    auto = is_auto_reply(msg)
    if auto:
        return finish(InboundStatus.DROPPED, f"automatic message ({auto})")
    if too_big:
        return finish(InboundStatus.UNMATCHED, "message too large to take in")
    match, why = find_ticket(msg, address)
    if match is None:
        return finish(InboundStatus.UNMATCHED, why)
    ticket = match.ticket
    text = strip_quoted(body_text(msg))
    files = file_parts(msg)
    label = f"{name} <{address}>" if name else address
    if is_vendor(address):
        case = match.case or escalation.open_case(ticket.id) or _latest_case(ticket.id)
        message = tickets.staff_note(
            ticket, body=text, kind=MessageKind.VENDOR_IN, author_label=label, now=now
        )
        _attach(message, files, staff_only=True)
        if case is not None:
            escalation.vendor_replied(case, ticket, subject=subject, body=text, now=now)
        notify.vendor_answered(ticket, message)
        remember_inbound(ticket, message_id, case)
        return finish(InboundStatus.MATCHED, "vendor", ticket, match.by)
    if is_requester(ticket, address):
        if ticket.status is TicketStatus.CLOSED:
            return finish(InboundStatus.UNMATCHED, f"{ticket.number} is closed", None)
        requester = db.session.get(User, ticket.requester_id) if ticket.requester_id else None
        message = tickets.requester_reply(
            ticket,
            actor=None,
            body=text or _("(empty message)"),
            source=MessageSource.EMAIL,
            author_label=requester.full_name if requester else (name or ticket.contact_name),
            now=now,
        )
        if requester is not None:
            message.author_id = requester.id
        _attach(message, files, staff_only=False)
        remember_inbound(ticket, message_id, None)
        return finish(InboundStatus.MATCHED, "requester", ticket, match.by)
    # A reply in the thread from someone else (a colleague in copy, an admin answering a
    # notification): the admins read it, the requester does not.
    message = tickets.staff_note(
        ticket, body=text, kind=MessageKind.INTERNAL, author_label=label, now=now
    )
    _attach(message, files, staff_only=True)
    remember_inbound(ticket, message_id, None)
    return finish(InboundStatus.MATCHED, "other sender in the thread", ticket, match.by)


def _latest_case(ticket_id: int) -> VendorCase | None:
    return db.session.scalar(
        select(VendorCase)
        .where(VendorCase.ticket_id == ticket_id)
        .order_by(VendorCase.id.desc())
        .limit(1)
    )


def _attach(message, files: list[tuple[str, bytes]], *, staff_only: bool) -> None:
    limit = int(current_app.config["HELPDESK_MAX_FILES"])
    for filename, content in files[:limit]:
        attachments.store_bytes(message, filename, content, staff_only=staff_only)


def remember_inbound(ticket: Ticket, message_id: str, case: VendorCase | None) -> None:
    """Later replies that quote this message find the ticket too."""
    if not db.session.scalar(select(MailRef.id).where(MailRef.message_id == message_id)):
        notify.remember(
            ticket,
            message_id,
            direction=MailDirection.IN,
            vendor_case_id=case.id if case else None,
        )


# --- the admins' list of unmatched mail ------------------------------------------------------


def _require(actor: User) -> None:
    if not policy.can(actor, "helpdesk.manage"):
        raise PermissionDenied(_("Only platform administrators handle the help-desk mail."))


def unmatched_query(status: InboundStatus | None = InboundStatus.UNMATCHED):
    query = select(InboundMail).order_by(InboundMail.received_at.desc(), InboundMail.id.desc())
    if status is not None:
        query = query.where(InboundMail.status == status)
    return query


def assign_to_ticket(
    record: InboundMail,
    ticket: Ticket,
    *,
    actor: User,
    as_requester: bool,
    now: datetime | None = None,
) -> None:
    """An admin attaches an unmatched message to a ticket (as the requester's or a note)."""
    _require(actor)
    now = now or utcnow()
    if record.status is not InboundStatus.UNMATCHED:
        raise InvalidTransition(_("This message has already been handled."))
    if record.raw is None:
        raise ValidationFailed(_("The message was too large to keep; ask the sender again."))
    msg = parse(record.raw)
    text = strip_quoted(body_text(msg))
    files = file_parts(msg)
    if as_requester:
        if ticket.status is TicketStatus.CLOSED:
            raise InvalidTransition(
                _("The request is closed; its requester's message goes to a new request.")
            )
        message = tickets.requester_reply(
            ticket,
            actor=None,
            body=text or _("(empty message)"),
            source=MessageSource.EMAIL,
            author_label=record.from_name or record.from_address,
            now=now,
        )
        _attach(message, files, staff_only=False)
    else:
        label = record.from_address
        if record.from_name:
            label = f"{record.from_name} <{record.from_address}>"
        message = tickets.staff_note(
            ticket, body=text, kind=MessageKind.INTERNAL, author_label=label, now=now
        )
        _attach(message, files, staff_only=True)
    record.status = InboundStatus.ASSIGNED
    record.ticket_id = ticket.id
    record.handled_by_id = actor.id
    record.handled_at = now
    record.raw = None
    remember_inbound(ticket, record.message_id, None)
    audit.record(
        "helpdesk.mail_assigned",
        actor=actor,
        obj=ticket,
        summary=f"{record.message_id} → {ticket.number}",
        public=as_requester,
    )


def discard(record: InboundMail, *, actor: User, now: datetime | None = None) -> None:
    """An admin throws an unmatched message away (spam, a mistake)."""
    _require(actor)
    if record.status is not InboundStatus.UNMATCHED:
        raise InvalidTransition(_("This message has already been handled."))
    record.status = InboundStatus.DISCARDED
    record.handled_by_id = actor.id
    record.handled_at = now or utcnow()
    record.raw = None
    audit.record(
        "helpdesk.mail_discarded",
        actor=actor,
        obj=record,
        summary=f"{record.from_address}: {record.subject}"[:300],
    )


def preview_text(record: InboundMail) -> tuple[str, list[str]]:
    """The text and the attachment names of a stored message, for the admin to read."""
    if record.raw is None:
        return "", []
    msg = parse(record.raw)
    return body_text(msg), [name for name, _content in file_parts(msg)]
