"""Views: the directory of people, a person's page, and an admin's changes to accounts."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from wtforms import SelectChoice

from intranet import i18n
from intranet.blueprints.people import bp
from intranet.blueprints.people.forms import LinkParentForm, NewPersonForm, PersonForm, RolesForm
from intranet.blueprints.structure.common import (
    int_arg,
    me,
    page_size,
    refuse_or_redirect,
    submit,
    text_arg,
)
from intranet.extensions import db
from intranet.models import Guardian, Role, User
from intranet.policy import can
from intranet.services import people, structure
from intranet.services.csvexport import csv_response
from intranet.services.phones import format_phone
from intranet.web import require


def _filters() -> people.PeopleFilters:
    try:
        role = Role(text_arg("role", 10)) if text_arg("role", 10) else None
    except ValueError:
        role = None
    return people.PeopleFilters(
        q=text_arg("q"),
        role=role,
        group_id=int_arg("group"),
        department_id=int_arg("department"),
        status=text_arg("status", 10) if text_arg("status", 10) in ("pending", "confirmed") else "",
        active=text_arg("active", 1),
        sort=text_arg("sort", 10) or "name",
    )


@bp.route("/")
@login_required
def index():
    require("people.list")
    today = i18n.local_today()
    filters = _filters()
    page = db.paginate(people.people_query(filters, today), per_page=page_size(), error_out=False)
    return render_template(
        "people/index.html",
        page=page,
        filters=filters,
        groups=people.groups_of([p.id for p in page.items], today),
        all_groups=structure.all_groups(archived=True),
        departments=structure.all_departments(),
        roles=list(Role),
    )


@bp.route("/export.csv")
@login_required
def export():
    require("people.list")
    header, rows = people.export_table(_filters(), viewer=me(), today=i18n.local_today())
    return csv_response("people.csv", header, rows)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    require("people.manage")
    form = NewPersonForm()
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: people.create_person(actor=me(), roles=form.roles.data, **_person_values(form)),
            _("The person has been added."),
            lambda person: url_for("people.view", person_id=person.id),
        )
        if done:
            return done
    return render_template("people/form.html", form=form, title=_("New user"), person=None)


def _person_values(form: PersonForm) -> dict:
    return {
        "last_name": form.last_name.data,
        "first_name": form.first_name.data,
        "middle_name": form.middle_name.data or "",
        "email": form.email.data,
        "phone": form.phone.data,
        "external_id": form.external_id.data,
    }


@bp.route("/<int:person_id>")
@login_required
def view(person_id: int):
    person = db.get_or_404(User, person_id)
    require("people.view", person)
    return _person_page(person)


def _person_page(person: User, link_form: LinkParentForm | None = None):
    """The person's page; an admin also gets the roles form and, for a student, the form that
    links a parent (keeping what was typed when linking failed)."""
    forms = {}
    if can(me(), "people.manage"):
        forms["roles_form"] = RolesForm(
            formdata=None, data={"roles": [r.value for r in person.role_set]}
        )
        if person.has_role(Role.STUDENT):
            form = link_form or LinkParentForm()
            if request.method == "GET":
                form.find.data = text_arg("find")
            form.parent_id.choices = [SelectChoice("", "—")] + [
                SelectChoice(p.id, p.full_name)
                for p in people.parent_candidates(form.find.data or "")
            ]
            forms["link_form"] = form
    return render_template("people/view.html", page=people.person_page(person), **forms)


@bp.route("/<int:person_id>/edit", methods=["GET", "POST"])
@login_required
def edit(person_id: int):
    require("people.manage")
    person = db.get_or_404(User, person_id)
    form = PersonForm(obj=person)
    if request.method == "GET":
        form.phone.data = format_phone(person.phone)
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: people.update_person(person, actor=me(), **_person_values(form)),
            _("Saved."),
            url_for("people.view", person_id=person.id),
        )
        if done:
            return done
    return render_template("people/form.html", form=form, title=person.full_name, person=person)


@bp.route("/<int:person_id>/roles", methods=["POST"])
@login_required
def set_roles(person_id: int):
    require("people.manage")
    person = db.get_or_404(User, person_id)
    form = RolesForm()
    back = url_for("people.view", person_id=person.id)
    if not form.validate_on_submit():
        flash(_("Choose roles from the list."), "error")
        return redirect(back)
    return refuse_or_redirect(
        lambda: people.set_roles(person, form.roles.data, actor=me()),
        _("Roles saved."),
        back,
    )


@bp.route("/<int:person_id>/confirm-teacher", methods=["POST"])
@login_required
def confirm_teacher(person_id: int):
    require("people.confirm_teacher")
    person = db.get_or_404(User, person_id)
    return refuse_or_redirect(
        lambda: people.confirm_teacher(person, actor=me()),
        _("Teacher status confirmed."),
        url_for("people.view", person_id=person.id),
    )


@bp.route("/<int:person_id>/disable", methods=["POST"])
@login_required
def disable(person_id: int):
    require("people.manage")
    person = db.get_or_404(User, person_id)
    return refuse_or_redirect(
        lambda: people.set_active(person, False, actor=me()),
        _("The account has been disabled; its sessions have ended."),
        url_for("people.view", person_id=person.id),
    )


@bp.route("/<int:person_id>/enable", methods=["POST"])
@login_required
def enable(person_id: int):
    require("people.manage")
    person = db.get_or_404(User, person_id)
    return refuse_or_redirect(
        lambda: people.set_active(person, True, actor=me()),
        _("The account has been enabled."),
        url_for("people.view", person_id=person.id),
    )


@bp.route("/<int:person_id>/parents", methods=["POST"])
@login_required
def link_parent(person_id: int):
    require("people.manage")
    person = db.get_or_404(User, person_id)
    form = LinkParentForm()
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: people.link_parent(
                person, actor=me(), parent_id=form.parent_id.data, relation=form.relation.data
            ),
            _("The parent has been linked."),
            url_for("people.view", person_id=person.id),
        )
        if done:
            return done
    return _person_page(person, link_form=form)


@bp.route("/<int:person_id>/guardians/<int:guardian_id>/delete", methods=["POST"])
@login_required
def unlink_guardian(person_id: int, guardian_id: int):
    require("people.manage")
    link = db.get_or_404(Guardian, guardian_id)
    if person_id not in (link.parent_id, link.student_id):
        abort(404)
    return refuse_or_redirect(
        lambda: people.unlink_guardian(link, actor=me()),
        _("The link has been removed."),
        url_for("people.view", person_id=person_id),
    )
