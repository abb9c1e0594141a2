"""The upload service and its serving: types from content, size, names, access."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from intranet.extensions import db
from intranet.services import uploads
from intranet.services.errors import ValidationFailed
from tests.channels import helpers
from tests.channels.test_pages import login

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100
PDF = b"%PDF-1.7\n" + b"0" * 100
HTML = b"<!doctype html><script>alert(document.cookie)</script>"


def store(data: bytes, name: str, person, **kwargs):
    upload = uploads.store(
        io.BytesIO(data), filename=name, purpose="announcement", actor=person, **kwargs
    )
    db.session.commit()
    return upload


@pytest.mark.parametrize(
    ("data", "kind"), [(PNG, "image/png"), (JPEG, "image/jpeg"), (PDF, "application/pdf")]
)
def test_type_comes_from_the_content(college, data, kind):
    upload = store(data, "file.bin", college.teacher)
    assert upload.content_type == kind and upload.size == len(data)
    path = uploads.file_path(upload)
    assert path.read_bytes() == data
    assert Path(uploads.upload_dir()).resolve() in path.parents
    assert "static" not in path.parts and upload.stored_name not in ("file.bin",)


def test_renamed_html_is_refused(college):
    with pytest.raises(ValidationFailed):
        store(HTML, "photo.png", college.teacher)
    with pytest.raises(ValidationFailed):
        store(b"", "empty.png", college.teacher)
    with pytest.raises(ValidationFailed):
        store(PDF, "doc.pdf", college.teacher, allowed=uploads.IMAGES)
    leftovers = [p for p in Path(uploads.upload_dir()).rglob("*") if p.name.startswith(".")]
    assert leftovers == []


def test_oversized_is_refused_and_nothing_kept(app, college):
    app.config["UPLOAD_MAX_BYTES"] = 1024
    try:
        with pytest.raises(uploads.UploadTooLarge):
            store(PNG + b"\x00" * 2000, "big.png", college.teacher)
    finally:
        app.config.pop("UPLOAD_MAX_BYTES")


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../../etc/passwd.png", "passwd.png"),
        ("..\\..\\windows\\win.ini.png", "win.ini.png"),
        ("/abs/path/фото.png", "фото.png"),
        ("evil\r\nX-Header: 1.png", "evilX-Header: 1.png"),
        ("..", "file.png"),
        ("page.html", "page.html.png"),
    ],
)
def test_hostile_names_stay_names(college, name, shown):
    upload = store(PNG, name, college.teacher)
    assert upload.original_name == shown
    assert uploads.file_path(upload).name == upload.stored_name
    assert "/" not in upload.stored_name and ".." not in upload.stored_name


def test_served_as_attachment_with_the_checked_type(client, college):
    a = helpers.published(college.teacher, college.official, [college.deputy, college.head])
    upload = store(PNG, "<script>.png", college.teacher, owner_id=a.id)
    login(client, college.student)
    answer = client.get(f"/uploads/{upload.key}")
    assert answer.status_code == 200 and answer.data == PNG
    assert answer.mimetype == "image/png"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in answer.headers["Content-Security-Policy"]
    again = client.get(f"/uploads/{upload.key}", headers={"If-None-Match": f'"{upload.sha256}"'})
    assert again.status_code == 304


def test_only_those_allowed_get_the_file(client, college, staff_channel):
    draft = helpers.draft(college.teacher, college.official)
    in_draft = store(PNG, "d.png", college.teacher, owner_id=draft.id)
    staff_item = helpers.published(college.teacher, staff_channel, [college.deputy, college.head])
    for_staff = store(PNG, "s.png", college.teacher, owner_id=staff_item.id)
    login(client, college.student)
    assert client.get(f"/uploads/{in_draft.key}").status_code == 404
    assert client.get(f"/uploads/{for_staff.key}").status_code == 404
    login(client, college.deputy)
    assert client.get(f"/uploads/{for_staff.key}").status_code == 200
    assert client.get(f"/uploads/{in_draft.key}").status_code == 404  # an unsubmitted draft
    login(client, college.admin)
    assert client.get(f"/uploads/{in_draft.key}").status_code == 200
    assert client.get("/uploads/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert client.get("/uploads/" + "a" * 80).status_code == 404


def test_image_through_the_draft_form(client, college):
    login(client, college.teacher)
    answer = client.post(
        "/announcements/new",
        data={
            "channel": college.official.id,
            "title": "С фото",
            "body": "Текст",
            "image": (io.BytesIO(PNG), "photo.png"),
            "image_alt": "Актовый зал",
            "save": "1",
        },
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302
    from intranet.models import Revision

    revision = db.session.scalar(db.select(Revision).order_by(Revision.id.desc()))
    assert "![Актовый зал](/uploads/" in revision.body
    assert '<img src="/uploads/' in revision.body_html


def test_renamed_html_through_the_form_is_refused_with_the_entry_kept(client, college):
    login(client, college.teacher)
    answer = client.post(
        "/announcements/new",
        data={
            "channel": college.official.id,
            "title": "С файлом",
            "body": "Мой длинный текст",
            "image": (io.BytesIO(HTML), "photo.png"),
            "save": "1",
        },
        content_type="multipart/form-data",
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "Мой длинный текст" in page and "PNG" in page


def test_oversized_through_the_form_answers_413(app, client, college):
    login(client, college.teacher)
    app.config["UPLOAD_MAX_BYTES"] = 1024
    try:
        answer = client.post(
            "/announcements/new",
            data={
                "channel": college.official.id,
                "title": "Большой",
                "body": "Текст остаётся",
                "image": (io.BytesIO(PNG + b"\x00" * 4096), "big.png"),
                "save": "1",
            },
            content_type="multipart/form-data",
        )
    finally:
        app.config.pop("UPLOAD_MAX_BYTES")
    assert answer.status_code == 413
    assert "Текст остаётся" in answer.get_data(as_text=True)
    # Bigger than the whole request limit: the 413 page.
    app.config["MAX_CONTENT_LENGTH"], old = 2048, app.config["MAX_CONTENT_LENGTH"]
    try:
        answer = client.post(
            "/announcements/new",
            data={"image": (io.BytesIO(PNG + b"\x00" * 8192), "big.png")},
            content_type="multipart/form-data",
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = old
    assert answer.status_code == 413


def test_files_left_by_a_rolled_back_transaction_are_purged(college):
    import os
    import time

    kept = store(PNG, "kept.png", college.teacher)
    lost = uploads.store(
        io.BytesIO(PNG), filename="lost.png", purpose="announcement", actor=college.teacher
    )
    lost_path = uploads.file_path(lost)
    db.session.rollback()  # the request failed after the file was written
    assert lost_path.exists()
    assert uploads.purge_orphans() == 0  # too young: maybe a transaction still running
    old = time.time() - 2 * 86400
    os.utime(lost_path, (old, old))
    os.utime(uploads.file_path(kept), (old, old))
    assert uploads.purge_orphans() == 1
    assert not lost_path.exists() and uploads.file_path(kept).exists()
