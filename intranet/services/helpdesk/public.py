"""The public form's defences against automation, without a third-party captcha.

Three checks besides the per-address rate limit on the route: a field people never see
(bots fill every field), a signed timestamp handed out with the form (a person needs a
few seconds; a replayed or forged form fails the signature), and a limit per e-mail or
phone so one address cannot flood the queue from many networks.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _

from intranet.models.helpdesk import Ticket
from intranet.services import throttle
from intranet.services.errors import ValidationFailed
from intranet.services.helpdesk import tickets
from intranet.services.security import make_token, read_token

log = logging.getLogger("intranet.helpdesk")
PURPOSE = "helpdesk.form"
FORM_MAX_AGE = 24 * 3600


class Refused(ValidationFailed):
    """The submission looks automated; the person sees a neutral message and a fresh form."""


def form_token(now: float | None = None) -> str:
    """A signed timestamp to put in the form."""
    return make_token(PURPOSE, int(now if now is not None else time.time()))


def _contact_keys(contact: tickets.Contact) -> list[str]:
    keys = []
    if contact.email:
        keys.append(contact.email.strip().casefold())
    if contact.phone:
        keys.append("".join(ch for ch in contact.phone if ch.isdigit())[-10:])
    return [k for k in keys if k]


def check(
    *, started: str, honeypot: str, contact: tickets.Contact, now: float | None = None
) -> None:
    """Raise Refused for a submission that looks automated or comes too often."""
    now = now if now is not None else time.time()
    if (honeypot or "").strip():
        log.info("helpdesk: public form refused (hidden field filled)")
        raise Refused(_("We could not accept the form. Check it and send it again."))
    found = read_token(PURPOSE, started or "", max_age=FORM_MAX_AGE)
    if found is None:
        raise Refused(_("The form has expired. Please check it and send it again."))
    issued, _version = found
    if now - issued < float(current_app.config["HELPDESK_PUBLIC_MIN_FILL_SECONDS"]):
        log.info("helpdesk: public form refused (sent %.1f s after loading)", now - issued)
        raise Refused(_("We could not accept the form. Check it and send it again."))
    for key in _contact_keys(contact):
        if throttle.is_blocked("HELPDESK_PUBLIC_PER_CONTACT", "helpdesk-contact", key):
            raise ValidationFailed(
                _(
                    "Many requests have come from this address today. We will answer the ones"
                    " you sent; if it is urgent, call the college."
                ),
                "contact_email",
            )


def file_public_ticket(
    data: tickets.NewTicket,
    *,
    started: str,
    honeypot: str,
    now: datetime | None = None,
    clock: float | None = None,
) -> Ticket:
    """File a ticket from the public form after the automation checks."""
    check(started=started, honeypot=honeypot, contact=data.contact, now=clock)
    ticket = tickets.file_ticket(data, requester=None, now=now)
    for key in _contact_keys(data.contact):
        throttle.count_failure("HELPDESK_PUBLIC_PER_CONTACT", "helpdesk-contact", key)
    return ticket
