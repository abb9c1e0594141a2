"""Views for the admins: the queue, working a ticket, escalation, and unmatched mail."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from intranet.blueprints.helpdesk import bp
from intranet.blueprints.helpdesk.forms import (
    KEEP,
    AssignForm,
    ConfirmForm,
    EscalationForm,
    InboundAssignForm,
    IncidentLinkForm,
    PriorityForm,
    QueueFilterForm,
    StaffReplyForm,
    VendorMessageForm,
    VendorRefForm,
)
from intranet.extensions import db
from intranet.models import User
from intranet.models.base import utcnow
from intranet.models.helpdesk import (
    InboundMail,
    InboundStatus,
    Incident,
    Priority,
    Ticket,
    TicketStatus,
    VendorCase,
)
from intranet.services.errors import DomainError
from intranet.services.helpdesk import (
    escalation,
    inbound,
    incidents,
    knowledge,
    sla,
    tickets,
)
from intranet.services.helpdesk import queue as queue_service
from intranet.services.helpdesk.categories import (
    CATEGORIES,
    STATUS_LABELS,
    labels,
)
from intranet.web import require


def _back(ticket_id: int):
    return redirect(url_for("helpdesk.ticket", ticket_id=ticket_id) + "#actions")


def _done(message: str | None = None):
    db.session.commit()
    if message:
        flash(message, "success")


def _failed(error: DomainError) -> None:
    db.session.rollback()
    flash(error.message, "danger")


def _flash_form_errors(form) -> None:
    for field, errors in form.errors.items():
        if field == "csrf_token":
            flash(_("The form has expired; send it once more."), "danger")
            continue
        for message in errors:
            flash(message, "danger")


# --- the queue -------------------------------------------------------------------------------


@bp.route("/queue")
@login_required
def queue():
    require("helpdesk.manage")
    form = QueueFilterForm(request.args)
    names = labels()  # plain strings: the filter's options are not translated one by one
    form.status.choices = form.status.choices[:2] + list(names["status"].items())
    form.category.choices = form.category.choices[:1] + list(names["category"].items())
    form.priority.choices = form.priority.choices[:1] + list(names["priority"].items())
    form.assignee.choices = [
        ("", _("anyone")),
        ("me", _("me")),
        ("none", _("nobody")),
    ] + tickets.admin_choices()
    form.validate()
    flt = queue_service.QueueFilter(
        status=form.status.data or "active",
        category=form.category.data or "",
        priority=form.priority.data or "",
        assignee=form.assignee.data or "",
        overdue=bool(form.overdue.data),
        q=(form.q.data or "")[:100],
    )
    now = utcnow()
    page = queue_service.RowPagination(
        select=queue_service.queue_query(flt, me_id=current_user.id, now=now),
        session=db.session,
        per_page=50,
        max_per_page=100,
        error_out=False,
    )
    return render_template(
        "helpdesk/queue.html",
        page=page,
        form=form,
        now=now,
        labels=names,
        txt={
            "incident": _("incident"),
            "proposed": _("escalation proposed"),
            "overdue": _("overdue since"),
            "paused": _("paused"),
            "public": _("public form"),
        },
        # The row links are built from one url_for: fifty calls would cost more than the rows.
        ticket_base=url_for("helpdesk.ticket", ticket_id=0)[:-1],
    )


# --- one ticket ------------------------------------------------------------------------------


def render_staff_ticket(ticket: Ticket):
    """The admin's page of a ticket: messages, SLA, and every action the workflow allows."""
    now = utcnow()
    cal = sla.current_calendar()
    reply_form = StaffReplyForm()
    allowed = sorted(tickets.TRANSITIONS[ticket.status], key=list(TicketStatus).index)
    reply_form.then.choices = [(KEEP, _("keep the status"))] + [
        (s.value, STATUS_LABELS[s]) for s in allowed
    ]
    canned = knowledge.canned_replies()
    chosen = request.args.get("canned", type=int)
    if chosen:
        picked = next((c for c in canned if c.id == chosen), None)
        if picked is not None:
            reply_form.body.data = picked.body
    assign_form = AssignForm()
    assign_form.assignee.choices = [("", _("nobody"))] + tickets.admin_choices()
    assign_form.assignee.data = str(ticket.assignee_id or "")
    priority_form = PriorityForm(priority=ticket.priority.value)
    incident_form = IncidentLinkForm()
    active = incidents.active_incidents()
    incident_form.incident.choices = [("", _("none"))] + [(str(i.id), i.title) for i in active]
    incident_form.incident.data = str(ticket.incident_id or "")
    open_case = next((c for c in reversed(ticket.vendor_cases) if c.is_open), None)
    can_escalate = (
        CATEGORIES[ticket.category].vendor_handled
        and open_case is None
        and ticket.status in escalation.ESCALATABLE
    )
    return render_template(
        "helpdesk/staff_ticket.html",
        ticket=ticket,
        messages=tickets.visible_messages(ticket, staff=True),
        reply_form=reply_form,
        assign_form=assign_form,
        priority_form=priority_form,
        incident_form=incident_form,
        ref_form=VendorRefForm(vendor_ref=open_case.vendor_ref if open_case else ""),
        vendor_form=VendorMessageForm(),
        confirm_form=ConfirmForm(),
        transitions=allowed,
        canned=canned,
        open_case=open_case,
        can_escalate=can_escalate,
        vendor_handled=CATEGORIES[ticket.category].vendor_handled,
        remaining=sla.remaining(ticket, now, cal),
        now=now,
        public_link=(
            url_for("helpdesk.public_ticket", token=tickets.public_token(ticket), _external=True)
            if ticket.requester_id is None
            else None
        ),
        file_url=lambda a: url_for("helpdesk.attachment", attachment_id=a.id),
    )


def _ticket_for_action(ticket_id: int) -> Ticket:
    require("helpdesk.manage")
    return db.get_or_404(Ticket, ticket_id)


@bp.route("/tickets/<int:ticket_id>/claim", methods=["POST"])
@login_required
def claim(ticket_id: int):
    ticket = _ticket_for_action(ticket_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            tickets.claim(ticket, actor=current_user)
        except DomainError as error:
            _failed(error)
        else:
            _done(_("The ticket is yours."))
    return _back(ticket_id)


@bp.route("/tickets/<int:ticket_id>/assign", methods=["POST"])
@login_required
def assign(ticket_id: int):
    ticket = _ticket_for_action(ticket_id)
    form = AssignForm()
    if form.validate_on_submit():
        value = form.assignee.data or ""
        assignee = db.session.get(User, int(value)) if value.isdigit() else None
        if value and assignee is None:
            abort(404)
        try:
            tickets.assign(ticket, assignee, actor=current_user)
        except DomainError as error:
            _failed(error)
        else:
            _done(_("Assigned."))
    else:
        _flash_form_errors(form)
    return _back(ticket_id)


@bp.route("/tickets/<int:ticket_id>/priority", methods=["POST"])
@login_required
def priority(ticket_id: int):
    ticket = _ticket_for_action(ticket_id)
    form = PriorityForm()
    if form.validate_on_submit():
        try:
            tickets.set_priority(ticket, Priority(form.priority.data), actor=current_user)
        except DomainError as error:
            _failed(error)
        else:
            _done(_("Priority changed; the due times follow it."))
    else:
        _flash_form_errors(form)
    return _back(ticket_id)


@bp.route("/tickets/<int:ticket_id>/status", methods=["POST"])
@login_required
def status(ticket_id: int):
    ticket = _ticket_for_action(ticket_id)
    form = ConfirmForm()
    target = request.form.get("status", "")
    if form.validate_on_submit():
        if target not in TicketStatus._value2member_map_:
            flash(_("Choose a status."), "danger")
            return _back(ticket_id)
        try:
            tickets.change_status(ticket, TicketStatus(target), actor=current_user)
        except DomainError as error:
            _failed(error)
        else:
            _done(_("Status changed."))
    else:
        _flash_form_errors(form)
    return _back(ticket_id)


@bp.route("/tickets/<int:ticket_id>/answer", methods=["POST"])
@login_required
def answer(ticket_id: int):
    ticket = _ticket_for_action(ticket_id)
    form = StaffReplyForm()
    form.then.choices = [(KEEP, "")] + [(s.value, "") for s in TicketStatus]
    if form.validate_on_submit():
        then = form.then.data
        try:
            tickets.staff_reply(
                ticket,
                actor=current_user,
                body=form.body.data,
                internal=bool(form.internal.data),
                files=request.files.getlist(form.files.name),
                then=TicketStatus(then) if then in TicketStatus._value2member_map_ else None,
            )
        except DomainError as error:
            _failed(error)
            loaded = tickets.load_for_page(ticket_id, staff=True)
            response = render_staff_ticket(loaded)
            return response, 200
        _done(_("Note added.") if form.internal.data else _("Answer sent."))
    else:
        _flash_form_errors(form)
    return _back(ticket_id)


@bp.route("/tickets/<int:ticket_id>/incident", methods=["POST"])
@login_required
def link_incident(ticket_id: int):
    ticket = _ticket_for_action(ticket_id)
    form = IncidentLinkForm()
    if form.validate_on_submit():
        value = form.incident.data or ""
        try:
            if value.isdigit():
                incident = db.get_or_404(Incident, int(value))
                incidents.link_tickets(incident, [ticket.number], actor=current_user)
            else:
                incidents.unlink_ticket(ticket, actor=current_user)
        except DomainError as error:
            _failed(error)
        else:
            _done(_("The incident link is saved."))
    return _back(ticket_id)


@bp.route("/tickets/<int:ticket_id>/revoke-link", methods=["POST"])
@login_required
def revoke_link(ticket_id: int):
    ticket = _ticket_for_action(ticket_id)
    if ConfirmForm().validate_on_submit():
        tickets.regenerate_public_link(ticket, actor=current_user)
        _done(_("The old link no longer works. Send the requester the new one."))
    return _back(ticket_id)


# --- escalation ------------------------------------------------------------------------------


@bp.route("/tickets/<int:ticket_id>/escalate", methods=["GET", "POST"])
@login_required
def escalate(ticket_id: int):
    """Preview the forward exactly as it will leave; send it only on confirmation."""
    ticket = _ticket_for_action(ticket_id)
    form = EscalationForm()
    if request.method == "GET":
        form.include_personal.data = ticket.consent_vendor
    steps = form.steps_taken.data or ""
    include = bool(form.include_personal.data) and ticket.consent_vendor
    if request.method == "POST" and form.validate_on_submit() and form.confirm.data:
        try:
            escalation.escalate(
                ticket,
                actor=current_user,
                steps_taken=steps,
                include_personal=include,
                digest=form.digest.data or "",
            )
        except DomainError as error:
            _failed(error)
        else:
            _done(_("The request is forwarded to the vendor's support."))
            return redirect(url_for("helpdesk.ticket", ticket_id=ticket_id))
    try:
        forward = escalation.preview(
            ticket, actor=current_user, steps_taken=steps, include_personal=include
        )
    except DomainError as error:
        flash(error.message, "danger")
        return redirect(url_for("helpdesk.ticket", ticket_id=ticket_id))
    form.digest.data = forward.digest
    return render_template("helpdesk/escalate.html", ticket=ticket, form=form, forward=forward)


def _case_for_action(case_id: int) -> VendorCase:
    require("helpdesk.manage")
    return db.get_or_404(VendorCase, case_id)


@bp.route("/vendor-cases/<int:case_id>/ref", methods=["POST"])
@login_required
def vendor_ref(case_id: int):
    case = _case_for_action(case_id)
    form = VendorRefForm()
    if form.validate_on_submit():
        escalation.set_vendor_ref(case, form.vendor_ref.data, actor=current_user)
        _done(_("The vendor's number is saved."))
    else:
        _flash_form_errors(form)
    return _back(case.ticket_id)


@bp.route("/vendor-cases/<int:case_id>/message", methods=["POST"])
@login_required
def vendor_message(case_id: int):
    case = _case_for_action(case_id)
    form = VendorMessageForm()
    if form.validate_on_submit():
        try:
            escalation.write_to_vendor(case, actor=current_user, body=form.body.data)
        except DomainError as error:
            _failed(error)
        else:
            _done(_("The message to the vendor is queued."))
    else:
        _flash_form_errors(form)
    return _back(case.ticket_id)


@bp.route("/vendor-cases/<int:case_id>/close", methods=["POST"])
@login_required
def vendor_close(case_id: int):
    case = _case_for_action(case_id)
    if ConfirmForm().validate_on_submit():
        escalation.close_case(case, actor=current_user)
        _done(_("The vendor case is closed; no more reminders."))
    return _back(case.ticket_id)


# --- unmatched mail --------------------------------------------------------------------------


@bp.route("/mail")
@login_required
def inbox():
    require("helpdesk.manage")
    wanted = request.args.get("status", InboundStatus.UNMATCHED.value)
    status = InboundStatus(wanted) if wanted in InboundStatus._value2member_map_ else None
    page = db.paginate(
        inbound.unmatched_query(status), per_page=50, max_per_page=100, error_out=False
    )
    return render_template(
        "helpdesk/inbox.html", page=page, status=status, statuses=list(InboundStatus)
    )


@bp.route("/mail/<int:mail_id>")
@login_required
def inbox_item(mail_id: int):
    require("helpdesk.manage")
    record = db.get_or_404(InboundMail, mail_id)
    text, names = inbound.preview_text(record)
    return render_template(
        "helpdesk/inbox_item.html",
        record=record,
        text=text,
        names=names,
        form=InboundAssignForm(),
        confirm_form=ConfirmForm(),
    )


@bp.route("/mail/<int:mail_id>/assign", methods=["POST"])
@login_required
def inbox_assign(mail_id: int):
    require("helpdesk.manage")
    record = db.get_or_404(InboundMail, mail_id)
    form = InboundAssignForm()
    if form.validate_on_submit():
        number = form.number.data.strip().upper()
        ticket = db.session.scalar(db.select(Ticket).where(Ticket.number == number))
        if ticket is None:
            flash(_("There is no ticket %(number)s.", number=number), "danger")
            return redirect(url_for("helpdesk.inbox_item", mail_id=mail_id))
        try:
            inbound.assign_to_ticket(
                record, ticket, actor=current_user, as_requester=bool(form.as_requester.data)
            )
        except DomainError as error:
            _failed(error)
            return redirect(url_for("helpdesk.inbox_item", mail_id=mail_id))
        _done(_("The message is attached to %(number)s.", number=ticket.number))
        return redirect(url_for("helpdesk.ticket", ticket_id=ticket.id))
    _flash_form_errors(form)
    return redirect(url_for("helpdesk.inbox_item", mail_id=mail_id))


@bp.route("/mail/<int:mail_id>/discard", methods=["POST"])
@login_required
def inbox_discard(mail_id: int):
    require("helpdesk.manage")
    record = db.get_or_404(InboundMail, mail_id)
    if ConfirmForm().validate_on_submit():
        try:
            inbound.discard(record, actor=current_user)
        except DomainError as error:
            _failed(error)
        else:
            _done(_("The message is discarded."))
    return redirect(url_for("helpdesk.inbox"))
