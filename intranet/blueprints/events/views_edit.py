"""Views: planning and editing an event, its states, its people, its broadcast and the single
dates of a series."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from intranet import policy
from intranet.blueprints.events import bp
from intranet.blueprints.events.forms import (
    BroadcastForm,
    CancelForm,
    EventForm,
)
from intranet.blueprints.events.views import load_or_404
from intranet.extensions import db
from intranet.i18n import local_zone
from intranet.models import Department, Event, EventKind, Speciality, StudyGroup
from intranet.models.events import COMPETITION_KINDS, RECURRING_KINDS
from intranet.services import events as events_service
from intranet.services.errors import (
    DomainError,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)
from intranet.services.events import queries
from intranet.services.events.recurrence import parse_rule
from intranet.web import require

# Form fields a service error may name; anything else is shown above the form.
_FIELDS = {
    "title",
    "stream_url",
    "group_ids",
    "department_ids",
    "responsible_id",
    "room_id",
    "repeat",
    "interval",
    "weekdays",
    "until",
    "count",
    "exdates",
    "attestation",
    "speciality_id",
    "stage",
    "category",
    "competency",
    "kind",
}


def _prepare(form: EventForm, kind: EventKind, event: Event | None) -> None:
    """The choices of every select, as this person may use them."""
    manager = events_service.is_manager(current_user)
    form.setup(kind)
    form.responsible_id.choices = [(p, n) for p, n in queries.staff_choices()]
    rooms = [("", "—")] + queries.room_choices()
    form.room_id.choices = rooms
    for entry in form.sessions:
        entry.form.room_id.choices = rooms
    group_query = select(StudyGroup.id, StudyGroup.name).order_by(StudyGroup.name_key)
    if manager:
        group_query = group_query.where(StudyGroup.is_archived.is_(False))
    else:
        allowed = events_service.own_group_ids(current_user)
        if event is not None:
            allowed |= {g.id for g in event.groups}
        group_query = group_query.where(StudyGroup.id.in_(allowed or {-1}))
    form.group_ids.choices = [tuple(r) for r in db.session.execute(group_query)]
    form.department_ids.choices = [
        tuple(r)
        for r in db.session.execute(
            select(Department.id, Department.name).order_by(Department.name_key)
        )
    ]
    if kind is EventKind.DEMO_EXAM:
        form.speciality_id.choices = [("", "—")] + [
            (r.id, f"{r.code} {r.name}")
            for r in db.session.execute(
                select(Speciality.id, Speciality.code, Speciality.name).order_by(Speciality.code)
            )
        ]
    else:
        form.speciality_id.choices = [("", "—")]


def _add_session_row(form: EventForm) -> None:
    entry = form.sessions.append_entry()
    entry.form.room_id.choices = form.room_id.choices


def _defaults(form: EventForm, kind: EventKind) -> None:
    """A new event's form: the planner responsible, an exam's Д-1 and Д1 rows."""
    form.responsible_id.data = current_user.id
    if kind is EventKind.DEMO_EXAM:
        first = form.sessions.entries[0].form
        first.label.data, first.is_preparation.data = _("D-1"), True
        _add_session_row(form)
        form.sessions.entries[1].form.label.data = _("D1")
    form.interval.data = 1


def _fill(form: EventForm, event: Event) -> None:
    """An existing event's values in the form (times in the organisation's zone)."""
    zone = local_zone()
    form.title.data = event.title
    form.description.data = event.description
    form.responsible_id.data = event.responsible_id
    form.room_id.data = event.room_id
    form.location.data = event.location
    form.is_open.data = event.is_open
    form.stream_url.data = event.stream_url
    form.recording_kept_until.data = event.recording_kept_until
    form.group_ids.data = [g.id for g in event.groups]
    form.department_ids.data = [d.id for d in event.departments]
    form.roles.data = [r.role.value for r in event.audience_roles]
    while form.sessions.entries:
        form.sessions.pop_entry()
    for session in event.sessions:
        start = session.starts_at.astimezone(zone)
        end = session.ends_at.astimezone(zone)
        _add_session_row(form)
        sub = form.sessions.entries[-1].form
        sub.session_id.data = str(session.id)
        sub.label.data = session.label
        sub.day.data = start.date()
        sub.start.data = start.time().replace(second=0, microsecond=0)
        sub.end.data = end.time().replace(second=0, microsecond=0)
        sub.room_id.data = session.room_id
        sub.location.data = session.location
        sub.is_preparation.data = session.is_preparation
    if event.rrule:
        rec = parse_rule(event.rrule, list(event.exdates or []), zone)
        form.repeat.data = rec.freq
        form.interval.data = rec.interval
        form.weekdays.data = list(rec.weekdays)
        form.until.data = rec.until
        form.count.data = rec.count
        form.exdates.data = ", ".join(d.strftime("%d.%m.%Y") for d in rec.exdates)
    if event.demo_exam is not None:
        exam = event.demo_exam
        form.attestation.data = exam.attestation.value
        form.level.data = exam.level.value
        form.speciality_id.data = exam.speciality_id
        form.kod.data = exam.kod
        form.exam_site.data = exam.site
    if event.competition is not None:
        contest = event.competition
        form.stage.data = contest.stage.value
        form.category.data = contest.category.value
        form.competency.data = contest.competency
        form.contest_site.data = contest.site


def _render_form(form: EventForm, kind: EventKind, event: Event | None, problems: list[str]):
    return render_template(
        "events/form.html",
        form=form,
        kind=kind,
        event=event,
        problems=problems,
        recurring=kind in RECURRING_KINDS,
        competition=kind in COMPETITION_KINDS,
        manager=events_service.is_manager(current_user),
    ), (422 if problems else 200)


def _save(form: EventForm, kind: EventKind, event: Event | None):
    """Validate, call the service, commit; the form again with the problems otherwise."""
    problems: list[str] = []
    if form.add_session.data:
        if len(form.sessions.entries) < 30:
            _add_session_row(form)
        return _render_form(form, kind, event, problems)[0]
    if form.validate_on_submit():
        try:
            data = form.to_input(kind)
            if event is None:
                saved = events_service.create_event(data, actor=current_user)
            else:
                saved = events_service.update_event(event, data, actor=current_user)
        except events_service.ScheduleConflict as error:
            db.session.rollback()
            problems = [c.message() for c in error.clashes]
            if policy.can(current_user, "events.override_conflict"):
                form.override_reason.errors = [
                    _("To save anyway, give the reason (it is recorded).")
                ]
        except ValidationFailed as error:
            db.session.rollback()
            if error.field in _FIELDS:
                getattr(form, error.field).errors = [
                    *getattr(form, error.field).errors,
                    error.message,
                ]
            else:
                problems = [str(error.message)]
        except PermissionDenied:
            db.session.rollback()
            abort(403)
        except InvalidTransition as error:
            db.session.rollback()
            problems = [error.message]
        else:
            db.session.commit()
            flash(_("Event saved."), "success")
            return redirect(url_for("events.show", event_id=saved.id))
    elif request.method == "POST":
        problems = [_("Check the highlighted fields.")] + _field_problems(form)
    return _render_form(form, kind, event, problems)


def _field_problems(form) -> list[str]:
    """«Label: message» for every field in error (sessions by their row)."""
    found = []
    for name, errors in form.errors.items():
        if name == "csrf_token":
            continue
        if name == "sessions":
            for index, row in enumerate(errors, start=1):
                if isinstance(row, dict):
                    for sub, messages in row.items():
                        label = form.sessions.entries[index - 1].form[sub].label.text
                        found += [f"{index}. {label}: {m}" for m in messages]
            continue
        found += [f"{form[name].label.text}: {m}" for m in errors if isinstance(m, str)]
    return found


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require("events.create")
    raw = request.args.get("kind", "")
    if raw not in EventKind._value2member_map_:
        return render_template("events/new.html", kinds=list(EventKind))
    kind = EventKind(raw)
    form = EventForm()
    _prepare(form, kind, None)
    if request.method == "GET":
        _defaults(form, kind)
        return _render_form(form, kind, None, [])
    return _save(form, kind, None)


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id: int):
    event = load_or_404(event_id)
    require("events.edit", event)
    if event.status.value in ("completed", "cancelled"):
        flash(_("A completed or cancelled event can no longer be edited."), "warning")
        return redirect(url_for("events.show", event_id=event_id))
    form = EventForm()
    _prepare(form, event.kind, event)
    if request.method == "GET":
        _fill(form, event)
        return _render_form(form, event.kind, event, [])
    return _save(form, event.kind, event)


def act(event_id: int, action, success: str, *, event: Event | None = None, **kwargs):
    """Run a state change and go back to the event page."""
    event = event or load_or_404(event_id)
    try:
        action(event, actor=current_user, **kwargs)
    except PermissionDenied:
        db.session.rollback()
        abort(403)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(url_for("events.show", event_id=event_id))


@bp.route("/<int:event_id>/confirm", methods=["POST"])
@login_required
def confirm(event_id: int):
    require("events.manage")
    return act(event_id, events_service.confirm, _("The event is confirmed."))


@bp.route("/<int:event_id>/complete", methods=["POST"])
@login_required
def complete(event_id: int):
    require("events.manage")
    return act(event_id, events_service.complete, _("The event is marked completed."))


@bp.route("/<int:event_id>/cancel", methods=["POST"])
@login_required
def cancel(event_id: int):
    require("events.manage")
    form = CancelForm()
    if not form.validate_on_submit():
        flash(_("The form has expired. Please submit it again."), "danger")
        return redirect(url_for("events.show", event_id=event_id))
    return act(
        event_id,
        events_service.cancel,
        _("The event is cancelled; participants have been told."),
        reason=form.reason.data or "",
    )


@bp.route("/<int:event_id>/delete", methods=["POST"])
@login_required
def delete(event_id: int):
    require("events.manage")
    event = load_or_404(event_id)
    try:
        events_service.delete_event(event, actor=current_user)
    except PermissionDenied:
        db.session.rollback()
        abort(403)
    db.session.commit()
    flash(_("The event is deleted."), "success")
    return redirect(url_for("events.month"))


@bp.route("/<int:event_id>/broadcast", methods=["POST"])
@login_required
def broadcast(event_id: int):
    event = load_or_404(event_id)
    require("events.edit", event)
    form = BroadcastForm()
    if form.validate_on_submit():
        try:
            events_service.update_broadcast(
                event,
                actor=current_user,
                status=form.status(),
                is_camera_checked=form.is_camera_checked.data,
                is_test_broadcast_done=form.is_test_broadcast_done.data,
                is_link_sent=form.is_link_sent.data,
                recording_kept_until=form.recording_kept_until.data,
            )
        except ValidationFailed as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("Broadcast saved."), "success")
    else:
        flash(_("Check the broadcast form: %(errors)s", errors=_errors(form)), "danger")
    return redirect(url_for("events.show", event_id=event_id) + "#broadcast")


def _errors(form) -> str:
    return "; ".join(str(e) for errors in form.errors.values() for e in errors)
