"""The Atom feed of a channel open to everyone (RFC 4287), with a strong ETag."""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from datetime import UTC, datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from flask import current_app

from intranet.models import Announcement, AnnouncementStatus, Channel
from intranet.services import markdown

NS = "http://www.w3.org/2005/Atom"


# Characters XML 1.0 does not allow (a NUL typed into a title would make the feed unreadable
# to every reader): left out of the feed's text.
_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def updated_at(a: Announcement) -> datetime:
    return max(d for d in (a.published_at, a.corrected_at, a.cancelled_at) if d is not None)


def fingerprint(channel: Channel, state: list[tuple], locale: str) -> str:
    """Changes whenever anything the feed shows changes: the channel, or any entry's
    version (every transition bumps it), live revision or status; and the language."""
    digest = hashlib.sha256(f"{channel.id}|{channel.updated_at}|{locale}".encode())
    for row in state:
        digest.update("|".join(str(v) for v in row).encode())
    return digest.hexdigest()[:32]


# Rendered feeds by (channel, fingerprint): a feed is built once per change, not per poll.
_RENDERED: OrderedDict[tuple[int, str], bytes] = OrderedDict()
_RENDERED_MAX = 64
_lock = threading.Lock()


def cached(channel_id: int, etag: str) -> bytes | None:
    with _lock:
        body = _RENDERED.get((channel_id, etag))
        if body is not None:
            _RENDERED.move_to_end((channel_id, etag))
        return body


def remember(channel_id: int, etag: str, body: bytes) -> None:
    with _lock:
        _RENDERED[(channel_id, etag)] = body
        while len(_RENDERED) > _RENDERED_MAX:
            _RENDERED.popitem(last=False)


def build(
    channel: Channel,
    entries: list[Announcement],
    *,
    self_url: str,
    page_url: str,
    entry_url,
    labels: dict[str, str],
) -> bytes:
    """The feed's bytes. Titles and content are text to the XML writer (escaped), and the
    content is the cleaned HTML of the live revision."""
    base = current_app.config["BASE_URL"].rstrip("/")
    host = urlsplit(base).hostname or "localhost"
    ET.register_namespace("", NS)
    feed = ET.Element(f"{{{NS}}}feed")
    ET.SubElement(feed, f"{{{NS}}}id").text = f"tag:{host},2026:channel:{channel.id}"
    ET.SubElement(feed, f"{{{NS}}}title").text = channel.name
    if channel.description:
        ET.SubElement(feed, f"{{{NS}}}subtitle").text = channel.description
    stamps = [updated_at(a) for a in entries] or [channel.updated_at or channel.created_at]
    ET.SubElement(feed, f"{{{NS}}}updated").text = _stamp(max(stamps))
    ET.SubElement(feed, f"{{{NS}}}link", rel="self", href=self_url)
    ET.SubElement(feed, f"{{{NS}}}link", rel="alternate", type="text/html", href=page_url)
    for a in entries:
        revision = a.live_revision
        entry = ET.SubElement(feed, f"{{{NS}}}entry")
        ET.SubElement(entry, f"{{{NS}}}id").text = f"tag:{host},2026:announcement:{a.id}"
        title = revision.title
        if a.status is AnnouncementStatus.CANCELLED:
            title = f"{labels['cancelled']}: {title}"
        elif a.corrected_at is not None:
            title = f"{title} ({labels['corrected']})"
        ET.SubElement(entry, f"{{{NS}}}title").text = title
        ET.SubElement(entry, f"{{{NS}}}published").text = _stamp(a.published_at)
        ET.SubElement(entry, f"{{{NS}}}updated").text = _stamp(updated_at(a))
        ET.SubElement(entry, f"{{{NS}}}link", rel="alternate", type="text/html", href=entry_url(a))
        html = markdown.absolutize(revision.body_html, base)
        if a.status is AnnouncementStatus.CANCELLED and a.cancel_reason:
            html = f"<p><strong>{_escape(labels['cancelled'])}:</strong> {_escape(a.cancel_reason)}</p>{html}"
        ET.SubElement(entry, f"{{{NS}}}content", type="html").text = html
    for element in feed.iter():
        if element.text:
            element.text = _XML_INVALID.sub("", element.text)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
