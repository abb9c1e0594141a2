"""The documents register: the Положение, the head's orders and the teachers' council minutes
that tutor assignments, admin appointments and movements name as their basis."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from intranet import policy
from intranet.extensions import db
from intranet.i18n import format_day
from intranet.models import (
    AdminAppointment,
    Council,
    Document,
    DocumentKind,
    Movement,
    TutorAssignment,
    Upload,
    User,
)
from intranet.models.base import fold
from intranet.services import audit, uploads
from intranet.services.errors import Conflict, PermissionDenied, ValidationFailed
from intranet.services.structure import clean, search_terms

KIND_LABELS = {
    DocumentKind.REGULATION: _l("Regulation"),
    DocumentKind.ORDER: _l("Head's order"),
    DocumentKind.PROTOCOL: _l("Minutes of the teachers' council"),
    DocumentKind.OTHER: _l("Other document"),
}
UPLOAD_PURPOSE = "document"
FILE_TYPES = frozenset({uploads.PDF, uploads.PNG, uploads.JPEG})


def kind_label(kind: DocumentKind | str) -> str:
    return str(KIND_LABELS[DocumentKind(kind)])


def document_label(doc: Document | None) -> str:
    """«Order № 45-к of 01.09.2025 “On …”»: how a basis is shown everywhere."""
    if doc is None:
        return ""
    if doc.number:
        head = _(
            "%(kind)s No. %(number)s of %(date)s",
            kind=kind_label(doc.kind),
            number=doc.number,
            date=format_day(doc.issued_on),
        )
    else:
        head = _("%(kind)s of %(date)s", kind=kind_label(doc.kind), date=format_day(doc.issued_on))
    return f"{head} «{doc.title}»"


def _require(actor: User | None) -> None:
    if not policy.can(actor, "documents.manage"):
        raise PermissionDenied(_("Only administrators and the head keep the documents register."))


@dataclass(frozen=True)
class DocumentFilters:
    q: str = ""
    kind: DocumentKind | None = None
    in_force: bool = False
    sort: str = "-date"


def document_query(filters: DocumentFilters, today: date) -> Select:
    """Documents matching the filters, newest first; their files loaded with them."""
    query = select(Document).options(selectinload(Document.upload))
    query = query.where(*search_terms(Document.title_key, filters.q))
    if filters.kind is not None:
        query = query.where(Document.kind == filters.kind)
    if filters.in_force:
        starts = func.coalesce(Document.in_force_from, Document.issued_on)
        query = query.where(
            starts <= today, or_(Document.in_force_to.is_(None), Document.in_force_to >= today)
        )
    orders = {
        "-date": [Document.issued_on.desc(), Document.id.desc()],
        "date": [Document.issued_on, Document.id],
        "title": [Document.title_key, Document.id],
    }
    return query.order_by(*orders.get(filters.sort, orders["-date"]))


def basis_choices(kinds: tuple[DocumentKind, ...] = (), limit: int = 300) -> list[Document]:
    """Documents to offer as a basis, newest first (orders and minutes by default)."""
    kinds = kinds or (DocumentKind.ORDER, DocumentKind.PROTOCOL, DocumentKind.REGULATION)
    return list(
        db.session.scalars(
            select(Document)
            .where(Document.kind.in_(kinds))
            .order_by(Document.issued_on.desc(), Document.id.desc())
            .limit(limit)
        )
    )


def get_basis(document_id: int | None, *, required: bool = True, field: str = "basis_id"):
    """The document a form names as a basis, or ValidationFailed."""
    doc = db.session.get(Document, document_id) if document_id else None
    if doc is None and required:
        raise ValidationFailed(_("Choose the basis document from the register."), field)
    return doc


def _values(
    *,
    kind: DocumentKind | str,
    number: str,
    issued_on: date | None,
    title: str,
    in_force_from: date | None,
    in_force_to: date | None,
    note: str,
) -> dict[str, Any]:
    try:
        kind = DocumentKind(kind)
    except ValueError:
        raise ValidationFailed(_("Choose the kind of document."), "kind") from None
    title, number = clean(title), clean(number)
    if not title:
        raise ValidationFailed(_("Enter the title."), "title")
    if issued_on is None:
        raise ValidationFailed(_("Enter the date of the document."), "issued_on")
    if kind in (DocumentKind.ORDER, DocumentKind.PROTOCOL) and not number:
        raise ValidationFailed(_("Enter the number of the document."), "number")
    if in_force_from and in_force_to and in_force_to < in_force_from:
        raise ValidationFailed(_("The end cannot be before the start."), "in_force_to")
    return {
        "kind": kind,
        "number": number[:40],
        "issued_on": issued_on,
        "title": title[:300],
        "title_key": fold(f"{number} {title}")[:360],
        "in_force_from": in_force_from,
        "in_force_to": in_force_to,
        "note": (note or "").strip()[:5000],
    }


def _check_duplicate(values: dict[str, Any], own_id: int | None) -> None:
    if not values["number"]:
        return
    query = select(Document.id).where(
        Document.kind == values["kind"],
        Document.number == values["number"],
        Document.issued_on == values["issued_on"],
    )
    if own_id is not None:
        query = query.where(Document.id != own_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise ValidationFailed(
            _("This document is already in the register (same kind, number and date)."), "number"
        )


def _store_file(doc: Document, file: Any, actor: User) -> None:
    if file is None or not getattr(file, "filename", ""):
        return
    old = db.session.get(Upload, doc.upload_id) if doc.upload_id else None
    upload = uploads.store(
        file.stream,
        filename=file.filename,
        purpose=UPLOAD_PURPOSE,
        actor=actor,
        owner_id=doc.id,
        allowed=FILE_TYPES,
    )
    doc.upload_id = upload.id
    if old is not None:
        uploads.delete(old, actor=actor)


def create_document(actor: User, *, file: Any = None, **fields: Any) -> Document:
    """Add a document to the register, with its scan or PDF if one is attached."""
    _require(actor)
    values = _values(**fields)
    _check_duplicate(values, None)
    doc = Document(created_by_id=actor.id, **values)
    db.session.add(doc)
    db.session.flush()
    _store_file(doc, file, actor)
    db.session.flush()
    audit.record(
        "document.created", actor=actor, obj=doc, summary=document_label(doc), kind=doc.kind
    )
    return doc


def update_document(doc: Document, actor: User, *, file: Any = None, **fields: Any) -> None:
    """Correct an entry of the register, or replace its file."""
    _require(actor)
    values = _values(**fields)
    _check_duplicate(values, doc.id)
    for key, value in values.items():
        setattr(doc, key, value)
    _store_file(doc, file, actor)
    db.session.flush()
    audit.record("document.updated", actor=actor, obj=doc, summary=document_label(doc))


def references(doc: Document) -> int:
    """How many records name this document as their basis."""
    total = 0
    for column in (
        Movement.basis_id,
        TutorAssignment.basis_document_id,
        AdminAppointment.basis_id,
        Council.basis_id,
    ):
        total += db.session.scalar(select(func.count()).where(column == doc.id)) or 0
    return total


def delete_document(doc: Document, actor: User) -> None:
    """Remove an entry nobody refers to (a basis stays in the register)."""
    _require(actor)
    if references(doc):
        raise Conflict(
            _("Other records name this document as their basis, so it cannot be deleted.")
        )
    audit.record("document.deleted", actor=actor, obj=doc, summary=document_label(doc))
    upload = db.session.get(Upload, doc.upload_id) if doc.upload_id else None
    db.session.delete(doc)
    db.session.flush()
    if upload is not None:
        uploads.delete(upload, actor=actor)


def load(document_id: int) -> Document | None:
    """A document with its file (for its page)."""
    return db.session.scalar(
        select(Document).options(selectinload(Document.upload)).where(Document.id == document_id)
    )
