"""Views: the structure start page, the organisation profile, departments, specialities and
disciplines. Groups and their members are in groups.py."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from wtforms import SelectChoice

from intranet import i18n
from intranet.blueprints.structure import bp
from intranet.blueprints.structure.common import (
    me,
    page_size,
    refuse_or_redirect,
    submit,
    text_arg,
)
from intranet.blueprints.structure.forms import (
    DepartmentForm,
    DisciplineForm,
    OrganisationForm,
    SpecialityForm,
)
from intranet.extensions import db
from intranet.models import Department, Discipline, Speciality
from intranet.services import structure
from intranet.services.phones import format_phone
from intranet.web import require


@bp.route("/")
@login_required
def index():
    require("structure.manage")
    return render_template("structure/index.html", overview=structure.overview(i18n.local_today()))


@bp.route("/organisation", methods=["GET", "POST"])
@login_required
def organisation():
    require("structure.manage")
    org = structure.get_organisation()
    form = OrganisationForm(obj=org)
    zones = list(structure.RUSSIAN_TIMEZONES)
    current = form.timezone.data or (org.timezone if org else "Europe/Moscow")
    if current and current not in zones and structure.valid_timezone(current):
        zones.append(current)  # a zone set elsewhere stays selectable
    form.timezone.choices = [SelectChoice(z, _timezone_label(z)) for z in zones]
    if request.method == "GET":
        if org is None:
            form.timezone.data = "Europe/Moscow"
        else:
            form.phone.data = format_phone(org.phone)
            form.platform.data = org.platform.value
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: structure.save_organisation(
                actor=me(),
                full_name=form.full_name.data,
                short_name=form.short_name.data,
                address=form.address.data or "",
                timezone=form.timezone.data,
                phone=form.phone.data,
                admin_contact=form.admin_contact.data or "",
                platform=form.platform.data,
            ),
            _("The college's profile has been saved."),
            url_for("structure.organisation"),
        )
        if done:
            i18n.forget_timezone()
            return done
    return render_template("structure/organisation.html", form=form, organisation=org)


def _timezone_label(zone: str) -> str:
    labels = {
        "Europe/Kaliningrad": _("Kaliningrad (MSK−1)"),
        "Europe/Moscow": _("Moscow (MSK)"),
        "Europe/Samara": _("Samara (MSK+1)"),
        "Asia/Yekaterinburg": _("Yekaterinburg (MSK+2)"),
        "Asia/Omsk": _("Omsk (MSK+3)"),
        "Asia/Novosibirsk": _("Novosibirsk (MSK+4)"),
        "Asia/Krasnoyarsk": _("Krasnoyarsk (MSK+4)"),
        "Asia/Irkutsk": _("Irkutsk (MSK+5)"),
        "Asia/Yakutsk": _("Yakutsk (MSK+6)"),
        "Asia/Vladivostok": _("Vladivostok (MSK+7)"),
        "Asia/Magadan": _("Magadan (MSK+8)"),
        "Asia/Kamchatka": _("Kamchatka (MSK+9)"),
    }
    return f"{labels[zone]} — {zone}" if zone in labels else zone


# --- departments ------------------------------------------------------------------------------


@bp.route("/departments")
@login_required
def departments():
    require("structure.manage")
    q, sort = text_arg("q"), text_arg("sort", 10) or "name"
    page = db.paginate(structure.department_query(q, sort), per_page=page_size(), error_out=False)
    counts = structure.related_counts(Department, [d.id for d in page.items])
    return render_template("structure/departments.html", page=page, counts=counts, q=q, sort=sort)


@bp.route("/departments/new", methods=["GET", "POST"])
@login_required
def department_new():
    require("structure.manage")
    form = DepartmentForm()
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: structure.create_department(actor=me(), name=form.name.data),
            _("Department added."),
            url_for("structure.departments"),
        )
        if done:
            return done
    return _edit_page(form, _("New department"), url_for("structure.departments"))


@bp.route("/departments/<int:department_id>/edit", methods=["GET", "POST"])
@login_required
def department_edit(department_id: int):
    require("structure.manage")
    department = db.get_or_404(Department, department_id)
    form = DepartmentForm(obj=department)
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: structure.update_department(department, actor=me(), name=form.name.data),
            _("Department saved."),
            url_for("structure.departments"),
        )
        if done:
            return done
    return _edit_page(
        form,
        _("Department %(name)s", name=department.name),
        url_for("structure.departments"),
        delete_url=url_for("structure.department_delete", department_id=department.id),
    )


@bp.route("/departments/<int:department_id>/delete", methods=["POST"])
@login_required
def department_delete(department_id: int):
    require("structure.manage")
    department = db.get_or_404(Department, department_id)
    return refuse_or_redirect(
        lambda: structure.delete_department(department, actor=me()),
        _("Department deleted."),
        url_for("structure.departments"),
        back_url=url_for("structure.department_edit", department_id=department_id),
    )


# --- specialities -----------------------------------------------------------------------------


@bp.route("/specialities")
@login_required
def specialities():
    require("structure.manage")
    q, sort = text_arg("q"), text_arg("sort", 10) or "code"
    page = db.paginate(structure.speciality_query(q, sort), per_page=page_size(), error_out=False)
    counts = structure.related_counts(Speciality, [s.id for s in page.items])
    return render_template("structure/specialities.html", page=page, counts=counts, q=q, sort=sort)


@bp.route("/specialities/new", methods=["GET", "POST"])
@login_required
def speciality_new():
    require("structure.manage")
    form = SpecialityForm()
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: structure.create_speciality(
                actor=me(), code=form.code.data, name=form.name.data
            ),
            _("Speciality added."),
            url_for("structure.specialities"),
        )
        if done:
            return done
    return _edit_page(form, _("New speciality"), url_for("structure.specialities"))


@bp.route("/specialities/<int:speciality_id>/edit", methods=["GET", "POST"])
@login_required
def speciality_edit(speciality_id: int):
    require("structure.manage")
    speciality = db.get_or_404(Speciality, speciality_id)
    form = SpecialityForm(obj=speciality)
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: structure.update_speciality(
                speciality, actor=me(), code=form.code.data, name=form.name.data
            ),
            _("Speciality saved."),
            url_for("structure.specialities"),
        )
        if done:
            return done
    return _edit_page(
        form,
        _("Speciality %(code)s", code=speciality.code),
        url_for("structure.specialities"),
        delete_url=url_for("structure.speciality_delete", speciality_id=speciality.id),
    )


@bp.route("/specialities/<int:speciality_id>/delete", methods=["POST"])
@login_required
def speciality_delete(speciality_id: int):
    require("structure.manage")
    speciality = db.get_or_404(Speciality, speciality_id)
    return refuse_or_redirect(
        lambda: structure.delete_speciality(speciality, actor=me()),
        _("Speciality deleted."),
        url_for("structure.specialities"),
        back_url=url_for("structure.speciality_edit", speciality_id=speciality_id),
    )


# --- disciplines ------------------------------------------------------------------------------


@bp.route("/disciplines")
@login_required
def disciplines():
    require("structure.manage")
    q, sort = text_arg("q"), text_arg("sort", 10) or "code"
    page = db.paginate(structure.discipline_query(q, sort), per_page=page_size(), error_out=False)
    counts = structure.related_counts(Discipline, [d.id for d in page.items])
    return render_template("structure/disciplines.html", page=page, counts=counts, q=q, sort=sort)


@bp.route("/disciplines/new", methods=["GET", "POST"])
@login_required
def discipline_new():
    require("structure.manage")
    form = DisciplineForm()
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: structure.create_discipline(
                actor=me(), code=form.code.data, name=form.name.data
            ),
            _("Discipline added."),
            url_for("structure.disciplines"),
        )
        if done:
            return done
    return _edit_page(form, _("New discipline"), url_for("structure.disciplines"))


@bp.route("/disciplines/<int:discipline_id>/edit", methods=["GET", "POST"])
@login_required
def discipline_edit(discipline_id: int):
    require("structure.manage")
    discipline = db.get_or_404(Discipline, discipline_id)
    form = DisciplineForm(obj=discipline)
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: structure.update_discipline(
                discipline, actor=me(), code=form.code.data, name=form.name.data
            ),
            _("Discipline saved."),
            url_for("structure.disciplines"),
        )
        if done:
            return done
    return _edit_page(
        form,
        _("Discipline %(code)s", code=discipline.code),
        url_for("structure.disciplines"),
        delete_url=url_for("structure.discipline_delete", discipline_id=discipline.id),
    )


@bp.route("/disciplines/<int:discipline_id>/delete", methods=["POST"])
@login_required
def discipline_delete(discipline_id: int):
    require("structure.manage")
    discipline = db.get_or_404(Discipline, discipline_id)
    return refuse_or_redirect(
        lambda: structure.delete_discipline(discipline, actor=me()),
        _("Discipline deleted."),
        url_for("structure.disciplines"),
        back_url=url_for("structure.discipline_edit", discipline_id=discipline_id),
    )


def _edit_page(form, title: str, back: str, delete_url: str | None = None):
    return render_template(
        "structure/edit.html", form=form, title=title, back=back, delete_url=delete_url
    )
