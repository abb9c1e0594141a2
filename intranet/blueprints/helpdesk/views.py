"""Views for requesters and the public: filing, following and answering tickets, help pages."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from intranet import policy
from intranet.blueprints.helpdesk import bp
from intranet.blueprints.helpdesk.forms import (
    RequesterReplyForm,
    answers_from,
    ticket_form_class,
)
from intranet.extensions import db, limiter
from intranet.models import Organisation
from intranet.models.helpdesk import Category, HelpArticle, TicketAttachment
from intranet.services.errors import DomainError
from intranet.services.helpdesk import attachments, knowledge, public, tickets
from intranet.services.helpdesk.categories import CATEGORIES
from intranet.services.phones import format_phone
from intranet.web import require

# Forms with attachments may send up to 5 files of 10 MB: these endpoints get a larger
# request limit than the app's default, set before anything reads the body.
UPLOAD_ENDPOINTS = frozenset(
    {
        "helpdesk.new_ticket",
        "helpdesk.public_form",
        "helpdesk.reply",
        "helpdesk.public_reply",
        "helpdesk.answer",
    }
)


@bp.url_value_preprocessor
def _upload_limit(endpoint: str | None, _values) -> None:
    if endpoint in UPLOAD_ENDPOINTS and request.method == "POST":
        request.max_content_length = attachments.request_limit()


def _category_or_404(value: str) -> Category:
    if value not in Category._value2member_map_:
        abort(404)
    return Category(value)


def _form_error(form, error: DomainError) -> None:
    db.session.rollback()
    field = getattr(error, "field", None)
    target = getattr(form, field, None) if field else None
    if target is None and field == "for_student":
        target = getattr(form, "for_student", None)
    if target is not None:
        target.errors = [*target.errors, error.message]
    else:
        flash(error.message, "danger")


def _new_ticket_data(form, category: Category) -> tickets.NewTicket:
    student = getattr(form, "for_student", None)
    student_id = (
        int(student.data) if student is not None and (student.data or "").isdigit() else None
    )
    return tickets.NewTicket(
        category=category,
        subject=form.subject.data,
        description=form.description.data,
        details=answers_from(form, category),
        contact=tickets.Contact(
            name=getattr(getattr(form, "contact_name", None), "data", "") or "",
            email=form.contact_email.data,
            phone=form.contact_phone.data,
        ),
        consent_personal_data=bool(
            getattr(getattr(form, "consent_personal_data", None), "data", False)
        ),
        consent_vendor=bool(form.consent_vendor.data),
        for_student_id=student_id,
        files=request.files.getlist(form.files.name),
    )


# --- signed-in requesters --------------------------------------------------------------------


@bp.route("/")
@login_required
def index():
    if policy.can(current_user, "helpdesk.manage"):
        return redirect(url_for("helpdesk.queue"))
    return mine()


@bp.route("/mine")
@login_required
def mine():
    require("helpdesk.file")
    page = db.paginate(
        tickets.requester_query(current_user), per_page=25, max_per_page=100, error_out=False
    )
    return render_template("helpdesk/mine.html", page=page)


@bp.route("/new")
def choose_category():
    """Step one: what kind of problem (the public form starts here too)."""
    public_form = not current_user.is_authenticated
    if not public_form:
        require("helpdesk.file")
    return render_template(
        "helpdesk/choose.html", categories=list(CATEGORIES.values()), public_form=public_form
    )


@bp.route("/new/<category>", methods=["GET", "POST"])
@login_required
def new_ticket(category: str):
    require("helpdesk.file")
    cat = _category_or_404(category)
    form = ticket_form_class(cat, False)()
    children = tickets.children_of(current_user) if current_user.has_role("parent") else []
    form.for_student.choices = [("", _("Me"))] + [(str(c.id), c.full_name) for c in children]
    if request.method == "GET":
        form.contact_email.data = current_user.email
        form.contact_phone.data = format_phone(current_user.phone) if current_user.phone else ""
    if form.validate_on_submit():
        try:
            ticket = tickets.file_ticket(_new_ticket_data(form, cat), requester=current_user)
        except DomainError as error:
            _form_error(form, error)
        else:
            db.session.commit()
            flash(
                _(
                    "Your request %(number)s is registered. We will answer here and by e-mail.",
                    number=ticket.number,
                ),
                "success",
            )
            return redirect(url_for("helpdesk.ticket", ticket_id=ticket.id))
    return render_template(
        "helpdesk/new.html",
        form=form,
        info=CATEGORIES[cat],
        articles=knowledge.published_by_category(cat),
        children=children,
        public_form=False,
    )


@bp.route("/tickets/<int:ticket_id>")
@login_required
def ticket(ticket_id: int):
    staff = policy.can(current_user, "helpdesk.manage")
    found = tickets.load_for_page(ticket_id, staff=staff)
    if found is None:
        abort(404)
    require("helpdesk.view_ticket", found)
    if staff:
        from intranet.blueprints.helpdesk.admin import render_staff_ticket

        return render_staff_ticket(found)
    return render_template(
        "helpdesk/ticket.html",
        ticket=found,
        messages=tickets.visible_messages(found, staff=False),
        form=RequesterReplyForm(),
        reply_url=url_for("helpdesk.reply", ticket_id=found.id),
        file_url=lambda a: url_for("helpdesk.attachment", attachment_id=a.id),
    )


@bp.route("/tickets/<int:ticket_id>/reply", methods=["POST"])
@login_required
def reply(ticket_id: int):
    found = db.get_or_404(tickets.Ticket, ticket_id)
    require("helpdesk.view_ticket", found)
    form = RequesterReplyForm()
    if form.validate_on_submit():
        try:
            tickets.requester_reply(
                found,
                actor=current_user,
                body=form.body.data,
                files=request.files.getlist(form.files.name),
            )
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("Your message is added to the request."), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "danger")
    return redirect(url_for("helpdesk.ticket", ticket_id=ticket_id))


@bp.route("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    item = db.get_or_404(TicketAttachment, attachment_id)
    require("helpdesk.attachment", item)
    return _send(item)


def _send(item: TicketAttachment):
    try:
        path = attachments.path_of(item)
    except (FileNotFoundError, ValueError):
        abort(404)
    if not path.exists():
        abort(404)
    response = send_file(
        path,
        mimetype=item.content_type,
        as_attachment=True,
        download_name=item.filename,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- the public form and the signed link -----------------------------------------------------


def _public_rate() -> str:
    return current_app.config["HELPDESK_PUBLIC_RATE"]


@bp.route("/public")
def public_start():
    return redirect(url_for("helpdesk.choose_category"))


@bp.route("/public/<category>", methods=["GET", "POST"])
@limiter.limit(_public_rate, methods=["POST"])
def public_form(category: str):
    """The form for people who cannot sign in (nothing here needs an account)."""
    cat = _category_or_404(category)
    form = ticket_form_class(cat, True)()
    if form.validate_on_submit():
        try:
            ticket = public.file_public_ticket(
                _new_ticket_data(form, cat),
                started=form.started.data,
                honeypot=form.website.data,
            )
        except public.Refused as error:
            db.session.rollback()
            flash(error.message, "warning")
        except DomainError as error:
            _form_error(form, error)
        else:
            db.session.commit()
            flash(
                _(
                    "Your request %(number)s is registered. Keep the link of this page: it"
                    " opens your request without signing in.",
                    number=ticket.number,
                ),
                "success",
            )
            return redirect(url_for("helpdesk.public_ticket", token=tickets.public_token(ticket)))
    form.started.data = public.form_token()  # every showing of the form gets a fresh time
    form.website.data = ""
    return render_template(
        "helpdesk/new.html",
        form=form,
        info=CATEGORIES[cat],
        articles=knowledge.published_by_category(cat),
        children=[],
        public_form=True,
    )


def _ticket_by_token_or_404(token: str):
    found = tickets.ticket_by_token(token)
    if found is None:
        abort(404)
    return found


@bp.route("/t/<token>")
def public_ticket(token: str):
    found = _ticket_by_token_or_404(token)
    loaded = tickets.load_for_page(found.id, staff=False)
    return render_template(
        "helpdesk/ticket.html",
        ticket=loaded,
        messages=tickets.visible_messages(loaded, staff=False),
        form=RequesterReplyForm(),
        reply_url=url_for("helpdesk.public_reply", token=token),
        file_url=lambda a: url_for("helpdesk.public_attachment", token=token, attachment_id=a.id),
        by_link=True,
    )


@bp.route("/t/<token>/reply", methods=["POST"])
@limiter.limit(_public_rate, methods=["POST"])
def public_reply(token: str):
    found = _ticket_by_token_or_404(token)
    form = RequesterReplyForm()
    if form.validate_on_submit():
        try:
            tickets.requester_reply(
                found,
                actor=None,
                body=form.body.data,
                files=request.files.getlist(form.files.name),
            )
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("Your message is added to the request."), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "danger")
    return redirect(url_for("helpdesk.public_ticket", token=token))


@bp.route("/t/<token>/files/<int:attachment_id>")
def public_attachment(token: str, attachment_id: int):
    found = _ticket_by_token_or_404(token)
    item = db.get_or_404(TicketAttachment, attachment_id)
    if item.ticket_id != found.id or item.is_staff_only:
        abort(404)
    return _send(item)


# --- help pages ------------------------------------------------------------------------------


@bp.route("/help")
def help_index():
    """Help articles by category: open to everyone, signed in or not."""
    by_category: dict = {}
    for article in knowledge.published_by_category():
        by_category.setdefault(article.category, []).append(article)
    return render_template(
        "helpdesk/help.html", by_category=by_category, categories=list(CATEGORIES.values())
    )


@bp.route("/help/<int:article_id>")
def article(article_id: int):
    item = db.get_or_404(HelpArticle, article_id)
    if not item.is_published and not policy.can(current_user, "helpdesk.articles"):
        abort(404)
    return render_template("helpdesk/article.html", article=item, html=knowledge.render(item.body))


@bp.route("/contacts")
def contacts():
    """The support contacts and instructions that the regulation's §3 promises."""
    organisation = db.session.scalar(db.select(Organisation).limit(1))
    return render_template(
        "helpdesk/contacts.html",
        organisation=organisation,
        vendor_email=current_app.config["VENDOR_SUPPORT_EMAIL"],
    )
