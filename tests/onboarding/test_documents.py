"""The documents register: entries with their files, who reads and keeps it, duplicates, and
entries that are someone's basis stay."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import select

from intranet.extensions import db
from intranet.models import AuditEvent, Document, DocumentKind
from intranet.services import documents
from intranet.services.errors import Conflict, PermissionDenied, ValidationFailed
from tests.onboarding.helpers import document

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
FIELDS = {
    "kind": "order",
    "number": "45-к",
    "issued_on": date(2025, 8, 29),
    "title": "Об использовании платформы «Сферум»",
    "in_force_from": date(2025, 9, 1),
    "in_force_to": None,
    "note": "",
}


class Upload:
    def __init__(self, data: bytes, filename: str) -> None:
        self.stream, self.filename = io.BytesIO(data), filename


@pytest.mark.pg
def test_an_order_with_its_pdf(make):
    admin = make.user("admin")
    doc = documents.create_document(admin, file=Upload(PDF, "prikaz.pdf"), **FIELDS)
    assert doc.upload_id is not None
    assert (
        documents.document_label(doc)
        == "Приказ № 45-к от 29.08.2025 «Об использовании платформы «Сферум»»"
    )
    assert doc.in_force_on(date(2025, 9, 1)) and not doc.in_force_on(date(2025, 8, 30))
    with pytest.raises(ValidationFailed) as error:
        documents.create_document(admin, **FIELDS)
    assert error.value.field == "number"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "document.created"))
    assert event.object_id == doc.id and event.actor_id == admin.id


@pytest.mark.pg
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": " "}, "title"),
        ({"issued_on": None}, "issued_on"),
        ({"number": ""}, "number"),  # orders and minutes have numbers
        ({"kind": "memo"}, "kind"),
        ({"in_force_from": date(2025, 9, 2), "in_force_to": date(2025, 9, 1)}, "in_force_to"),
    ],
)
def test_bad_entries_are_refused(make, fields, field):
    with pytest.raises(ValidationFailed) as error:
        documents.create_document(make.user("admin"), **{**FIELDS, **fields})
    assert error.value.field == field


@pytest.mark.pg
def test_the_regulation_needs_no_number_and_only_pdf_or_images_attach(make):
    admin = make.user("admin")
    regulation = documents.create_document(
        admin,
        **{
            **FIELDS,
            "kind": "regulation",
            "number": "",
            "title": "Положение о работе с ИКОП «Сферум»",
        },
    )
    assert regulation.kind is DocumentKind.REGULATION
    with pytest.raises(ValidationFailed):
        documents.create_document(
            admin, file=Upload(b"<html>hello</html>", "order.pdf"), **{**FIELDS, "number": "46-к"}
        )


@pytest.mark.pg
def test_a_basis_stays_in_the_register(make, group):
    admin = make.user("admin")
    doc = document()
    tutor = make.user("tutor")
    from intranet.services import movement

    movement.assign_tutor(
        admin, group_id=group.id, tutor_id=tutor.id, starts_on=date(2025, 9, 1), basis_id=doc.id
    )
    assert documents.references(doc) == 1
    with pytest.raises(Conflict):
        documents.delete_document(doc, admin)
    loose = document()
    documents.delete_document(loose, admin)
    assert db.session.get(Document, loose.id) is None


def test_only_admins_and_the_head_keep_it(make):
    for role in ("deputy", "tutor", "teacher", "student"):
        with pytest.raises(PermissionDenied):
            documents.create_document(make.user(role), **FIELDS)


def test_staff_read_the_register_and_download_files_students_do_not(client, login_as, make):
    head = login_as("head")
    created = client.post(
        "/documents/new",
        data={**{k: (v.isoformat() if isinstance(v, date) else (v or "")) for k, v in FIELDS.items()},
              "file": (io.BytesIO(PDF), "prikaz.pdf")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert created.status_code == 302
    page = client.get(created.location)
    assert "Приказ № 45-к от 29.08.2025" in page.text
    doc = db.session.scalar(select(Document))
    listing = client.get("/documents/?kind=order&in_force=1")
    assert "Об использовании платформы" in listing.text
    from intranet.models import Upload as UploadRow

    key = db.session.get(UploadRow, doc.upload_id).key
    assert client.get(f"/uploads/{key}").status_code == 200
    login_as("teacher")
    assert client.get(f"/uploads/{key}").status_code == 200
    login_as("student")
    assert client.get(f"/uploads/{key}").status_code == 404
    assert client.get("/documents/").status_code == 403
    del head
