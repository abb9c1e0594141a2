"""Help-desk mail: what requesters, admins and the vendor receive, threaded by ticket.

Every message carries the ticket's tag in the subject ([HD-2026-00042]), a Message-ID
recorded in the ticket's thread (MailRef), and Reply-To the help-desk mailbox, so the answer
comes back to the ticket. Nothing is sent here: rows go to the outbox in the caller's
transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.headerregistry import Address

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from intranet.extensions import db
from intranet.models import Role, User
from intranet.models.helpdesk import MailDirection, MailRef, Ticket, TicketMessage
from intranet.services import mail
from intranet.services.mail import register_kind

register_kind(
    "helpdesk.sla",
    _l("Help-desk requests due soon or overdue"),
    default=True,
    roles=[Role.ADMIN],
)
register_kind(
    "helpdesk.vendor",
    _l("Forwards to the platform's technical support"),
    optional=False,
    roles=[Role.ADMIN],
)


def mailbox() -> Address:
    """The help-desk mailbox that replies go to."""
    return mail.parse_address(current_app.config["HELPDESK_MAILBOX"])


def tag(ticket: Ticket) -> str:
    return f"[{ticket.number}]"


def message_id_for(ticket: Ticket) -> str:
    """A fresh Message-ID that names the ticket (hd<id>), recorded in its thread."""
    return mail.new_message_id(f"hd{ticket.id}")


def remember(
    ticket: Ticket, message_id: str, *, direction: MailDirection, vendor_case_id: int | None = None
) -> None:
    """Record a Message-ID as part of the ticket's thread."""
    db.session.add(
        MailRef(
            message_id=message_id,
            ticket_id=ticket.id,
            vendor_case_id=vendor_case_id,
            direction=direction,
        )
    )


def _thread_headers(ticket: Ticket, *, vendor_case_id: int | None = None) -> dict[str, str]:
    """In-Reply-To/References to the thread's first message, so mail clients thread it."""
    query = select(MailRef.message_id).where(MailRef.ticket_id == ticket.id)
    if vendor_case_id is None:
        query = query.where(MailRef.vendor_case_id.is_(None))
    else:
        query = query.where(MailRef.vendor_case_id == vendor_case_id)
    root = db.session.scalar(query.order_by(MailRef.id).limit(1))
    if root is None:
        return {"X-Intranet-Ticket": ticket.number}
    return {"In-Reply-To": root, "References": root, "X-Intranet-Ticket": ticket.number}


def requester_recipient(ticket: Ticket) -> User | Address | None:
    """Where the requester's mail goes: their account (so their settings apply) or the
    address they left on the public form; None when there is no e-mail address."""
    requester = db.session.get(User, ticket.requester_id) if ticket.requester_id else None
    email = ticket.contact_email
    if requester is not None and (not email or email == (requester.email or "").casefold()):
        return requester if requester.email else None
    if not email:
        return None
    try:
        return mail.address(ticket.contact_name, email)
    except ValueError:
        return None


def ticket_link(ticket: Ticket) -> str:
    """The link a requester follows: the ticket page, or the signed link for a public one."""
    if ticket.requester_id is None:
        from intranet.services.helpdesk.tickets import public_token

        return mail.external_url("helpdesk.public_ticket", token=public_token(ticket))
    return mail.external_url("helpdesk.ticket", ticket_id=ticket.id)


def staff_link(ticket: Ticket) -> str:
    return mail.external_url("helpdesk.ticket", ticket_id=ticket.id)


def _to_requester(
    ticket: Ticket, subject, template: str, context: dict, *, locale: str | None = None
) -> str | None:
    to = requester_recipient(ticket)
    if to is None:
        return None
    message_id = message_id_for(ticket)
    row = mail.queue_mail(
        "helpdesk.ticket",
        to,
        subject,
        template,
        {"ticket": ticket, "link": ticket_link(ticket), **context},
        reply_to=mailbox(),
        headers=_thread_headers(ticket),
        message_id=message_id,
        locale=locale,
    )
    if row is None:
        return None
    remember(ticket, message_id, direction=MailDirection.OUT)
    return message_id


def _to_staff(
    ticket: Ticket, recipients: Sequence[User], subject, template: str, context: dict
) -> None:
    """One message per administrator, in each one's language and by their settings."""
    for person in recipients:
        message_id = message_id_for(ticket)
        row = mail.queue_mail(
            "helpdesk.queue",
            person,
            subject,
            template,
            {"ticket": ticket, "link": staff_link(ticket), "person": person, **context},
            reply_to=mailbox(),
            headers={"X-Intranet-Ticket": ticket.number},
            message_id=message_id,
        )
        if row is not None:
            remember(ticket, message_id, direction=MailDirection.OUT)


def ticket_filed(ticket: Ticket, *, requester: User | None) -> None:
    """Acknowledge the request to the requester and announce it to the admins."""
    _to_requester(
        ticket,
        _l("%(tag)s Your request is registered", tag=tag(ticket)),
        "helpdesk_filed",
        {},
    )
    from intranet.services.helpdesk.tickets import admins

    _to_staff(
        ticket,
        admins(),
        _l("%(tag)s New request: %(subject)s", tag=tag(ticket), subject=ticket.subject),
        "helpdesk_new_ticket",
        {},
    )


def public_reply(ticket: Ticket, message: TicketMessage) -> None:
    """Mail an admin's public answer to the requester."""
    _to_requester(
        ticket,
        _l("%(tag)s Answer to your request: %(subject)s", tag=tag(ticket), subject=ticket.subject),
        "helpdesk_reply",
        {"message": message},
    )


def ticket_resolved(ticket: Ticket) -> None:
    _to_requester(
        ticket,
        _l("%(tag)s Your request is resolved", tag=tag(ticket)),
        "helpdesk_resolved",
        {},
    )


def requester_wrote(ticket: Ticket, message: TicketMessage) -> None:
    """Tell the assignee (or, for a ticket nobody has, every admin) that the requester wrote."""
    from intranet.services.helpdesk.tickets import admins

    if ticket.assignee_id is not None:
        assignee = db.session.get(User, ticket.assignee_id)
        recipients = [assignee] if assignee is not None else admins()
    else:
        recipients = admins()
    _to_staff(
        ticket,
        recipients,
        _l("%(tag)s The requester wrote: %(subject)s", tag=tag(ticket), subject=ticket.subject),
        "helpdesk_requester_wrote",
        {"message": message},
    )


def vendor_answered(ticket: Ticket, message: TicketMessage) -> None:
    """Tell the assignee (or every admin) that the vendor's support answered."""
    from intranet.services.helpdesk.tickets import admins

    assignee = db.session.get(User, ticket.assignee_id) if ticket.assignee_id else None
    _to_staff(
        ticket,
        [assignee] if assignee is not None else admins(),
        _l("%(tag)s The vendor answered: %(subject)s", tag=tag(ticket), subject=ticket.subject),
        "helpdesk_vendor_answered",
        {"message": message},
    )


def sla_digest(
    person: User, due_soon: list[Ticket], overdue: list[Ticket], proposed: list[Ticket]
) -> None:
    """One message per administrator per sweep: what has become due soon or overdue."""
    mail.queue_mail(
        "helpdesk.sla",
        person,
        _l("Help desk: requests that need attention"),
        "helpdesk_sla",
        {
            "person": person,
            "due_soon": due_soon,
            "overdue": overdue,
            "proposed": proposed,
            "queue_link": mail.external_url("helpdesk.queue"),
            "links": {t.id: staff_link(t) for t in (*due_soon, *overdue, *proposed)},
        },
    )
