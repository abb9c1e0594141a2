"""Upload attacks through the upload service and every route that takes a file.

Routes: a help-desk ticket (student), a reply on one's ticket (student), a staff answer
(admin), an announcement's image (teacher), a document's file (head), the CSV import
(admin). Each gets a corpus of lying files: HTML named .png, an SVG with a script, a PNG/HTML
polyglot, a PDF with JavaScript, an executable named .jpg, an empty file, and names with
path traversal (../../etc/passwd, ..\\..\\x.png), a NUL byte, an RTL override, 300 characters.
A refusal writes no row and leaves no file; what is accepted is stored under a random name
inside UPLOAD_DIR with a harmless name to offer, and served as an attachment of its real type
with nosniff and a sandbox, never as text/html. Sizes: exactly at the limit is accepted, one
byte over refused (the 413 page in the site's style for a request over the limit, also when
the declared length alone is over it); more files than a message may carry are refused.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from intranet.extensions import db
from intranet.models import TicketAttachment, Upload
from intranet.services import uploads
from intranet.services.errors import ValidationFailed
from tests import factories
from tests.hostile.support import become, build_routes, crash_log, live_markup
from tests.permissions.world import helpdesk

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>alert(1)</script></svg>"
)
POLYGLOT = PNG + b"<html><script>alert(1)</script></html>"
PDF_JS = b"%PDF-1.7\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03" + b"\x00" * 64

REFUSED = [
    ("photo.png", HTML),
    ("logo.svg", SVG),
    ("logo.png", SVG),
    ("photo.jpg", EXE),
    ("empty.png", b""),
]
ACCEPTED = [("poly.png", POLYGLOT), ("doc.pdf", PDF_JS)]
NAMES = [
    "../../etc/passwd",
    "..\\..\\x.png",
    "a\x00b.png",
    "\u202egnp.exe",
    "/absolute/path.png",
    "x" * 300 + ".png",
    "CON",
    ".htaccess",
]


def _upload_count() -> int:
    return db.session.scalar(select(func.count(Upload.id))) or 0


def _files(app) -> set[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _safe_name(name: str) -> bool:
    return (
        name
        and "/" not in name
        and "\\" not in name
        and "\x00" not in name
        and "\u202e" not in name
        and not name.startswith(".")
        and len(name) <= 200
    )


# --- the service ------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "data"), REFUSED)
def test_the_service_judges_by_content_and_keeps_nothing_refused(app, name, data):
    person = factories.user("teacher")
    before = _files(app)
    with pytest.raises(ValidationFailed):
        uploads.store(io.BytesIO(data), filename=name, purpose="announcement", actor=person)
    assert _files(app) == before


@pytest.mark.parametrize("name", NAMES)
def test_the_service_stores_under_a_random_name_and_offers_a_safe_one(app, name):
    person = factories.user("teacher")
    upload = uploads.store(io.BytesIO(PNG), filename=name, purpose="announcement", actor=person)
    root = Path(app.config["UPLOAD_DIR"]).resolve()
    path = uploads.file_path(upload)
    assert root in path.parents and path.name == upload.stored_name
    assert _safe_name(upload.original_name), upload.original_name
    assert upload.original_name.endswith(".png")


def test_exactly_at_the_limit_is_accepted_and_one_byte_over_is_not(app):
    person = factories.user("teacher")
    limit = 4096
    at_limit = PNG + b"\x00" * (limit - len(PNG))
    assert len(at_limit) == limit
    stored = uploads.store(
        io.BytesIO(at_limit), filename="a.png", purpose="announcement", actor=person,
        limit_bytes=limit,
    )  # fmt: skip
    assert stored.size == limit
    before = _files(app)
    with pytest.raises(uploads.UploadTooLarge):
        uploads.store(
            io.BytesIO(at_limit + b"\x00"), filename="b.png", purpose="announcement",
            actor=person, limit_bytes=limit,
        )  # fmt: skip
    assert _files(app) == before


# --- the routes -------------------------------------------------------------------------------
def _routes(world):
    """(subject, path, fields, file field) for each route that takes a file."""
    hd = helpdesk(world)
    from tests.channels.world import channel_world

    official = channel_world(world).official
    ticket = {
        "subject": "Не приходит код",
        "description": "Жду СМС с кодом.",
        "q_platform": "vk",
        "q_device": "android",
        "q_happened_at": "2026-03-02T10:00",
        "contact_email": "anna@example.com",
    }
    document = {
        "kind": "order",
        "number": "45-к",
        "issued_on": "2025-08-29",
        "title": "Об использовании платформы",
        "in_force_from": "2025-09-01",
    }
    return [
        ("student", "/helpdesk/new/login", ticket, "files"),
        ("student", f"/helpdesk/tickets/{hd.own.id}/reply", {"body": "Ещё снимок"}, "files"),
        (
            "admin",
            f"/helpdesk/tickets/{hd.other.id}/answer",
            {"body": "Ответ", "then": "keep"},
            "files",
        ),
        (
            "teacher",
            "/announcements/new",
            {"channel": official.id, "title": "С фото", "body": "Текст", "save": "1"},
            "image",
        ),
        ("head", "/documents/new", document, "file"),
    ]


def _post(client, path, fields, field, files):
    data = dict(fields)
    data[field] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(path, data=data, content_type="multipart/form-data")


def test_lying_files_are_refused_by_every_route_and_nothing_is_kept(app, client):
    routes = build_routes(app)
    failures = []
    tried = 0
    with crash_log(app) as crashes:
        for subject, path, fields, field in _routes(routes.world):
            become(client, routes.world, subject)
            for name, content in REFUSED:
                before, files = _upload_count(), _files(app)
                response = _post(client, path, fields, field, [(name, content)])
                tried += 1
                # (A refused reply goes back to the ticket with the reason: a 302 too.)
                if response.status_code >= 500:
                    failures.append(f"{path} {name}: {response.status_code} {crashes[-1:]}")
                elif _upload_count() != before or _files(app) != files:
                    failures.append(f"{path} {name}: refused but something was kept")
    print(f"hostile-inputs lying_files={tried}")
    assert not failures, "\n".join(failures)


def test_accepted_files_have_safe_names_and_safe_downloads(app, client):
    routes = build_routes(app)
    failures = []
    for subject, path, fields, field in _routes(routes.world):
        become(client, routes.world, subject)
        # Announcements take images, documents PDF, the help desk both.
        good = PDF if path.startswith("/documents") else PNG
        corpus = [(n, good) for n in NAMES]
        if not path.startswith("/documents"):
            corpus.append(("poly.png", POLYGLOT))
        if not path.startswith("/announcements"):
            corpus.append(("doc.pdf", PDF_JS))
        for n, (name, content) in enumerate(corpus):
            first = db.session.scalar(select(func.max(Upload.id))) or 0
            unique = {"number": f"45-{n}"} if "number" in fields else {}
            response = _post(client, path, {**fields, **unique}, field, [(name, content)])
            added = list(db.session.scalars(select(Upload).where(Upload.id > first)))
            if response.status_code != 302 or len(added) != 1:
                failures.append(f"{path} {name!r}: {response.status_code}, not accepted")
                continue
            upload = added[0]
            if not _safe_name(upload.original_name):
                failures.append(f"{path} {name!r}: offered as {upload.original_name!r}")
            if upload.purpose != "helpdesk":  # attachments: their own route, below
                download = client.get(f"/uploads/{upload.key}")
                failures += [f"{path} {name!r}: {p}" for p in download_problems(download)]
    # Help-desk attachments have a download route of their own.
    become(client, routes.world, "admin")
    attachments = list(db.session.scalars(select(TicketAttachment)))
    assert len(attachments) > 10
    for attachment in attachments:
        if not _safe_name(attachment.filename):
            failures.append(f"attachment {attachment.id}: named {attachment.filename!r}")
        download = client.get(f"/helpdesk/attachments/{attachment.id}")
        failures += [f"attachment {attachment.id}: {p}" for p in download_problems(download)]
    assert not failures, "\n".join(failures)


def download_problems(response) -> list[str]:
    if response.status_code != 200:
        return [f"download answered {response.status_code}"]
    problems = []
    disposition = response.headers.get("Content-Disposition", "")
    if not disposition.startswith("attachment"):
        problems.append(f"Content-Disposition {disposition!r}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if response.mimetype not in ("image/png", "image/jpeg", "application/pdf"):
        problems.append(f"served as {response.mimetype}")
    if "sandbox" not in response.headers.get("Content-Security-Policy", ""):
        problems.append("no CSP sandbox")
    for bad in ("\n", "\r", "\x00", "\u202e", "../"):
        if bad in disposition:
            problems.append(f"{bad!r} in Content-Disposition")
    return problems


def test_too_many_files_and_one_byte_over_the_request_limit(app, client, monkeypatch):
    routes = build_routes(app)
    become(client, routes.world, "student")
    subject, path, fields, field = _routes(routes.world)[0]
    limit = app.config["HELPDESK_MAX_FILES"]
    before = _upload_count()
    page = _post(client, path, fields, field, [(f"s{n}.png", PNG) for n in range(limit + 1)])
    assert page.status_code == 200 and _upload_count() == before
    # A request over the limit: the 413 page in the site's style, nothing stored.
    monkeypatch.setitem(app.config, "HELPDESK_MAX_FILE_MB", 1)
    monkeypatch.setitem(app.config, "HELPDESK_MAX_FILES", 1)
    over = 1 * 1024 * 1024 + 2 * 1024 * 1024 + 1
    response = _post(client, path, fields, field, [("big.png", PNG + b"\x00" * over)])
    assert response.status_code == 413
    assert_site_413(response)
    assert _upload_count() == before
    # A form over MAX_CONTENT_LENGTH elsewhere (the announcement image), and a declared
    # length over it with a small body (a client that lies about its size).
    become(client, routes.world, "teacher")
    _subject, a_path, a_fields, a_field = _routes(routes.world)[3]
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    response = _post(client, a_path, a_fields, a_field, [("big.png", PNG + b"\x00" * 64 * 1024)])
    assert response.status_code == 413
    assert_site_413(response)
    response = client.post(
        a_path,
        data=b"x" * 10,
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(10**12)},
    )
    assert response.status_code == 413
    assert _upload_count() == before


def assert_site_413(response) -> None:
    page = response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    assert '<html lang="' in page and "/static/" in page  # the site's layout, not werkzeug's
    assert "Файл слишком большой" in page or "File too large" in page
    assert not live_markup(page)


def test_csv_import_survives_hostile_files(app, client):
    """Binary, NUL bytes, invalid UTF-8, formulas, 10,000 columns, a huge line: a reason
    on the page, never a 5xx, nothing imported before the preview is confirmed."""
    routes = build_routes(app)
    become(client, routes.world, "admin")
    people = db.session.scalar(select(func.count()).select_from(db.metadata.tables["user"]))
    header = "Табельный номер;Фамилия;Имя;Отчество;Группа;Телефон;Почта\r\n"
    files = [
        ("list.csv", PNG),
        ("list.csv", b""),
        ("list.csv", b"\x00" * 1000),
        ("list.csv", b"\xff\xfe\xfa" * 300),
        ("list.csv", header.encode() + b"=cmd|' /C calc'!A0;+1;-1;@SUM(1);\x00;;\r\n"),
        ("list.csv", (";" * 10_000 + "\r\n").encode()),
        ("list.csv", b"a" * 2_000_000),
        (
            "../../list.csv",
            header.encode() + "ST-1;<script>alert(1)</script>;Иван;;ИСП-24-1;;\r\n".encode(),
        ),
        ("list.html", HTML),
    ]
    failures = []
    with crash_log(app) as crashes:
        for kind in ("students", "parents"):
            for name, content in files:
                response = client.post(
                    "/imports/preview",
                    data={
                        "kind": kind,
                        "starts_on": date(2025, 9, 1).isoformat(),
                        "file": (io.BytesIO(content), name),
                    },
                    content_type="multipart/form-data",
                )
                if response.status_code >= 500:
                    failures.append(f"{kind} {name} ({len(content)} bytes): {crashes[-1:]}")
                elif response.mimetype == "text/html":
                    failures += [f"{kind} {name}: {p}" for p in live_markup(response.text)]
    assert not failures, "\n".join(failures)
    assert db.session.scalar(select(func.count()).select_from(db.metadata.tables["user"])) == people
