"""Outgoing mail: what other areas call to send e-mail.

    from intranet.services import mail

    mail.queue_mail("helpdesk.ticket", user, _l("Your request %(n)s", n=...), "ticket_reply",
                    {"ticket": ticket}, reply_to=..., attachments=[mail.Attachment(...)])

`queue_mail` renders the message now (in the recipient's language, from the templates
email/<name>.txt and .html) and writes it to the outbox in the caller's transaction: if that
transaction rolls back, nothing is sent. The worker (intranet/worker.py) delivers it after
the commit. Modules: kinds (kinds of mail and preferences), message (building), queue,
transport (SMTP or files), delivery (the worker's side), admin (the «Почта» page).
"""

from intranet.services.mail.kinds import (
    MAIL_KINDS,
    MailKind,
    accepting,
    kinds_for,
    preferences,
    register_kind,
    save_preferences,
)
from intranet.services.mail.message import (
    Attachment,
    CalendarPart,
    Recipient,
    address,
    build_message,
    clean_header,
    external_url,
    new_message_id,
    parse_address,
)
from intranet.services.mail.queue import queue_mail

__all__ = [
    "MAIL_KINDS",
    "Attachment",
    "CalendarPart",
    "MailKind",
    "Recipient",
    "accepting",
    "address",
    "build_message",
    "clean_header",
    "external_url",
    "kinds_for",
    "new_message_id",
    "parse_address",
    "preferences",
    "queue_mail",
    "register_kind",
    "save_preferences",
]
