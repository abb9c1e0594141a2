"""Building messages: EmailMessage with text, HTML, calendar and attachment parts; safe
headers (control characters and line breaks never reach a header); links from BASE_URL."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.headerregistry import Address, AddressHeader, UnstructuredHeader
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, formataddr, getaddresses
from typing import Any

from flask import current_app, render_template
from jinja2 import TemplateNotFound

from intranet.models import User


class _Policy(EmailPolicy):
    """The SMTP policy, but non-ASCII address and text headers are written by the legacy
    encoder (RFC 2047): the email package's own refolding of a Cyrillic display name costs
    several milliseconds per header, too slow for a thousand announcements. Parsing and
    checking the headers (no line breaks: no injection) stay the modern policy's."""

    def fold(self, name: str, value: Any) -> str:
        fast = _fast_fold(name, value, self.linesep)
        return fast if fast is not None else super().fold(name, value)

    def fold_binary(self, name: str, value: Any) -> bytes:
        fast = _fast_fold(name, value, self.linesep)
        return fast.encode("ascii") if fast is not None else super().fold_binary(name, value)


def _fast_fold(name: str, value: Any, linesep: str) -> str | None:
    if str(value).isascii():
        return None
    if isinstance(value, UnstructuredHeader):
        text = Header(str(value), "utf-8", header_name=name).encode(linesep=linesep)
        return f"{name}: {text}{linesep}"
    if isinstance(value, AddressHeader):
        if any(g.display_name is not None for g in value.groups):
            return None
        if not all(a.addr_spec.isascii() for a in value.addresses):
            return None
        tokens: list[str] = []
        last = len(value.addresses) - 1
        for index, item in enumerate(value.addresses):
            phrase = item.display_name
            if phrase and not phrase.isascii():
                words = Header(phrase, "utf-8").encode(linesep="\n").split()
                words.append(f"<{item.addr_spec}>")
            else:
                words = [formataddr((phrase, item.addr_spec))]
            if index < last:
                words[-1] += ","
            tokens.extend(words)
        lines, current = [], f"{name}:"
        for token in tokens:  # fold between words, never inside one
            if len(current) + 1 + len(token) > 78:
                lines.append(current)
                current = ""
            current += " " + token
        return linesep.join([*lines, current]) + linesep
    return None


# CRLF line ends as SMTP wants them; 7bit so Russian text is base64 and any server takes it.
POLICY = _Policy(linesep="\r\n", cte_type="7bit")
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
