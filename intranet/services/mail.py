"""Outgoing mail: kinds and preferences, building messages, and queueing them in the outbox.

`queue_mail` renders the message now (in the recipient's language) and writes it as an
`OutboxMessage` in the caller's transaction: if that transaction rolls back, nothing is sent.
The worker (intranet/worker.py) delivers the stored bytes after the commit.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy as email_policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from jinja2 import TemplateNotFound
from sqlalchemy import select

from intranet.extensions import db
from intranet.models import MailPreference, OutboxMessage, Role, User
from intranet.models.base import fold, utcnow

# CRLF line ends as SMTP wants them; 7bit so Russian text is base64 and any server takes it.
POLICY = email_policy.SMTP.clone(cte_type="7bit")
SUBJECT_MAX = 300
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")
_RESERVED_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "sender",
        "reply-to",
        "auto-submitted",
    }
)


# --- kinds of mail and each person's choice --------------------------------------------------


@dataclass(frozen=True)
class MailKind:
    """A kind of mail. Optional kinds can be switched off in the profile; required ones
    (security, the person's own requests) are always sent."""

    key: str
    label: Any  # a lazy string
    optional: bool = True
    default: bool = True
    roles: frozenset[Role] | None = None  # who is offered the setting; None: everyone


MAIL_KINDS: dict[str, MailKind] = {}


def register_kind(
    key: str,
    label: Any,
    *,
    optional: bool = True,
    default: bool = True,
    roles: Iterable[Role] | None = None,
) -> MailKind:
    """Declare a kind of mail (at import time of the service that sends it)."""
    kind = MailKind(key, label, optional, default, frozenset(roles) if roles else None)
    MAIL_KINDS[key] = kind
    return kind


# The kinds of every area, so the profile offers them all in one list. Areas that send a new
# kind add it here (or call register_kind from their own service module).
register_kind("account.password_reset", _l("Password reset links"), optional=False)
register_kind(
    "mail.test", _l("Test messages from the «Mail» page"), optional=False, roles=[Role.ADMIN]
)
register_kind(
    "channels.announcement", _l("New announcements in the channels you follow"), default=True
)
register_kind(
    "events.invitation",
    _l("Invitations to events and notices of changes or cancellations"),
    default=True,
)
register_kind("events.reminder", _l("Reminders before events you take part in"), default=True)
register_kind("helpdesk.ticket", _l("Answers and status changes of your help-desk requests"))
register_kind(
    "helpdesk.queue",
    _l("New requests in the help-desk queue"),
    default=True,
    roles=[Role.ADMIN],
)


def kinds_for(user: User) -> list[MailKind]:
    """The kinds of mail this person may receive, optional ones offered in the profile."""
    roles = user.role_set
    return [k for k in MAIL_KINDS.values() if k.roles is None or roles & k.roles]


def preferences(user: User) -> dict[str, bool]:
    """kind → whether this person receives it, for every kind offered to them."""
    saved = dict(
        db.session.execute(
            select(MailPreference.kind, MailPreference.is_enabled).where(
                MailPreference.user_id == user.id
            )
        ).all()
    )
    return {k.key: (saved.get(k.key, k.default) if k.optional else True) for k in kinds_for(user)}


def save_preferences(user: User, choices: Mapping[str, bool]) -> None:
    """Store the person's choice for each optional kind offered to them."""
    existing = {
        p.kind: p
        for p in db.session.scalars(select(MailPreference).where(MailPreference.user_id == user.id))
    }
    for kind in kinds_for(user):
        if not kind.optional or kind.key not in choices:
            continue
        row = existing.get(kind.key)
        if row is None:
            db.session.add(
                MailPreference(user_id=user.id, kind=kind.key, is_enabled=bool(choices[kind.key]))
            )
        else:
            row.is_enabled = bool(choices[kind.key])
    db.session.flush()


def accepting(kind: str, user_ids: Iterable[int]) -> set[int]:
    """Those of these people who receive this kind of mail (one query)."""
    spec = _kind(kind)
    ids = set(user_ids)
    if not spec.optional or not ids:
        return ids
    rows = db.session.execute(
        select(MailPreference.user_id, MailPreference.is_enabled).where(
            MailPreference.kind == kind, MailPreference.user_id.in_(ids)
        )
    ).all()
    chosen = dict(rows)
    return {uid for uid in ids if chosen.get(uid, spec.default)}


def _kind(key: str) -> MailKind:
    try:
        return MAIL_KINDS[key]
    except KeyError:
        raise ValueError(f"unknown kind of mail {key!r}: declare it with register_kind") from None


# --- building --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str = "application/octet-stream"


@dataclass(frozen=True)
class CalendarPart:
    """An iCalendar invitation: METHOD inside the data must match `method`."""

    ics: str | bytes
    method: str = "REQUEST"  # REQUEST, CANCEL or PUBLISH
    filename: str = "invite.ics"


Recipient = User | Address | str  # a person, an Address, or "Name <address>"


def clean_header(value: Any, limit: int = SUBJECT_MAX) -> str:
    """One line of text for a header: control characters and line breaks become spaces."""
    text = _CONTROL.sub(" ", str(value or ""))
    return " ".join(text.split())[:limit]


def address(name: str, addr: str) -> Address:
    """An Address with a cleaned display name; ValueError for a malformed address."""
    addr = (addr or "").strip()
    if _CONTROL.search(addr) or addr.count("@") != 1 or any(c in addr for c in ' <>,;"()'):
        raise ValueError(f"not a single e-mail address: {addr!r}")
    local, domain = addr.split("@")
    if not local or not domain or "." not in domain:
        raise ValueError(f"not a single e-mail address: {addr!r}")
    return Address(display_name=clean_header(name, 120), addr_spec=addr)


def parse_address(value: str | Address) -> Address:
    """A "Name <a@b>" or "a@b" string, or an Address: one Address, checked and cleaned."""
    if isinstance(value, Address):
        return address(value.display_name, value.addr_spec)
    text = str(value)
    if _CONTROL.search(text):
        raise ValueError(f"line breaks in an address: {text!r}")
    parsed = getaddresses([text])
    if len(parsed) != 1 or not parsed[0][1]:
        raise ValueError(f"not a single e-mail address: {text!r}")
    return address(*parsed[0])


def new_message_id(tag: str = "outbox") -> str:
    """A fresh Message-ID in the sender's domain; `tag` lets replies be recognised."""
    sender = parse_address(current_app.config["MAIL_SENDER"])
    tag = re.sub(r"[^A-Za-z0-9.-]", "", tag)[:40] or "outbox"
    return f"<{tag}.{secrets.token_hex(12)}@{sender.domain}>"


def build_message(
    *,
    sender: Address,
    to: Sequence[Address],
    subject: str,
    text: str,
    html: str | None = None,
    cc: Sequence[Address] = (),
    reply_to: Address | None = None,
    message_id: str,
    date: datetime,
    attachments: Sequence[Attachment] = (),
    calendar: CalendarPart | None = None,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """An EmailMessage: text and HTML alternatives, calendar part, attachments."""
    msg = EmailMessage(policy=POLICY)
    msg["From"] = sender
    msg["To"] = list(to)
    if cc:
        msg["Cc"] = list(cc)
    if reply_to is not None:
        msg["Reply-To"] = reply_to
    msg["Subject"] = clean_header(subject)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    for name, value in (headers or {}).items():
        name = clean_header(name, 60)
        if name.lower() in _RESERVED_HEADERS or not re.fullmatch(r"[A-Za-z0-9-]+", name):
            raise ValueError(f"header {name!r} cannot be set this way")
        msg[name] = clean_header(value, 900)
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    if calendar is not None:
        method = calendar.method.upper()
        if method not in ("REQUEST", "CANCEL", "PUBLISH"):
            raise ValueError(f"calendar method {method!r}")
        ics = calendar.ics.decode() if isinstance(calendar.ics, bytes) else calendar.ics
        msg.add_alternative(ics, subtype="calendar", params={"method": method})
        msg.add_attachment(
            ics.encode(), maintype="application", subtype="ics", filename=calendar.filename
        )
    for item in attachments:
        maintype, _, subtype = item.mimetype.partition("/")
        msg.add_attachment(
            item.content,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=clean_header(item.filename, 200) or "attachment",
        )
    return msg


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for mail, from BASE_URL (never the request's Host header)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["BASE_URL"].rstrip("/") + path


def render_parts(template: str, context: Mapping[str, Any]) -> tuple[str, str | None]:
    """The text part from email/<template>.txt and the HTML part from .html, if it exists."""
    text = render_template(f"email/{template}.txt", **context)
    try:
        html = render_template(f"email/{template}.html", **context)
    except TemplateNotFound as error:
        if error.name != f"email/{template}.html":
            raise
        html = None
    return text, html


# --- queueing --------------------------------------------------------------------------------


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
    first person addressed (or `locale`).
    """
    spec = _kind(kind)
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
        if isinstance(r, User):
            if r.id in welcome:
                result.append(address(r.full_name, r.email or ""))
        else:
            result.append(parse_address(r))
    return result


def _one_address(value: Recipient) -> Address:
    if isinstance(value, User):
        return address(value.full_name, value.email or "")
    return parse_address(value)
