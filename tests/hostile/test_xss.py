"""An XSS corpus in every text that is shown: pages, Atom and iCalendar feeds, e-mails, CSV.

The world of the permission matrix (people, groups, departments, specialities, disciplines,
channels and announcements with their revisions and review decisions, events with sessions,
occurrences, people and feeds, help-desk tickets with messages, attachments, incidents,
articles, canned replies, inbound mail and vendor cases, chats, councils and clubs with
members, documents, movements, invitations and join requests, platform snapshots, audit
events, the outbox) is built, then every displayed text column of every row is overwritten
with hostile text (POISONED below: markup that would run, template syntax, a formula
prefix, an RTL override, zero-width characters, and in long texts a NUL byte and 10,000
characters; URL columns get `javascript:alert(1)`). Then:

- every GET route of app.url_map (the matrix's paths) is fetched as admin and as the subject
  the matrix lets in: HTML pages carry no live markup from the data (no <script> that is not
  ours, no on*= handler, no javascript: URL) and never the raw payload; Atom feeds
  (/channels/<id>/feed.atom) parse as XML and iCalendar feeds (/feeds/<token>.ics,
  /events/<id>/event.ics) as iCalendar, with the text present only escaped; CSV exports
  (people, audit log, movement, help-desk and statistics reports) have no cell a spreadsheet
  would run (= + - @ first) other than neutralised by intranet/services/csvexport.py;
- every unsafe route is posted once with the matrix's data and with every recorded field
  hostile, and each e-mail the outbox then holds (intranet.services.mail renders them at
  queueing) is parsed: its HTML parts carry no live markup, its headers no line breaks.
"""

from __future__ import annotations

import csv
import email
import email.policy
import io
import json
from xml.etree import ElementTree as ET

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from intranet.extensions import db
from intranet.models import OutboxMessage
from intranet.services import markdown
from tests.hostile.support import (
    IMG,
    SCRIPT,
    become,
    build_routes,
    crash_log,
    live_markup,
    rolled_back,
    subject_for,
)

PAYLOAD = (
    '=1+"><img src=x onerror=alert(1)><script>alert(1)</script>'
    "{{7*7}}{%print(7*7)%}\u202egpj.exe\u200b\u200d\ufeff"
)
LONG = PAYLOAD + "\x00" + "Я" * 10_000
URL = "javascript:alert(1)"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# table → the columns shown somewhere (URL columns get a javascript: URL).
POISONED = {
    "user": ["last_name", "first_name", "middle_name"],
    "organisation": ["full_name", "short_name", "address", "admin_contact"],
    "department": ["name"],
    "speciality": ["name"],
    "discipline": ["name"],
    "room": ["name", "building", "note"],
    "channel": ["name", "description", "sferum_url"],
    "announcement": ["cancel_reason", "sferum_url"],
    "revision": ["title", "body"],
    "review_decision": ["comment", "suggested_text"],
    "audit_event": ["summary"],
    "event": ["title", "description", "location", "stream_url", "cancel_reason"],
    "event_session": ["label", "location"],
    "event_occurrence": ["location"],
    "event_person": ["name", "organisation"],
    "competition": ["competency", "site"],
    "demo_exam": ["kod", "site"],
    "extracurricular_group": ["name", "description", "schedule"],
    "council": ["name", "description"],
    "council_member": ["position"],
    "guardian": ["relation"],
    "enrollment": ["reason"],
    "movement": ["comment"],
    "admin_appointment": ["comment"],
    "document": ["title", "note"],
    "invitation": ["note"],
    "join_request": ["relation", "reason"],
    "chat": ["title", "notes", "invite_url"],
    "platform_snapshot": ["note"],
    "helpdesk_ticket": ["subject", "contact_name"],
    "helpdesk_message": ["author_label", "body"],
    "helpdesk_attachment": ["filename"],
    "upload": ["original_name"],
    "helpdesk_incident": ["title", "description", "banner_text"],
    "helpdesk_article": ["title", "body"],
    "helpdesk_canned_reply": ["title", "body"],
    "helpdesk_inbound": ["from_name", "subject", "reason"],
    "helpdesk_vendor_case": ["subject", "body", "steps_taken", "vendor_ref"],
    "outbox_message": ["subject"],
}
URL_COLUMNS = {"sferum_url", "stream_url", "invite_url"}


def poison() -> int:
    """Overwrite the shown columns of every row; returns how many values were written.

    PostgreSQL cannot store a NUL in text (the app drops NULs from what it is sent), so the
    long text holds one on SQLite only."""
    tables = db.metadata.tables
    long = LONG if db.session.get_bind().dialect.name == "sqlite" else LONG.replace("\x00", "")
    written = 0
    for name, columns in POISONED.items():
        table = tables[name]
        values = {}
        for column_name in columns:
            column = table.columns[column_name]
            if column_name in URL_COLUMNS:
                values[column_name] = URL
                continue
            length = getattr(column.type, "length", None)
            text = PAYLOAD[: length - 8] if length else long
            # The row's id after it keeps unique names unique.
            key = next(iter(table.primary_key.columns))
            values[column_name] = sa.literal(text) + "#" + sa.cast(key, sa.String)
        if name == "revision":
            values["body_html"] = markdown.render(long)
        count = db.session.execute(sa.select(sa.func.count()).select_from(table)).scalar()
        db.session.execute(table.update().values(**values))
        written += count * len(columns)
    db.session.commit()
    _clear_caches()
    return written


def _clear_caches() -> None:
    from intranet.services.events import queries, serving
    from intranet.services.stats import cache

    queries.PAGE_CACHE.clear()
    serving.clear_caches()
    cache.clear()


# --- the checks of each kind of answer --------------------------------------------------------
def html_problems(text: str) -> list[str]:
    problems = live_markup(text)
    for raw in (SCRIPT, IMG, "<img src=x onerror"):
        if raw in text:
            problems.append(f"raw {raw!r} in the page")
    return problems


def atom_problems(body: bytes) -> list[str]:
    try:
        root = ET.fromstring(body)  # noqa: S314 - our own feed, parsed to prove it is XML
    except ET.ParseError as error:
        return [f"Atom is not well-formed XML: {error}"]
    # Text constructs without a type are text (RFC 4287 3.1): readers show markup in them
    # as characters. Those of type html are markup, and must hold nothing that runs.
    problems = []
    for element in root.iter():
        if element.attrib.get("type") in ("html", "xhtml"):
            problems += [f"Atom html content: {p}" for p in live_markup(element.text or "")]
    return problems


def ics_problems(body: bytes) -> list[str]:
    try:
        calendar = Calendar.from_ical(body)
    except ValueError as error:
        return [f"iCalendar does not parse: {error}"]
    problems = []
    if b"\x00" in body:
        problems.append("NUL byte in the iCalendar feed")
    for line in body.split(b"\r\n"):
        if len(line) > 75 and not line.startswith(b" "):
            problems.append(f"unfolded line of {len(line)} octets")
            break
    for component in calendar.walk():
        for key in ("SUMMARY", "DESCRIPTION", "LOCATION"):
            value = component.get(key)
            if value is not None and "\n" in str(value) and "BEGIN:" in str(value):
                problems.append(f"{key} injects iCalendar lines")
    return problems


def csv_problems(body: bytes) -> list[str]:
    text = body.decode("utf-8-sig")
    problems = []
    for row in csv.reader(io.StringIO(text), delimiter=";"):
        for cell in row:
            if cell.startswith(FORMULA_START) and not _is_number(cell):
                problems.append(f"CSV cell that a spreadsheet runs: {cell[:40]!r}")
    return problems


def _is_number(cell: str) -> bool:
    try:
        float(cell.replace(",", "."))
    except ValueError:
        return False
    return True


def answer_problems(response) -> list[str]:
    kind = response.mimetype
    body = response.get_data()
    if response.status_code >= 500:
        return [f"status {response.status_code}"]
    if kind == "text/html":
        return html_problems(response.get_data(as_text=True))
    if kind in ("application/atom+xml", "application/xml", "text/xml"):
        return atom_problems(body)
    if kind == "text/calendar":
        return ics_problems(body)
    if kind == "text/csv":
        return csv_problems(body)
    if kind == "application/json":
        json.loads(body)
        return []
    return []


def mail_problems(raw: bytes) -> list[str]:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    problems = []
    for header in ("Subject", "From", "To", "Reply-To"):
        value = message.get(header)
        if value is not None and ("\n" in str(value) or "\r" in str(value)):
            problems.append(f"line break in {header}")
    for part in message.walk():
        if part.get_content_type() == "text/html":
            problems += html_problems(part.get_content())
    return problems


# --- the runs ---------------------------------------------------------------------------------
def test_hostile_text_is_inert_on_every_page_feed_and_export(app, client):
    routes = build_routes(app)
    written = poison()
    assert written > 100
    failures: list[str] = []
    kinds: dict[str, int] = {}
    with crash_log(app) as crashes:
        visits = [("admin", t) for t in routes.gets]
        visits += [(subject_for(routes, t), t) for t in routes.gets]
        visits = sorted(set(visits), key=lambda v: (v[0], v[1].path))
        current = None
        for subject, target in visits:
            if subject != current:
                become(client, routes.world, subject)
                current = subject
            mark = len(crashes)
            response = client.get(target.path)
            kinds[response.mimetype] = kinds.get(response.mimetype, 0) + 1
            for problem in answer_problems(response):
                failures.append(f"GET {target.path} as {subject}: {problem} {crashes[mark:]}")
    print(f"hostile-inputs stored_values={written} (answers checked: {kinds})")
    # The crawl reached every kind of answer that shows stored text.
    for kind in ("text/html", "text/csv", "text/calendar", "application/atom+xml"):
        assert kinds.get(kind), f"no {kind} answer was checked"
    assert not failures, "\n".join(sorted(set(failures)))


def test_hostile_text_is_inert_in_every_e_mail(app, client):
    routes = build_routes(app)
    poison()
    failures: list[str] = []
    mails = 0
    current = None
    first_mail = db.session.scalar(sa.select(sa.func.max(OutboxMessage.id))) or 0
    for target in sorted(routes.posts, key=lambda t: subject_for(routes, t)):
        if "logout" in target.endpoint:
            continue
        subject = subject_for(routes, target)
        if subject != current:
            become(client, routes.world, subject)
            current = subject
        with rolled_back():
            client.open(target.path, method=target.method, data=dict(target.data))
            rows = db.session.execute(
                sa.select(OutboxMessage.kind, OutboxMessage.raw).where(
                    OutboxMessage.id > first_mail
                )
            ).all()
            for kind, raw in rows:
                mails += 1
                failures += [f"{target.path} → {kind}: {p}" for p in mail_problems(raw)]
    print(f"hostile-inputs e_mails={mails}")
    assert mails >= 5
    assert not failures, "\n".join(sorted(set(failures)))


@pytest.mark.parametrize(
    "url", [URL, " JaVaScRiPt:alert(1)", "data:text/html,<script>", "vbscript:x"]
)
def test_url_fields_refuse_other_schemes_at_the_door(app, url):
    """Stored links are http(s) only on the way in too (the pages' link_url is the second
    line): a chat's invitation, a channel's Sferum link."""
    from intranet.models import Audience
    from intranet.services import chats
    from intranet.services.channels import manage
    from intranet.services.errors import ValidationFailed
    from tests import factories

    with pytest.raises(ValidationFailed):
        chats.clean_invite_url(url)
    with pytest.raises(ValidationFailed):
        manage.create_channel(
            manage.ChannelData(
                name="Канал", description="", audience=Audience.STAFF, stages=[], sferum_url=url
            ),
            actor=factories.user("admin"),
        )
