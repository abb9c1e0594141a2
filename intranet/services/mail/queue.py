"""queue_mail: render a message now and write it to the outbox in the caller's transaction."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from email.headerregistry import Address
from typing import Any

from flask import current_app
from flask_babel import force_locale

from intranet.extensions import db
from intranet.models import OutboxMessage, User
from intranet.models.base import fold, utcnow
from intranet.services.mail.kinds import accepting, get_kind
from intranet.services.mail.message import (
    POLICY,
    Attachment,
    CalendarPart,
    Recipient,
    address,
    build_message,
    clean_header,
    external_url,
    new_message_id,
    parse_address,
    render_parts,
)

log = logging.getLogger("intranet.mail")


def queue_mail(
    kind: str,
    to: Recipient | Sequence[Recipient],
    subject: Any,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    cc: Sequence[Recipient] = (),
    reply_to: Recipient | None = None,
    attachments: Sequence[Attachment] = (),
    calendar: CalendarPart | None = None,
    headers: Mapping[str, str] | None = None,
    message_id: str | None = None,
    locale: str | None = None,
    send_after: datetime | None = None,
) -> OutboxMessage | None:
    """Write one message to the outbox in the caller's transaction (sent after commit).

    `to`/`cc` take users, Address objects or "Name <address>" strings. People without
    an address, disabled accounts and those who switched this kind off are left out; when
    nobody is left, nothing is queued and None is returned. `subject` may be a lazy string:
    it is rendered with the templates email/<template>.txt and .html in the language of the
    first person addressed (or `locale`). `send_after` holds the message until then;
    `message_id` (from new_message_id(tag)) lets a reply be matched to what was sent.
    """
    spec = get_kind(kind)
    to_list = _as_list(to)
    cc_list = _as_list(cc)
    users = [r for r in (*to_list, *cc_list) if isinstance(r, User)]
    welcome = accepting(kind, [u.id for u in users if u.is_active and u.email])
    to_addrs = _addresses(to_list, welcome)
    cc_addrs = _addresses(cc_list, welcome)
    if not to_addrs:
        return None
    locale = locale or next((u.locale for u in users if u.id in welcome), None)
    locale = locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    sender = parse_address(current_app.config["MAIL_SENDER"])
    message_id = message_id or new_message_id()
    now = utcnow()
    values = {
        "kind": spec,
        "settings_url": external_url("auth.mail_settings") if spec.optional else None,
        "base_url": current_app.config["BASE_URL"].rstrip("/"),
        **(context or {}),
    }
    with force_locale(locale):
        subject_text = clean_header(subject)
        text, html = render_parts(template, {"subject": subject_text, "lang": locale, **values})
    msg = build_message(
        sender=sender,
        to=to_addrs,
        subject=subject_text,
        text=text,
        html=html,
        cc=cc_addrs,
        reply_to=_one_address(reply_to) if reply_to is not None else None,
        message_id=message_id,
        date=now,
        attachments=attachments,
        calendar=calendar,
        headers=headers,
    )
    raw = msg.as_bytes(policy=POLICY)
    envelope = [a.addr_spec for a in (*to_addrs, *cc_addrs)]
    row = OutboxMessage(
        message_id=message_id,
        kind=kind,
        sender=sender.addr_spec,
        recipients=list(dict.fromkeys(envelope)),
        subject=subject_text,
        search_key=fold(" ".join([subject_text, *map(str, (*to_addrs, *cc_addrs))]))[:1200],
        raw=raw,
        size=len(raw),
        created_at=now,
        next_attempt_at=max(send_after, now) if send_after else now,
    )
    db.session.add(row)
    db.session.flush()
    return row


def _as_list(value: Recipient | Sequence[Recipient] | None) -> list[Recipient]:
    if value is None:
        return []
    if isinstance(value, User | Address | str):
        return [value]
    return list(value)


def _addresses(recipients: Iterable[Recipient], welcome: set[int]) -> list[Address]:
    result = []
    for r in recipients:
        if not isinstance(r, User):
            result.append(parse_address(r))  # the caller's own value: refused if malformed
        elif r.id in welcome:
            try:
                result.append(address(r.full_name, r.email or ""))
            except ValueError:
                # A stored address that is not one (an old import): the others still get it.
                log.warning("user %s has an unusable e-mail address; left out", r.id)
    return result


def _one_address(value: Recipient) -> Address:
    if isinstance(value, User):
        return address(value.full_name, value.email or "")
    return parse_address(value)
