"""Views: calendar subscriptions (create, rotate, revoke, reminder) and rooms."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from intranet.blueprints.events import bp
from intranet.blueprints.events.forms import (
    AlarmForm,
    FeedForm,
    RoomForm,
    alarm_choices,
    alarm_value,
)
from intranet.extensions import db
from intranet.models import CalendarFeed, EventKind, FeedScope, Room
from intranet.models.base import fold
from intranet.services import events as events_service
from intranet.services.errors import PermissionDenied, ValidationFailed
from intranet.services.events import queries
from intranet.web import require, safe_next


def _feed_form() -> FeedForm:
    form = FeedForm()
    choices = queries.filter_choices(current_user)
    form.group_id.choices = [("", "—")] + choices["groups"]
    form.department_id.choices = [("", "—")] + choices["departments"]
    form.alarm_minutes.choices = alarm_choices()
    staff = queries.sees_everything(current_user)
    allowed = {FeedScope.PERSONAL, FeedScope.PUBLIC}
    if choices["groups"]:
        allowed.add(FeedScope.GROUP)
    if staff:
        allowed |= {FeedScope.DEPARTMENT, FeedScope.KIND}
    form.scope.choices = [c for c in form.scope.choices if c[0] in {s.value for s in allowed}]
    return form


def _render_feeds(form: FeedForm, status: int = 200):
    feeds = queries.my_feeds(current_user)
    alarm_form = AlarmForm()
    alarm_form.alarm_minutes.choices = alarm_choices()
    return render_template(
        "events/feeds.html",
        form=form,
        feeds=[(f, events_service.feed_urls(f)) for f in feeds],
        alarm_form=alarm_form,
    ), status


@bp.route("/feeds", methods=["GET", "POST"])
@login_required
def feeds():
    require("events.subscribe")
    form = _feed_form()
    if request.method == "POST" and form.validate_on_submit():
        kind = form.kind.data
        try:
            events_service.create_feed(
                current_user,
                scope=form.feed_scope(),
                group_id=form.group_id.data,
                department_id=form.department_id.data,
                kind=EventKind(kind) if kind in EventKind._value2member_map_ else None,
                alarm_minutes=alarm_value(form.alarm_minutes.data),
            )
        except PermissionDenied:
            db.session.rollback()
            abort(403)
        except ValidationFailed as error:
            db.session.rollback()
            field = error.field if error.field in form._fields else "scope"
            form[field].errors = [*form[field].errors, error.message]
        else:
            db.session.commit()
            flash(_("The subscription address is ready: add it to your calendar."), "success")
            return redirect(url_for("events.feeds"))
    if request.method == "POST":
        return _render_feeds(form, 422)
    return _render_feeds(form)


@bp.route("/subscribe", methods=["POST"])
@login_required
def subscribe():
    """«Подписаться» on a calendar page: the person's «my events» feed, made if missing."""
    require("events.subscribe")
    if events_service.personal_feed(current_user) is None:
        events_service.create_feed(current_user, scope=FeedScope.PERSONAL)
        db.session.commit()
        flash(_("The subscription address is ready: add it to your calendar."), "success")
    return redirect(safe_next(request.form.get("next")) or url_for("events.feeds"))


def _my_feed(feed_id: int) -> CalendarFeed:
    feed = db.get_or_404(CalendarFeed, feed_id)
    if feed.owner_id != current_user.id or feed.revoked_at is not None:
        abort(404)
    return feed


@bp.route("/feeds/<int:feed_id>/rotate", methods=["POST"])
@login_required
def rotate_feed(feed_id: int):
    require("events.subscribe")
    events_service.rotate_feed(_my_feed(feed_id), actor=current_user)
    db.session.commit()
    flash(
        _("The address is new; the old one no longer works. Update it in your calendar."),
        "success",
    )
    return redirect(url_for("events.feeds"))


@bp.route("/feeds/<int:feed_id>/revoke", methods=["POST"])
@login_required
def revoke_feed(feed_id: int):
    require("events.subscribe")
    events_service.revoke_feed(_my_feed(feed_id), actor=current_user)
    db.session.commit()
    flash(_("The subscription is revoked."), "success")
    return redirect(url_for("events.feeds"))


@bp.route("/feeds/<int:feed_id>/alarm", methods=["POST"])
@login_required
def feed_alarm(feed_id: int):
    require("events.subscribe")
    feed = _my_feed(feed_id)
    form = AlarmForm()
    form.alarm_minutes.choices = alarm_choices()
    if form.validate_on_submit():
        events_service.set_alarm(feed, alarm_value(form.alarm_minutes.data), actor=current_user)
        db.session.commit()
        flash(_("Reminder saved."), "success")
    else:
        flash(_("Choose a reminder from the list."), "danger")
    return redirect(url_for("events.feeds"))


# --- rooms -----------------------------------------------------------------------------------


@bp.route("/rooms")
@login_required
def rooms():
    require("events.rooms")
    query = select(Room).order_by(Room.is_active.desc(), Room.name_key)
    search = request.args.get("q", "").strip()[:100]
    if search:
        query = query.where(Room.name_key.contains(fold(search)))
    page = db.paginate(query, per_page=50, max_per_page=100, error_out=False)
    return render_template("events/rooms.html", page=page, search=search)


def _room_form_page(room: Room | None):
    form = RoomForm(obj=room)
    if form.validate_on_submit():
        try:
            events_service.save_room(
                room,
                actor=current_user,
                name=form.name.data,
                building=form.building.data or "",
                capacity=form.capacity.data,
                note=form.note.data or "",
                is_active=bool(form.is_active.data),
            )
        except ValidationFailed as error:
            db.session.rollback()
            field = error.field if error.field in form._fields else "name"
            form[field].errors = [*form[field].errors, error.message]
        else:
            db.session.commit()
            flash(_("Room saved."), "success")
            return redirect(url_for("events.rooms"))
    status = 422 if request.method == "POST" else 200
    return render_template("events/room_form.html", form=form, room=room), status


@bp.route("/rooms/new", methods=["GET", "POST"])
@login_required
def new_room():
    require("events.rooms")
    return _room_form_page(None)


@bp.route("/rooms/<int:room_id>/edit", methods=["GET", "POST"])
@login_required
def edit_room(room_id: int):
    require("events.rooms")
    return _room_form_page(db.get_or_404(Room, room_id))
