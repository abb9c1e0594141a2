"""Views: the people of an event, and moving or cancelling one date of a series."""

from __future__ import annotations

from datetime import time

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from intranet import policy
from intranet.blueprints.events import bp
from intranet.blueprints.events.forms import MoveForm, PersonForm
from intranet.blueprints.events.views import load_or_404
from intranet.blueprints.events.views_edit import act
from intranet.extensions import db
from intranet.i18n import local_zone
from intranet.models import Event
from intranet.services import events as events_service
from intranet.services.errors import DomainError, InvalidTransition, NotFound, ValidationFailed
from intranet.services.events import queries
from intranet.web import require

# --- people ----------------------------------------------------------------------------------


@bp.route("/<int:event_id>/people", methods=["GET", "POST"])
@login_required
def people(event_id: int):
    event = load_or_404(event_id)
    editable = policy.can(current_user, "events.edit", event)
    form = PersonForm()
    problems: list[str] = []
    if request.method == "POST":
        if not editable:
            abort(403)
        if form.validate_on_submit():
            try:
                events_service.add_person(
                    event,
                    actor=current_user,
                    role=form.person_role(),
                    email=form.email.data or "",
                    name=form.name.data or "",
                    organisation=form.organisation.data or "",
                    override_reason=form.override_reason.data or "",
                )
            except events_service.ScheduleConflict as error:
                db.session.rollback()
                problems = [c.message() for c in error.clashes]
            except ValidationFailed as error:
                db.session.rollback()
                field = error.field if error.field in ("email", "name") else "email"
                getattr(form, field).errors = [error.message]
            except InvalidTransition as error:
                db.session.rollback()
                problems = [error.message]
            else:
                db.session.commit()
                flash(_("Added."), "success")
                return redirect(url_for("events.people", event_id=event_id))
    status = 422 if (problems or form.errors) and request.method == "POST" else 200
    return render_template(
        "events/people.html", event=event, form=form, editable=editable, problems=problems
    ), status


@bp.route("/<int:event_id>/people/<int:person_id>/remove", methods=["POST"])
@login_required
def remove_person(event_id: int, person_id: int):
    event = load_or_404(event_id)
    require("events.edit", event)
    try:
        events_service.remove_person(event, person_id, actor=current_user)
    except NotFound:
        abort(404)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(_("Removed; they have been told."), "success")
    return redirect(url_for("events.people", event_id=event_id))


@bp.route("/<int:event_id>/people/students", methods=["POST"])
@login_required
def add_students(event_id: int):
    event = load_or_404(event_id)
    require("events.edit", event)
    try:
        added = events_service.add_group_students(event, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(_("Students added: %(n)d.", n=added), "success")
    return redirect(url_for("events.people", event_id=event_id))


# --- single dates of a series ----------------------------------------------------------------


def _occurrence(event: Event, occurrence_id: int):
    occ = next((o for o in event.occurrences if o.id == occurrence_id), None)
    if occ is None or occ.recurrence_at is None:
        abort(404)
    return occ


@bp.route("/<int:event_id>/dates/<int:occurrence_id>/move", methods=["GET", "POST"])
@login_required
def move(event_id: int, occurrence_id: int):
    event = load_or_404(event_id)
    require("events.edit", event)
    occ = _occurrence(event, occurrence_id)
    form = MoveForm()
    form.room_id.choices = [("", "—")] + queries.room_choices()
    problems: list[str] = []
    if request.method == "GET":
        zone = local_zone()
        start, end = occ.starts_at.astimezone(zone), occ.ends_at.astimezone(zone)
        form.day.data = start.date()
        form.start.data = time(start.hour, start.minute)
        form.end.data = time(end.hour, end.minute)
        form.room_id.data = occ.room_id
        form.location.data = occ.location
    elif form.validate_on_submit():
        try:
            events_service.move_occurrence(
                event,
                occ,
                actor=current_user,
                day=form.day.data,
                start=form.start.data,
                end=form.end.data,
                room_id=form.room_id.data,
                location=form.location.data or "",
                override_reason=form.override_reason.data or "",
            )
        except events_service.ScheduleConflict as error:
            db.session.rollback()
            problems = [c.message() for c in error.clashes]
        except DomainError as error:
            db.session.rollback()
            problems = [error.message]
        else:
            db.session.commit()
            flash(_("The date is moved; participants have been told."), "success")
            return redirect(url_for("events.show", event_id=event_id) + "#dates")
    status = 422 if request.method == "POST" else 200
    return render_template(
        "events/move.html", event=event, occurrence=occ, form=form, problems=problems
    ), status


@bp.route("/<int:event_id>/dates/<int:occurrence_id>/cancel", methods=["POST"])
@login_required
def cancel_date(event_id: int, occurrence_id: int):
    event = load_or_404(event_id)
    require("events.edit", event)
    occ = _occurrence(event, occurrence_id)
    return act(
        event_id,
        lambda ev, actor: events_service.cancel_occurrence(ev, occ, actor=actor),
        _("The date is cancelled; participants have been told."),
        event=event,
    )
