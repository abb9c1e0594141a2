"""Views: the import page, the preview of a file, running the import, the templates."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from intranet import i18n
from intranet.blueprints.imports import bp
from intranet.blueprints.imports.forms import RunForm, UploadForm
from intranet.blueprints.structure.common import me, show_error
from intranet.extensions import db
from intranet.services import imports
from intranet.services.csvexport import csv_response
from intranet.services.errors import ValidationFailed
from intranet.web import require


@bp.route("/")
@login_required
def index():
    require("imports.run")
    form = UploadForm(formdata=None)
    form.starts_on.data = i18n.local_today()
    return render_template("imports/index.html", form=form)


@bp.route("/preview", methods=["POST"])
@login_required
def preview():
    require("imports.run")
    form = UploadForm()
    if form.validate_on_submit():
        data = form.file.data.read()
        try:
            result = imports.preview(me(), form.kind.data, data, starts_on=form.starts_on.data)
        except ValidationFailed as error:
            show_error(form, error)
        else:
            key = imports.stash(me(), data)
            run = RunForm(formdata=None)
            run.kind.data, run.key.data = form.kind.data, key
            run.filename.data = (form.file.data.filename or "")[:200]
            run.starts_on.data = form.starts_on.data
            return render_template("imports/preview.html", result=result, run=run)
    return render_template("imports/index.html", form=form), 400


@bp.route("/run", methods=["POST"])
@login_required
def run():
    require("imports.run")
    form = RunForm()
    if not form.validate_on_submit() or form.kind.data not in imports.KINDS:
        flash(_("The form has expired. Please submit it again."), "error")
        return redirect(url_for("imports.index"))
    try:
        with db.session.begin_nested():
            counts = imports.run_import(
                me(),
                form.kind.data,
                form.key.data or "",
                starts_on=form.starts_on.data,
                filename=form.filename.data or "",
            )
    except ValidationFailed as error:
        flash(error.message, "error")
        return redirect(url_for("imports.index"))
    db.session.commit()
    flash(
        _(
            "Imported: %(new)d added, %(updated)d updated, %(unchanged)d unchanged, "
            "%(skipped)d rows with errors skipped.",
            new=counts["new"],
            updated=counts["updated"],
            unchanged=counts["unchanged"],
            skipped=counts["skipped"],
        ),
        "success",
    )
    return redirect(url_for("imports.index"))


@bp.route("/template-<kind>.csv")
@login_required
def template(kind: str):
    require("imports.run")
    if kind not in imports.KINDS:
        abort(404)
    header, rows = imports.template(kind)
    return csv_response(f"import-{kind}.csv", header, rows)
