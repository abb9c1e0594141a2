"""Views: study groups (list, create, edit, delete) and the group page with its students,
tutors and teaching assignments."""

from __future__ import annotations

from datetime import date

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from intranet import i18n
from intranet.blueprints.structure import bp
from intranet.blueprints.structure.common import (
    int_arg,
    me,
    page_size,
    refuse_or_redirect,
    submit,
    text_arg,
)
from intranet.blueprints.structure.forms import (
    EndEnrollmentForm,
    EndTutorshipForm,
    EnrollForm,
    GroupForm,
    TeachingForm,
    TutorForm,
    placeholder,
)
from intranet.extensions import db
from intranet.models import (
    Enrollment,
    Role,
    StudyGroup,
    TeachingAssignment,
    TutorAssignment,
)
from intranet.policy import can
from intranet.services import structure
from intranet.web import require


def _load_group(group_id: int) -> StudyGroup:
    return db.get_or_404(
        StudyGroup,
        group_id,
        options=[joinedload(StudyGroup.speciality), joinedload(StudyGroup.department)],
    )


@bp.route("/groups")
@login_required
def groups():
    require("structure.manage")
    today = i18n.local_today()
    course = int_arg("course")
    filters = structure.GroupFilters(
        q=text_arg("q"),
        department_id=int_arg("department"),
        speciality_id=int_arg("speciality"),
        course=course if course and course <= structure.MAX_COURSE else None,
        archived=text_arg("archived", 3),
        no_tutor=text_arg("tutor", 4) == "none",
        sort=text_arg("sort", 10) or "name",
    )
    page = db.paginate(structure.group_query(filters, today), per_page=page_size(), error_out=False)
    return render_template(
        "structure/groups.html",
        page=page,
        filters=filters,
        extras=structure.group_extras([g.id for g in page.items], today),
        departments=structure.all_departments(),
        specialities=structure.all_specialities(),
        max_course=structure.MAX_COURSE,
        today=today,
    )


def _group_form(group: StudyGroup | None = None) -> GroupForm:
    form = GroupForm(obj=group)
    form.speciality_id.choices = [placeholder()] + [
        SelectChoice(s.id, f"{s.code} {s.name}") for s in structure.all_specialities()
    ]
    form.department_id.choices = [placeholder()] + [
        SelectChoice(d.id, d.name) for d in structure.all_departments()
    ]
    if group is None:
        del form.is_archived
        if request.method == "GET":
            form.admission_year.data = structure.academic_year_start(i18n.local_today())
    return form


def _group_values(form: GroupForm) -> dict:
    return {
        "name": form.name.data,
        "speciality_id": form.speciality_id.data,
        "department_id": form.department_id.data,
        "admission_year": form.admission_year.data,
        "study_form": form.study_form.data,
    }


@bp.route("/groups/new", methods=["GET", "POST"])
@login_required
def group_new():
    require("structure.manage")
    form = _group_form()
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: structure.create_group(actor=me(), **_group_values(form)),
            _("Group added."),
            lambda created: url_for("structure.group", group_id=created.id),
        )
        if done:
            return done
    return render_template(
        "structure/edit.html", form=form, title=_("New group"), back=url_for("structure.groups")
    )


@bp.route("/groups/<int:group_id>/edit", methods=["GET", "POST"])
@login_required
def group_edit(group_id: int):
    require("structure.manage")
    group = _load_group(group_id)
    form = _group_form(group)
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: structure.update_group(
                group, actor=me(), is_archived=form.is_archived.data, **_group_values(form)
            ),
            _("Group saved."),
            url_for("structure.group", group_id=group.id),
        )
        if done:
            return done
    return render_template(
        "structure/edit.html",
        form=form,
        title=_("Group %(name)s", name=group.name),
        back=url_for("structure.group", group_id=group.id),
        delete_url=url_for("structure.group_delete", group_id=group.id),
    )


@bp.route("/groups/<int:group_id>/delete", methods=["POST"])
@login_required
def group_delete(group_id: int):
    require("structure.manage")
    group = _load_group(group_id)
    return refuse_or_redirect(
        lambda: structure.delete_group(group, actor=me()),
        _("Group deleted."),
        url_for("structure.groups"),
        back_url=url_for("structure.group_edit", group_id=group_id),
    )


# --- the group page ---------------------------------------------------------------------------


@bp.route("/groups/<int:group_id>")
@login_required
def group(group_id: int):
    group = _load_group(group_id)
    require("structure.view", group)
    return _group_page(group)


def _group_page(
    group: StudyGroup,
    enroll_form: EnrollForm | None = None,
    tutor_form: TutorForm | None = None,
    teaching_form: TeachingForm | None = None,
):
    """The group page; the admin's forms keep what was typed when a submission failed."""
    today = i18n.local_today()
    forms = {}
    if can(me(), "structure.manage") and not group.is_archived:
        forms = {
            "enroll_form": enroll_form or _enroll_form(today),
            "tutor_form": tutor_form or _tutor_form(today),
            "teaching_form": teaching_form or _teaching_form(),
        }
        find = forms["enroll_form"].find.data or ""
        forms["enroll_form"].student_id.choices = [placeholder()] + [
            SelectChoice(s.id, f"{s.full_name} ({name or _('no group')})")
            for s, name in structure.student_candidates(find, today)
        ]
        forms["tutor_form"].tutor_id.choices = [placeholder()] + [
            SelectChoice(p.id, p.full_name) for p in structure.people_with_role(Role.TUTOR)
        ]
        forms["teaching_form"].teacher_id.choices = [placeholder()] + [
            SelectChoice(p.id, p.full_name) for p in structure.people_with_role(Role.TEACHER)
        ]
        forms["teaching_form"].discipline_id.choices = [placeholder()] + [
            SelectChoice(d.id, f"{d.code} {d.name}") for d in structure.all_disciplines()
        ]
    return render_template(
        "structure/group.html", page=structure.group_page(group, today), today=today, **forms
    )


def _enroll_form(today: date) -> EnrollForm:
    form = EnrollForm(prefix="enroll")
    if request.method == "GET":
        form.find.data = text_arg("find")
        form.starts_on.data = today
    return form


def _tutor_form(today: date) -> TutorForm:
    form = TutorForm(prefix="tutor")
    if request.method == "GET":
        form.starts_on.data = today
    return form


def _teaching_form() -> TeachingForm:
    return TeachingForm(prefix="teaching")


@bp.route("/groups/<int:group_id>/enroll", methods=["POST"])
@login_required
def enroll(group_id: int):
    require("structure.manage")
    group = _load_group(group_id)
    form = _enroll_form(i18n.local_today())
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: structure.enroll(
                group,
                actor=me(),
                student_id=form.student_id.data,
                starts_on=form.starts_on.data,
                reason=form.reason.data or "",
            ),
            _("The student has been enrolled."),
            url_for("structure.group", group_id=group.id),
        )
        if done:
            return done
    return _group_page(group, enroll_form=form)


@bp.route("/groups/<int:group_id>/tutors", methods=["POST"])
@login_required
def assign_tutor(group_id: int):
    require("structure.manage")
    group = _load_group(group_id)
    form = _tutor_form(i18n.local_today())
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: structure.assign_tutor(
                group,
                actor=me(),
                tutor_id=form.tutor_id.data,
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
                basis_number=form.basis_number.data,
                basis_date=form.basis_date.data,
            ),
            _("The tutor has been assigned."),
            url_for("structure.group", group_id=group.id),
        )
        if done:
            return done
    return _group_page(group, tutor_form=form)


@bp.route("/groups/<int:group_id>/teaching", methods=["POST"])
@login_required
def add_teaching(group_id: int):
    require("structure.manage")
    group = _load_group(group_id)
    form = _teaching_form()
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: structure.add_teaching(
                group,
                actor=me(),
                teacher_id=form.teacher_id.data,
                discipline_id=form.discipline_id.data,
            ),
            _("The teaching assignment has been added."),
            url_for("structure.group", group_id=group.id),
        )
        if done:
            return done
    return _group_page(group, teaching_form=form)


@bp.route("/groups/<int:group_id>/teaching/<int:teaching_id>/delete", methods=["POST"])
@login_required
def remove_teaching(group_id: int, teaching_id: int):
    require("structure.manage")
    assignment = db.get_or_404(TeachingAssignment, teaching_id)
    if assignment.group_id != group_id:
        abort(404)
    return refuse_or_redirect(
        lambda: structure.remove_teaching(assignment, actor=me()),
        _("The teaching assignment has been removed."),
        url_for("structure.group", group_id=group_id),
    )


@bp.route("/groups/<int:group_id>/enrollments/<int:enrollment_id>/end", methods=["GET", "POST"])
@login_required
def end_enrollment(group_id: int, enrollment_id: int):
    require("structure.manage")
    enrollment = db.get_or_404(
        Enrollment,
        enrollment_id,
        options=[joinedload(Enrollment.student), joinedload(Enrollment.group)],
    )
    if enrollment.group_id != group_id:
        abort(404)
    form = EndEnrollmentForm()
    if request.method == "GET":
        form.ends_on.data = i18n.local_today()
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: structure.end_enrollment(
                enrollment, actor=me(), ends_on=form.ends_on.data, reason=form.reason.data or ""
            ),
            _("The enrollment has ended."),
            url_for("structure.group", group_id=group_id),
        )
        if done:
            return done
    return render_template(
        "structure/end.html",
        form=form,
        title=_("Remove from group %(group)s", group=enrollment.group.name),
        who=enrollment.student,
        since=enrollment.starts_on,
        back=url_for("structure.group", group_id=group_id),
    )


@bp.route("/groups/<int:group_id>/tutors/<int:tutorship_id>/end", methods=["GET", "POST"])
@login_required
def end_tutorship(group_id: int, tutorship_id: int):
    require("structure.manage")
    assignment = db.get_or_404(
        TutorAssignment,
        tutorship_id,
        options=[joinedload(TutorAssignment.tutor), joinedload(TutorAssignment.group)],
    )
    if assignment.group_id != group_id:
        abort(404)
    form = EndTutorshipForm()
    if request.method == "GET":
        form.ends_on.data = i18n.local_today()
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: structure.end_tutorship(assignment, actor=me(), ends_on=form.ends_on.data),
            _("The tutorship has ended."),
            url_for("structure.group", group_id=group_id),
        )
        if done:
            return done
    return render_template(
        "structure/end.html",
        form=form,
        title=_("End tutorship of group %(group)s", group=assignment.group.name),
        who=assignment.tutor,
        since=assignment.starts_on,
        back=url_for("structure.group", group_id=group_id),
    )
