"""Views: staff hired and leaving (with the hand-over to a successor)."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from wtforms import SelectChoice

from intranet import i18n
from intranet.blueprints.movement import bp
from intranet.blueprints.movement.forms import HireForm, LeaveForm
from intranet.blueprints.movement.views import _basis_choices
from intranet.blueprints.structure.common import me, submit
from intranet.extensions import db
from intranet.labels import role_label
from intranet.models import User
from intranet.models.people import STAFF_ROLES
from intranet.services import movement
from intranet.web import require


@bp.route("/staff/hire", methods=["GET", "POST"])
@login_required
def hire():
    require("movement.manage")
    form = HireForm()
    form.roles.choices = [SelectChoice(r.value, role_label(r)) for r in movement.HIRE_ROLES]
    form.basis_id.choices = _basis_choices()
    if request.method == "GET":
        form.effective_on.data = i18n.local_today()
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: movement.hire(
                me(),
                last_name=form.last_name.data,
                first_name=form.first_name.data,
                middle_name=form.middle_name.data or "",
                email=form.email.data,
                phone=form.phone.data,
                roles=form.roles.data or [],
                effective_on=form.effective_on.data,
                basis_id=form.basis_id.data,
                comment=form.comment.data or "",
                confirm_teacher=form.confirm_teacher.data,
                today=i18n.local_today(),
            ),
            _("The hiring has been recorded. Send the person an activation link."),
            lambda m: url_for("movement.view", movement_id=m.id),
        )
        if done:
            return done
    return render_template("movement/hire.html", form=form)


@bp.route("/staff/<int:person_id>/leave", methods=["GET", "POST"])
@login_required
def leave(person_id: int):
    require("movement.manage")
    person = db.get_or_404(User, person_id)
    if not person.role_set & STAFF_ROLES:
        abort(404)
    today = i18n.local_today()
    form = LeaveForm()
    form.successor_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(p.id, p.full_name) for p in movement.staff_candidates(exclude_id=person.id)
    ]
    form.basis_id.choices = _basis_choices()
    if request.method == "GET":
        form.effective_on.data = today
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: movement.leave(
                me(),
                person,
                successor_id=form.successor_id.data,
                effective_on=form.effective_on.data,
                basis_id=form.basis_id.data,
                comment=form.comment.data or "",
                today=today,
            ),
            _("The leaving has been recorded."),
            lambda m: url_for("movement.view", movement_id=m.id),
        )
        if done:
            return done
    return render_template(
        "movement/leave.html",
        form=form,
        person=person,
        holds=movement.pending_for(person, today),
        history=movement.history_for(person.id),
    )
