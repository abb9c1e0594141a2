"""Views: the documents register (list with filters, an entry, adding, correcting, deleting)."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from intranet import i18n
from intranet.blueprints.documents import bp
from intranet.blueprints.documents.forms import DocumentForm
from intranet.blueprints.structure.common import me, page_size, refuse_or_redirect, submit, text_arg
from intranet.extensions import db
from intranet.models import Document, DocumentKind
from intranet.services import documents
from intranet.services.uploads import UploadTooLarge
from intranet.web import require


def _filters() -> documents.DocumentFilters:
    try:
        kind = DocumentKind(text_arg("kind", 12)) if text_arg("kind", 12) else None
    except ValueError:
        kind = None
    sort = text_arg("sort", 10)
    return documents.DocumentFilters(
        q=text_arg("q"),
        kind=kind,
        in_force=text_arg("in_force", 1) == "1",
        sort=sort if sort in ("-date", "date", "title") else "-date",
    )


@bp.route("/")
@login_required
def index():
    require("documents.view")
    filters = _filters()
    page = db.paginate(
        documents.document_query(filters, i18n.local_today()),
        per_page=page_size(),
        error_out=False,
    )
    return render_template(
        "documents/index.html", page=page, filters=filters, kinds=list(DocumentKind)
    )


def _document(document_id: int) -> Document:
    doc = documents.load(document_id)
    if doc is None:
        abort(404)
    return doc


@bp.route("/<int:document_id>")
@login_required
def view(document_id: int):
    require("documents.view")
    doc = _document(document_id)
    return render_template(
        "documents/view.html",
        doc=doc,
        references=documents.references(doc),
        today=i18n.local_today(),
    )


def _values(form: DocumentForm) -> dict:
    return {
        "kind": form.kind.data,
        "number": form.number.data or "",
        "issued_on": form.issued_on.data,
        "title": form.title.data or "",
        "in_force_from": form.in_force_from.data,
        "in_force_to": form.in_force_to.data,
        "note": form.note.data or "",
        "file": form.file.data,
    }


def _save(form: DocumentForm, call, done: str):
    try:
        return submit(
            form,
            call,
            done,
            lambda doc: url_for("documents.view", document_id=doc.id),
        )
    except UploadTooLarge as error:
        form.file.errors.append(error.message)
        return None


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    require("documents.manage")
    form = DocumentForm()
    if request.method == "GET":
        form.kind.data = text_arg("kind", 12) or DocumentKind.ORDER.value
    if form.validate_on_submit():
        done = _save(
            form,
            lambda: documents.create_document(me(), **_values(form)),
            _("The document has been added to the register."),
        )
        if done:
            return done
    return render_template("documents/form.html", form=form, doc=None)


@bp.route("/<int:document_id>/edit", methods=["GET", "POST"])
@login_required
def edit(document_id: int):
    require("documents.manage")
    doc = _document(document_id)
    form = DocumentForm(obj=doc)
    if request.method == "GET":
        form.kind.data = doc.kind.value
    if form.validate_on_submit():
        done = _save(
            form,
            lambda: documents.update_document(doc, me(), **_values(form)) or doc,
            _("Saved."),
        )
        if done:
            return done
    return render_template("documents/form.html", form=form, doc=doc)


@bp.route("/<int:document_id>/delete", methods=["POST"])
@login_required
def delete(document_id: int):
    require("documents.manage")
    doc = _document(document_id)
    return refuse_or_redirect(
        lambda: documents.delete_document(doc, me()),
        _("The document has been deleted from the register."),
        url_for("documents.index"),
        url_for("documents.view", document_id=doc.id),
    )
