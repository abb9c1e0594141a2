"""Views: the chats registry — the list, registering a chat, its page and editing it."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required
from flask_sqlalchemy.pagination import Pagination
from wtforms import SelectChoice

from intranet import i18n
from intranet.blueprints.chats import bp
from intranet.blueprints.chats.forms import ChatForm, SendLinksForm
from intranet.blueprints.structure.common import (
    FORM_ERRORS,
    int_arg,
    me,
    page_size,
    submit,
    text_arg,
)
from intranet.extensions import db
from intranet.models import Chat, StudyGroup
from intranet.policy import can
from intranet.services import chats
from intranet.services.chats import compliance as chats_compliance
from intranet.services.chats import digest as chats_digest  # noqa: F401 - its mail kind
from intranet.services.chats import sending
from intranet.web import require


@bp.route("/")
@login_required
def index():
    require("chats.view")
    everyone = can(me(), "chats.view_all") and request.args.get("mine") != "1"
    filters = {
        "find": text_arg("find"),
        "kind": text_arg("kind", 40),
        "status": text_arg("status", 20),
    }
    page = db.paginate(
        chats.list_query(me(), everyone=everyone, **filters),
        per_page=page_size(),
        error_out=False,
    )
    return render_template(
        "chats/index.html",
        page=page,
        filters=filters,
        everyone=everyone,
        kinds=list(chats.KIND_LABELS.items()),
        statuses=list(chats.STATUS_LABELS.items()),
        send_groups=sending.sendable_groups(me(), i18n.local_today()),
    )


def _form(chat: Chat | None = None) -> ChatForm:
    owner = me() if chat is None else chat.owner
    form = ChatForm(data=chats.values_of(chat) if chat is not None else None)
    if chat is None and request.method == "GET":
        # The board's "register" links name what the missing chat is about.
        form.platform.data = chats.default_platform().value
        form.kind.data = text_arg("kind", 40)
        for name in ("group_id", "discipline_id", "club_id"):
            getattr(form, name).data = int_arg(name)
    kinds = chats.kinds_for(owner)
    if chat is not None and chat.kind not in kinds:
        kinds = [chat.kind, *kinds]
    form.kind.choices = [SelectChoice("", "—")] + [
        SelectChoice(k.value, chats.chat_kind_label(k)) for k in kinds
    ]
    form.group_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(g.id, g.name) for g in _with(chats.group_choices(owner), chat, "group")
    ]
    form.discipline_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(d.id, f"{d.code} {d.name}")
        for d in _with(chats.discipline_choices(owner), chat, "discipline")
    ]
    form.club_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(c.id, c.name) for c in _with(chats.club_choices(owner), chat, "club")
    ]
    return form


def _with(options: list, chat: Chat | None, attr: str) -> list:
    """Keep the chat's current group, discipline or club selectable even if no longer offered."""
    current = getattr(chat, attr) if chat is not None else None
    if current is not None and all(o.id != current.id for o in options):
        return [current, *options]
    return options


def _values(form: ChatForm) -> chats.ChatValues:
    return chats.ChatValues(
        kind=form.kind.data or "",
        title=form.title.data or "",
        invite_url=form.invite_url.data or "",
        group_id=form.group_id.data,
        discipline_id=form.discipline_id.data,
        club_id=form.club_id.data,
        platform=form.platform.data or None,
        created_on=form.created_on.data,
        member_count=form.member_count.data,
        status=form.status.data or "active",
        notes=form.notes.data or "",
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require("chats.register")
    form = _form()
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: chats.register(me(), _values(form)),
            _("The chat has been registered."),
            lambda c: url_for("chats.chat", chat_id=c.id),
        )
        if done:
            return done
    return render_template("chats/form.html", form=form, chat=None)


def _load(chat_id: int) -> Chat:
    chat = chats.load(chat_id)
    if chat is None:
        abort(404)
    return chat


@bp.route("/<int:chat_id>")
@login_required
def chat(chat_id: int):
    require("chats.view")
    item = _load(chat_id)
    require("chats.view", item)
    return render_template("chats/chat.html", chat=item)


@bp.route("/<int:chat_id>/edit", methods=["GET", "POST"])
@login_required
def edit(chat_id: int):
    require("chats.edit")
    item = _load(chat_id)
    require("chats.edit", item)
    form = _form(item)
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: chats.update(me(), item, _values(form)),
            _("Saved."),
            lambda c: url_for("chats.chat", chat_id=c.id),
        )
        if done:
            return done
    return render_template("chats/form.html", form=form, chat=item)


class _ListPage(Pagination):
    """A page of a list computed in memory (the compliance board's rows)."""

    def _query_items(self) -> list:
        rows = self._query_args["rows"]
        return rows[self._query_offset : self._query_offset + self.per_page]

    def _query_count(self) -> int:
        return len(self._query_args["rows"])


BOARD_VIEWS = ("groups", "departments", "tutors", "teachers", "head")
SHOWN_MISSING = 6


def _missing_text(board, row, view: str) -> str:
    """A board row's missing chats in words (built here: a page has a hundred of them)."""
    labels = _labels()
    parts = []
    for e in row.missing[:SHOWN_MISSING]:
        text = labels[e.kind]
        about = board.describe(e) if view != "groups" else ""
        if about:
            text += f" ({about})"
        if view not in ("tutors", "teachers", "head") and e.owner_id:
            text += " — " + board.people.get(e.owner_id, "")
        parts.append(text)
    extra = len(row.missing) - SHOWN_MISSING
    if extra > 0:
        parts.append(ngettext("and %(num)d more", "and %(num)d more", extra))
    return "; ".join(parts)


def _labels() -> dict:
    cached = g.get("_board_kind_labels")
    if cached is None:
        cached = g._board_kind_labels = {k: str(v) for k, v in chats.KIND_LABELS.items()}
    return cached


@bp.route("/compliance")
@login_required
def compliance():
    require("chats.view")
    today = i18n.local_today()
    if not can(me(), "chats.view_all"):
        board = chats_compliance.board(today, owner_id=me().id)
        return render_template(
            "chats/compliance_mine.html", board=board, mine=board.for_owner(me().id)
        )
    view = request.args.get("view", "groups")
    view = view if view in BOARD_VIEWS else "groups"
    board, counted = chats_compliance.college_board(today, fresh=request.args.get("fresh") == "1")
    rows = {
        "groups": board.by_group,
        "departments": board.by_department,
        "tutors": lambda: board.by_owner(frozenset(chats_compliance.TUTOR_KINDS)),
        "teachers": lambda: board.by_owner(chats_compliance.TEACHER_KINDS),
        "head": lambda: board.by_owner(chats_compliance.HEAD_KINDS),
    }[view]()
    page = _ListPage(page=None, per_page=page_size(), error_out=False, rows=rows)
    return render_template(
        "chats/compliance.html",
        board=board,
        total=board.total,
        view=view,
        page=page,
        missing=[_missing_text(board, row, view) for row in page.items],
        counted=counted,
        kept=chats_compliance.board_seconds() > 0,
    )


# --- sending the links to a group (§2.5, §2.6) -------------------------------------------------


def _sending_group(group_id: int) -> StudyGroup:
    require("chats.send_links")
    group = db.get_or_404(StudyGroup, group_id)
    require("chats.send_links", group)
    return group


@bp.route("/groups/<int:group_id>/links", methods=["GET", "POST"])
@login_required
def links(group_id: int):
    """Who has been sent which of the sender's chat links; POST e-mails those not yet sent."""
    group = _sending_group(group_id)
    form = SendLinksForm()
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                queued, without = sending.send(
                    me(), group, i18n.local_today(), resend=bool(form.resend.data)
                )
        except FORM_ERRORS as error:
            flash(error.message, "error")
        else:
            db.session.commit()
            if queued:
                flash(
                    ngettext(
                        "%(num)d letter with chat links queued for sending.",
                        "%(num)d letters with chat links queued for sending.",
                        queued,
                    ),
                    "success",
                )
            else:
                flash(_("Nobody was waiting for a letter: there was nothing to send."), "info")
            if without:
                flash(
                    ngettext(
                        "%(num)d person has no e-mail address: give them the printed sheet.",
                        "%(num)d people have no e-mail address: give them the printed sheet.",
                        without,
                    ),
                    "warning",
                )
            return redirect(url_for("chats.links", group_id=group.id))
    found = sending.roster(me(), group, i18n.local_today())
    return render_template("chats/links.html", roster=found, form=form, group=group)


@bp.route("/groups/<int:group_id>/sheet")
@login_required
def sheet(group_id: int):
    """A printable sheet: each student of the group with the QR codes of their chats."""
    group = _sending_group(group_id)
    found = sending.roster(me(), group, i18n.local_today())
    codes = {c.id: chats.qr_data_uri(c.invite_url) for c in found.chats}
    return render_template("chats/sheet.html", roster=found, group=group, codes=codes)
