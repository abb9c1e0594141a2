"""Views: channels (list, page, Atom, admin), drafting (new, edit, preview), reading."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from intranet import policy
from intranet.blueprints.channels import bp
from intranet.blueprints.channels.forms import (
    AnnouncementForm,
    ChannelForm,
    ConfirmForm,
    PreviewForm,
    to_local,
    to_utc,
)
from intranet.blueprints.channels.labels import audience_label
from intranet.extensions import db
from intranet.labels import role_label
from intranet.models import (
    Announcement,
    AnnouncementStatus,
    Audience,
    Channel,
    ChannelStage,
    Role,
    StudyGroup,
)
from intranet.services import markdown, uploads
from intranet.services.channels import atom, diff, drafting, manage, reading
from intranet.services.errors import Conflict, ValidationFailed
from intranet.web import require

APPROVER_ROLES = (Role.ADMIN, Role.HEAD, Role.DEPUTY, Role.TUTOR, Role.TEACHER)


# --- channels ------------------------------------------------------------------------------


@bp.route("/channels/")
@login_required
def index():
    require("channels.read")
    rows = reading.channels_for(current_user)
    return render_template("channels/index.html", rows=rows)


@bp.route("/channels/<int:channel_id>")
@login_required
def channel(channel_id: int):
    item = db.get_or_404(Channel, channel_id)
    require("channels.read", item)
    search = request.args.get("q", "")[:100]
    page = db.paginate(
        reading.channel_items(item, search=search),
        per_page=reading.PAGE_SIZE,
        max_per_page=reading.PAGE_SIZE,
        error_out=False,
    )
    return render_template(
        "channels/channel.html",
        channel=item,
        page=page,
        items=reading.listed(list(page.items), joinedload(Announcement.live_revision)),
        q=search,
        is_public=policy.is_public(item),
    )


@bp.route("/channels/<int:channel_id>/feed.atom")
def atom_feed(channel_id: int):
    """Public for channels open to everyone; no session, conditional GET."""
    item = db.get_or_404(Channel, channel_id)
    if not policy.is_public(item):
        abort(404)
    etag = atom.fingerprint(item, reading.atom_state(item), get_locale().language)
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        body = atom.cached(item.id, etag)
        if body is None:
            body = atom.build(
                item,
                reading.atom_entries(item),
                self_url=_external("channels.atom_feed", channel_id=item.id),
                page_url=_external("channels.channel", channel_id=item.id),
                entry_url=lambda a: _external("channels.read", announcement_id=a.id),
                labels={"cancelled": _("Cancelled"), "corrected": _("corrected")},
            )
            atom.remember(item.id, etag, body)
        response = Response(body, mimetype="application/atom+xml")
    response.set_etag(etag)
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def _external(endpoint: str, **values) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


@bp.route("/channels/manage")
@login_required
def manage_list():
    require("channels.manage")
    return render_template("channels/manage.html", channels=reading.all_channels())


@bp.route("/channels/new", methods=["GET", "POST"])
@login_required
def new_channel():
    require("channels.manage")
    form = ChannelForm()
    _channel_choices(form)
    if form.validate_on_submit():
        try:
            created = manage.create_channel(_channel_data(form), actor=current_user)
        except ValidationFailed as error:
            db.session.rollback()
            _field_error(form, error, "name")
        else:
            db.session.commit()
            flash(_("Channel «%(name)s» created.", name=created.name), "success")
            return redirect(url_for("channels.manage_list"))
    return render_template("channels/channel_form.html", form=form, channel=None)


@bp.route("/channels/<int:channel_id>/edit", methods=["GET", "POST"])
@login_required
def edit_channel(channel_id: int):
    item = db.session.scalar(
        select(Channel)
        .where(Channel.id == channel_id)
        .options(
            selectinload(Channel.groups),
            selectinload(Channel.stages).selectinload(ChannelStage.approvers),
        )
    )
    if item is None:
        abort(404)
    require("channels.manage", item)
    form = ChannelForm()
    _channel_choices(form)
    if request.method == "GET":
        _fill_channel_form(form, item)
    if form.validate_on_submit():
        try:
            manage.update_channel(item, _channel_data(form), actor=current_user)
        except ValidationFailed as error:
            db.session.rollback()
            _field_error(form, error, "name")
        else:
            db.session.commit()
            flash(_("Channel saved."), "success")
            return redirect(url_for("channels.manage_list"))
    return render_template("channels/channel_form.html", form=form, channel=item)


def _channel_choices(form: ChannelForm) -> None:
    form.audience.choices = [(a.value, audience_label(a)) for a in Audience]
    groups = db.session.execute(
        select(StudyGroup.id, StudyGroup.name)
        .where(StudyGroup.is_archived.is_(False))
        .order_by(StudyGroup.name_key)
    ).all()
    form.group_ids.choices = [(g.id, g.name) for g in groups]
    people = [(u.id, u.full_name) for u in manage.staff_choices()]
    roles = [("", "—")] + [(r.value, role_label(r)) for r in APPROVER_ROLES]
    for entry in form.stages:
        entry.form.role.choices = roles
        entry.form.people.choices = people


def _fill_channel_form(form: ChannelForm, item: Channel) -> None:
    form.name.data = item.name
    form.description.data = item.description
    form.audience.data = item.audience.value
    form.group_ids.data = [g.id for g in item.groups]
    form.group_students.data = item.group_students
    form.group_parents.data = item.group_parents
    form.sferum_url.data = item.sferum_url
    form.is_archived.data = item.is_archived
    for entry, stage in zip(form.stages, item.stages, strict=False):
        entry.form.role.data = stage.approver_role.value if stage.approver_role else ""
        entry.form.people.data = [u.id for u in stage.approvers]


def _channel_data(form: ChannelForm) -> manage.ChannelData:
    stages = []
    for entry in form.stages:
        role = entry.form.role.data or None
        try:
            role_value = Role(role) if role else None
        except ValueError:
            role_value = None
        stages.append(
            manage.StageSpec(role=role_value, people_ids=list(entry.form.people.data or []))
        )
    return manage.ChannelData(
        name=form.name.data or "",
        description=form.description.data or "",
        audience=form.audience_value() or Audience.EVERYONE,
        stages=stages,
        group_ids=list(form.group_ids.data or []),
        group_students=bool(form.group_students.data),
        group_parents=bool(form.group_parents.data),
        sferum_url=form.sferum_url.data or "",
        is_archived=bool(form.is_archived.data),
    )


def _field_error(form, error: ValidationFailed, default: str) -> None:
    name = error.field if error.field and hasattr(form, error.field) else default
    field = getattr(form, name)
    if isinstance(field.errors, tuple):
        field.errors = list(field.errors)
    field.errors.append(error.message)


# --- drafting -------------------------------------------------------------------------------


def _draft_channels() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Channel.id, Channel.name)
        .where(Channel.is_archived.is_(False))
        .order_by(Channel.name_key)
    ).all()
    return [(r.id, r.name) for r in rows]


def _draft(form: AnnouncementForm) -> drafting.Draft:
    return drafting.Draft(
        title=form.title.data or "",
        body=form.body.data or "",
        go_live_at=to_utc(form.go_live_at.data),
        expire_at=to_utc(form.expire_at.data),
        is_mandatory=bool(form.is_mandatory.data),
    )


def _image(form: AnnouncementForm) -> drafting.Image | None:
    file = form.image.data
    if not file or not getattr(file, "filename", None):
        return None
    return drafting.Image(stream=file.stream, filename=file.filename, alt=form.image_alt.data or "")


def _render_edit(form, announcement, status: int = 200):
    return render_template("channels/edit.html", form=form, announcement=announcement), status


@bp.route("/announcements/new", methods=["GET", "POST"])
@login_required
def new():
    require("channels.draft")
    form = AnnouncementForm()
    form.channel.choices = _draft_channels()
    if request.method == "GET":
        wanted = request.args.get("channel", type=int)
        if wanted:
            form.channel.data = wanted
    if form.validate_on_submit():
        target = db.session.get(Channel, form.channel.data or 0)
        if target is None:
            form.channel.errors.append(_("Choose a channel."))
            return _render_edit(form, None)
        try:
            created = drafting.create(
                target,
                _draft(form),
                actor=current_user,
                image=_image(form),
                submit=bool(form.save_submit.data),
            )
        except uploads.UploadTooLarge as error:
            db.session.rollback()
            form.image.errors.append(error.message)
            return _render_edit(form, None, 413)
        except ValidationFailed as error:
            db.session.rollback()
            _field_error(form, error, "body")
            return _render_edit(form, None)
        db.session.commit()
        if form.save_submit.data:
            flash(_("Saved and sent for review."), "success")
        else:
            flash(_("Draft saved. Submit it for review when it is ready."), "success")
        return redirect(url_for("channels.work", announcement_id=created.id))
    return _render_edit(form, None)


@bp.route("/announcements/<int:announcement_id>/edit", methods=["GET", "POST"])
@login_required
def edit(announcement_id: int):
    item = db.get_or_404(Announcement, announcement_id)
    require("channels.edit", item)
    form = AnnouncementForm()
    form.channel.choices = _draft_channels()
    current = reading.revision(item)
    if request.method == "GET":
        form.channel.data = item.channel_id
        form.title.data = current.title
        form.body.data = current.body
        form.go_live_at.data = to_local(current.go_live_at)
        form.expire_at.data = to_local(current.expire_at)
        form.is_mandatory.data = current.is_mandatory
        form.base_no.data = item.current_no
    if form.validate_on_submit():
        mine = _draft(form)
        chosen = None
        if form.channel.data and form.channel.data != item.channel_id:
            chosen = db.session.get(Channel, form.channel.data)
        try:
            drafting.save(
                item,
                mine,
                actor=current_user,
                base_no=form.base_no.data or 0,
                channel=chosen,
                image=_image(form),
                submit=bool(form.save_submit.data),
            )
        except drafting.EditConflict as conflict:
            page = _conflict_page(item, conflict, form)
            db.session.rollback()
            return page, 409
        except Conflict as error:
            db.session.rollback()
            flash(error.message, "warning")
            return redirect(url_for("channels.work", announcement_id=announcement_id))
        except uploads.UploadTooLarge as error:
            db.session.rollback()
            form.image.errors.append(error.message)
            return _render_edit(form, reading.load(announcement_id), 413)
        except ValidationFailed as error:
            db.session.rollback()
            _field_error(form, error, "body")
            return _render_edit(form, reading.load(announcement_id))
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("channels.work", announcement_id=item.id))
    return _render_edit(form, reading.load(announcement_id))


def _conflict_page(item: Announcement, conflict: drafting.EditConflict, form) -> str:
    """Both versions side by side, and the form again with mine on top of theirs."""
    theirs = conflict.current
    form.base_no.data = theirs.number
    form.base_no.raw_data = None
    comparison = diff.compare(theirs, conflict.mine)
    return render_template(
        "channels/conflict.html",
        announcement=item,
        theirs=theirs,
        mine=conflict.mine,
        mine_html=markdown.render(conflict.mine.body),
        comparison=comparison,
        form=form,
        message=conflict.message,
    )


@bp.route("/announcements/preview", methods=["POST"])
@login_required
def preview():
    require("channels.draft")
    form = PreviewForm()
    if not form.validate_on_submit():
        return Response(_("The preview could not be made."), status=400, mimetype="text/plain")
    return Response(drafting.preview(form.body.data or ""), mimetype="text/html")


# --- reading --------------------------------------------------------------------------------


@bp.route("/announcements/<int:announcement_id>")
@login_required
def read(announcement_id: int):
    item = reading.load(announcement_id)
    if item is None:
        abort(404)
    require("channels.read", item)
    if item.live_revision is None or item.status not in reading.READABLE:
        return redirect(url_for("channels.work", announcement_id=item.id))
    acknowledged = item.is_mandatory and reading.has_acknowledged(item, current_user)
    return render_template(
        "channels/read.html",
        a=item,
        revision=item.live_revision,
        acknowledged=acknowledged,
        confirm_form=ConfirmForm(),
        S=AnnouncementStatus,
    )
