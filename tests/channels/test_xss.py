"""An XSS corpus in titles and bodies: nothing executable in the page, the Atom feed or e-mail."""

from __future__ import annotations

import email
import email.policy
from html.parser import HTMLParser
from xml.etree import ElementTree as ET

import pytest

from intranet.extensions import db
from intranet.models import OutboxMessage
from intranet.services import markdown
from intranet.services.channels import notify
from tests.channels import helpers
from tests.channels.test_pages import login

CORPUS = [
    "<script>alert('t')</script>",
    '<img src=x onerror="alert(1)">',
    "<svg/onload=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java&#x09;script:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[vb](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    '![x](/uploads/abcdefgh12345678" onerror="alert(1))',
    '<a href="javascript:alert(1)">a</a>',
    "<iframe src=//evil.example></iframe>",
    '"><script>alert(1)</script>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<<script>script>alert(1)<</script>/script>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '[link](https://example.com "title" onmouseover=alert(1))',
    "<details open ontoggle=alert(1)>",
    "javascript:alert(1)",
    "`<script>alert(1)</script>`",
    "```\n<script>alert(1)</script>\n```",
]
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")


class Inspector(HTMLParser):
    """Collects what would run in a browser: scripts, event handlers, dangerous URLs."""

    def __init__(self, allowed_scripts: tuple[str, ...] = ()) -> None:
        super().__init__(convert_charrefs=True)
        self.allowed_scripts = allowed_scripts
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "iframe", "object", "embed", "style", "svg", "math"):
            src = dict(attrs).get("src") or ""
            if not (tag == "script" and src.startswith(self.allowed_scripts)):
                self.problems.append(f"<{tag}> {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag} {name}={value}")
            if name in ("href", "src", "action", "formaction", "xlink:href") and value:
                squeezed = "".join(value.split()).lower()
                if squeezed.startswith(BAD_SCHEMES):
                    self.problems.append(f"{tag} {name}={value}")


def problems(html: str, allowed_scripts: tuple[str, ...] = ()) -> list[str]:
    inspector = Inspector(allowed_scripts)
    inspector.feed(html)
    inspector.close()
    return inspector.problems


@pytest.mark.parametrize("payload", CORPUS)
def test_renderer_output_has_nothing_executable(payload):
    assert problems(markdown.render(payload)) == []
    assert problems(markdown.render(f"Текст {payload} текст\n\n- {payload}\n\n> {payload}")) == []


def test_corpus_in_title_and_body_is_inert_everywhere(app, client, college):
    body = "\n\n".join(CORPUS)
    for n, payload in enumerate(CORPUS[:6]):
        helpers.published(
            college.teacher,
            college.official,
            [college.deputy, college.head],
            title=f"{payload} №{n}",
            body=body,
        )
    notify.deliver_mailings()
    db.session.commit()
    login(client, college.student)
    pages = [
        "/",
        f"/channels/{college.official.id}",
        f"/channels/{college.official.id}?q=script",
    ]
    from intranet.models import Announcement

    ids = db.session.scalars(db.select(Announcement.id)).all()
    pages += [f"/announcements/{i}" for i in ids]
    ours = ("/static/", "/bootstrap/")
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        assert problems(html, ours) == [], path
        assert "<script>alert" not in html
    login(client, college.admin)
    for i in ids:
        for path in (
            f"/announcements/{i}/work",
            f"/announcements/{i}/history",
            f"/announcements/{i}/sferum",
        ):
            html = client.get(path).get_data(as_text=True)
            assert problems(html, ours) == [], path

    # The Atom feed: titles are text; the content, parsed as HTML, has nothing executable.
    feed = client.get(f"/channels/{college.official.id}/feed.atom").data
    root = ET.fromstring(feed)  # noqa: S314 (our own feed)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = root.findall("a:entry", ns)
    assert len(entries) == 6
    for entry in entries:
        assert entry.find("a:title", ns).get("type") in (None, "text")
        content = entry.find("a:content", ns)
        assert content.get("type") == "html"
        assert problems(content.text) == []

    # E-mail: the HTML part of every message has nothing executable.
    messages = db.session.scalars(db.select(OutboxMessage)).all()
    assert messages
    for row in messages:
        message = email.message_from_bytes(row.raw, policy=email.policy.default)
        html_part = message.get_body(("html",))
        if html_part is not None:
            assert problems(html_part.get_content()) == [], row.subject
        assert "\n" not in str(message["Subject"])


def test_the_inspector_catches_what_it_looks_for():
    """The checks above could fail: raw payloads are flagged."""
    assert problems('<img src=x onerror="alert(1)">')
    assert problems("<script>alert(1)</script>")
    assert problems('<a href=" javascript:alert(1)">x</a>')
    assert problems('<script src="/static/js/app.js"></script>', ("/static/",)) == []
