"""Views: the movement list and report (CSV), a movement's page, students' movements,
graduating a group, and the distribution of tutors."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from wtforms import SelectChoice

from intranet import i18n
from intranet.blueprints.movement import bp
from intranet.blueprints.movement.forms import GraduateForm, StudentMovementForm, TutorForm
from intranet.blueprints.structure.common import (
    me,
    page_size,
    refuse_or_redirect,
    submit,
    text_arg,
)
from intranet.bounds import id_from
from intranet.extensions import db
from intranet.models import MovementKind, MovementStatus, Role, StudyGroup, User
from intranet.services import documents, movement, structure
from intranet.services.csvexport import csv_response
from intranet.services.errors import ValidationFailed
from intranet.services.structure import academic_year_start
from intranet.web import require


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(text_arg(name, 10)) if text_arg(name, 10) else None
    except ValueError:
        return None


def _filters() -> tuple[movement.ReportFilters, str | None]:
    today = i18n.local_today()
    since = _date_arg("since") or date(academic_year_start(today), 9, 1)
    until = _date_arg("until") or date(academic_year_start(today) + 1, 8, 31)
    try:
        kind = MovementKind(text_arg("kind", 20)) if text_arg("kind", 20) else None
    except ValueError:
        kind = None
    try:
        status = MovementStatus(text_arg("status", 12)) if text_arg("status", 12) else None
    except ValueError:
        status = None
    error = None
    try:
        movement.check_period(since, until)
    except ValidationFailed as failed:
        error = failed.message
        since, until = date(academic_year_start(today), 9, 1), today
    return movement.ReportFilters(since, until, kind, status, text_arg("q")), error


@bp.route("/")
@login_required
def index():
    require("movement.view")
    filters, error = _filters()
    if error:
        flash(error, "error")
    page = db.paginate(movement.report_query(filters), per_page=page_size(), error_out=False)
    return render_template(
        "movement/index.html",
        page=page,
        filters=filters,
        kinds=list(MovementKind),
        statuses=list(MovementStatus),
        groups=structure.all_groups(),
    )


@bp.route("/report.csv")
@login_required
def report_csv():
    require("movement.view")
    filters, _error = _filters()
    header, rows = movement.report_table(filters, viewer=me())
    name = f"movement-{filters.since.isoformat()}-{filters.until.isoformat()}.csv"
    return csv_response(name, header, rows)


@bp.route("/people")
@login_required
def people():
    """Find the student or member of staff whose movement to record."""
    require("movement.manage")
    find = text_arg("find")
    found = structure.student_candidates(find, i18n.local_today(), limit=50) if find else []
    staff = [p for p in movement.staff_candidates() if _matches(p, find)][:50] if find else []
    return render_template("movement/people.html", find=find, found=found, staff=staff)


def _matches(person: User, find: str) -> bool:
    from intranet.models.base import fold

    return all(word in person.name_key for word in fold(find).split())


def _load(movement_id: int):
    found = movement.load(movement_id)
    if found is None:
        abort(404)
    return found


@bp.route("/<int:movement_id>")
@login_required
def view(movement_id: int):
    require("movement.view")
    labels = {key: str(item.label) for key, item in movement.HANDOVERS.items()}
    return render_template("movement/view.html", m=_load(movement_id), handover_labels=labels)


@bp.route("/<int:movement_id>/cancel", methods=["POST"])
@login_required
def cancel(movement_id: int):
    require("movement.manage")
    found = _load(movement_id)
    return refuse_or_redirect(
        lambda: movement.cancel(found, me()),
        _("The movement has been cancelled."),
        url_for("movement.view", movement_id=movement_id),
    )


def _basis_choices() -> list[SelectChoice]:
    return [SelectChoice("", "—")] + [
        SelectChoice(d.id, documents.document_label(d)) for d in documents.basis_choices()
    ]


def _open_groups() -> list[SelectChoice]:
    return [SelectChoice("", "—")] + [SelectChoice(g.id, g.name) for g in structure.all_groups()]


@bp.route("/students/<int:person_id>", methods=["GET", "POST"])
@login_required
def student(person_id: int):
    require("movement.manage")
    person = db.get_or_404(User, person_id)
    if not person.has_role(Role.STUDENT):
        abort(404)
    form = StudentMovementForm()
    form.kind.choices = [
        SelectChoice(k.value, movement.kind_label(k)) for k in movement.STUDENT_KINDS
    ]
    form.to_group_id.choices = _open_groups()
    form.basis_id.choices = _basis_choices()
    if request.method == "GET":
        form.kind.data = text_arg("kind", 20) or MovementKind.TRANSFER.value
        form.effective_on.data = i18n.local_today()
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: movement.move_student(
                me(),
                person,
                kind=form.kind.data,
                effective_on=form.effective_on.data,
                basis_id=form.basis_id.data,
                comment=form.comment.data or "",
                to_group_id=form.to_group_id.data,
                today=i18n.local_today(),
            ),
            _("The movement has been recorded."),
            lambda m: url_for("movement.view", movement_id=m.id),
        )
        if done:
            return done
    return render_template(
        "movement/student.html",
        form=form,
        person=person,
        history=movement.history_for(person.id),
    )


@bp.route("/groups/<int:group_id>/graduate", methods=["GET", "POST"])
@login_required
def graduate(group_id: int):
    require("movement.manage")
    group = db.get_or_404(StudyGroup, group_id)
    form = GraduateForm()
    form.basis_id.choices = _basis_choices()
    if request.method == "GET":
        form.effective_on.data = i18n.local_today()
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: movement.graduate_group(
                me(),
                group,
                effective_on=form.effective_on.data,
                basis_id=form.basis_id.data,
                comment=form.comment.data or "",
                today=i18n.local_today(),
            ),
            _("The graduation of the group has been recorded."),
            url_for("movement.index", kind="graduation"),
        )
        if done:
            return done
    page = structure.group_page(group, i18n.local_today())
    return render_template("movement/graduate.html", form=form, group=group, page=page)


# --- tutor distribution ------------------------------------------------------------------------


@bp.route("/tutors", methods=["GET", "POST"])
@login_required
def tutors():
    require("movement.manage")
    today = i18n.local_today()
    form = TutorForm()
    form.group_id.choices = _open_groups()
    form.tutor_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(p.id, p.full_name) for p in structure.people_with_role(Role.TUTOR)
    ]
    form.basis_id.choices = _basis_choices()
    if request.method == "GET":
        form.group_id.data = id_from(request.args.get("group"))
        form.starts_on.data = today
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: movement.assign_tutor(
                me(),
                group_id=form.group_id.data,
                tutor_id=form.tutor_id.data,
                starts_on=form.starts_on.data,
                basis_id=form.basis_id.data,
                replace=not form.together.data,
            ),
            _("The tutor has been assigned."),
            url_for("movement.tutors"),
        )
        if done:
            return done
    return render_template(
        "movement/tutors.html", form=form, distribution=movement.distribution(today)
    )


@bp.route("/tutors/history")
@login_required
def tutor_history():
    require("movement.view")
    group_id = id_from(request.args.get("group"))
    page = db.paginate(movement.history_query(group_id), per_page=page_size(), error_out=False)
    return render_template(
        "movement/tutor_history.html",
        page=page,
        bases=movement.bases_of(page.items),
        groups=structure.all_groups(archived=True),
        group_id=group_id,
        today=i18n.local_today(),
    )
