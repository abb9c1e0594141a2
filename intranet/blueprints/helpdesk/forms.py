"""Help-desk forms: the ticket forms (built per category), replies and the admins' forms."""

from __future__ import annotations

import functools

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from intranet.models.helpdesk import Category, Priority, TicketStatus
from intranet.services.helpdesk.categories import (
    CATEGORIES,
    CATEGORY_LABELS,
    PRIORITY_LABELS,
    STATUS_LABELS,
)

FILES_HELP = _l("PNG or JPEG screenshots and PDF documents, up to 10 MB each, at most 5 files.")


class _TicketBase(FlaskForm):
    subject = StringField(
        _l("In a few words, what happened?"),
        validators=[DataRequired(_l("Say in a few words what happened.")), Length(max=200)],
    )
    description = TextAreaField(
        _l("Describe the problem"),
        validators=[DataRequired(_l("Describe the problem.")), Length(max=20000)],
        description=_l("What did you do, what did you expect, what happened instead?"),
        render_kw={"rows": 6},
    )
    contact_email = EmailField(
        _l("E-mail for answers"),
        validators=[Optional(), Email(_l("Enter a valid e-mail address.")), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    contact_phone = StringField(
        _l("Phone"),
        validators=[Optional(), Length(max=24)],
        render_kw={"inputmode": "tel", "autocomplete": "tel"},
    )
    files = MultipleFileField(
        _l("Screenshots or documents"),
        description=FILES_HELP,
        render_kw={"accept": ".png,.jpg,.jpeg,.pdf,image/png,image/jpeg,application/pdf"},
    )
    consent_vendor = BooleanField(
        _l(
            "If the college's administrators cannot solve the problem themselves, they may pass"
            " my name, contacts and screenshots to the platform's technical support."
        )
    )
    submit = SubmitField(_l("Send the request"))


class _PublicExtra(FlaskForm):
    contact_name = StringField(
        _l("Your name"),
        validators=[DataRequired(_l("Tell us your name.")), Length(max=200)],
        render_kw={"autocomplete": "name"},
    )
    consent_personal_data = BooleanField(
        _l(
            "I agree to the processing of my personal data (name, e-mail, phone) by the college"
            " to answer this request."
        ),
        validators=[
            InputRequired(
                _l("We can only accept the request with your consent to processing personal data.")
            )
        ],
    )
    # Automation checks: a field people never see, and when the form was handed out.
    website = StringField(_l("Leave this field empty"), validators=[Optional()])
    started = HiddenField()


def question_field(question):
    label = question.label
    hint = question.hint or None
    if question.kind == "select":
        return SelectField(
            label,
            choices=[("", _l("— choose —")), *[(k, v) for k, v in question.choices]],
            validators=[Optional()],
            description=hint,
        )
    if question.kind == "datetime":
        return DateTimeLocalField(
            label,
            format="%Y-%m-%dT%H:%M",
            validators=[Optional()],
            description=hint,
        )
    return StringField(label, validators=[Optional(), Length(max=300)], description=hint)


@functools.cache
def ticket_form_class(category: Category, public: bool) -> type[FlaskForm]:
    """The form for one category: the common fields plus that category's questions."""
    bases = (_TicketBase, _PublicExtra) if public else (_TicketBase,)
    attrs = {f"q_{q.key}": question_field(q) for q in CATEGORIES[category].questions}
    if not public:
        attrs["for_student"] = SelectField(
            _l("The request is about"), choices=[], validate_choice=False
        )
    name = f"{'Public' if public else ''}TicketForm_{category.value}"
    return type(name, bases, attrs)


def question_keys(category: Category) -> list[str]:
    return [q.key for q in CATEGORIES[category].questions]


def answers_from(form: FlaskForm, category: Category) -> dict[str, str]:
    """The category's answers as text, ready to store."""
    answers = {}
    for key in question_keys(category):
        value = getattr(form, f"q_{key}").data
        if value is None or value == "":
            continue
        if hasattr(value, "strftime"):
            value = value.strftime("%d.%m.%Y %H:%M")
        answers[key] = str(value)
    return answers


class RequesterReplyForm(FlaskForm):
    body = TextAreaField(
        _l("Your message"),
        validators=[DataRequired(_l("Write your message.")), Length(max=20000)],
        render_kw={"rows": 4},
    )
    files = MultipleFileField(_l("Screenshots or documents"), description=FILES_HELP)
    submit = SubmitField(_l("Send"))


KEEP = "keep"


class StaffReplyForm(FlaskForm):
    body = TextAreaField(
        _l("Message"),
        validators=[DataRequired(_l("Write the answer.")), Length(max=20000)],
        render_kw={"rows": 6},
    )
    internal = BooleanField(_l("Internal note (the requester does not see it)"))
    then = SelectField(_l("Then"), choices=[], validate_choice=False)
    files = MultipleFileField(_l("Attachments"), description=FILES_HELP)
    submit = SubmitField(_l("Send"))


class AssignForm(FlaskForm):
    assignee = SelectField(_l("Assignee"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Assign"))


class PriorityForm(FlaskForm):
    priority = SelectField(
        _l("Priority"), choices=[(p.value, PRIORITY_LABELS[p]) for p in Priority]
    )
    submit = SubmitField(_l("Change"))


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=[(s.value, STATUS_LABELS[s]) for s in TicketStatus])
    submit = SubmitField(_l("Change"))


class IncidentLinkForm(FlaskForm):
    incident = SelectField(_l("Incident"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Link"))


class EscalationForm(FlaskForm):
    steps_taken = TextAreaField(
        _l("What has already been done"),
        validators=[Length(max=5000)],
        description=_l("What you checked and tried; the vendor's support will not ask again."),
        render_kw={"rows": 4},
    )
    include_personal = BooleanField(_l("Include the requester's data and screenshots"))
    digest = HiddenField()
    preview = SubmitField(_l("Update the preview"))
    confirm = SubmitField(_l("Send to the vendor's support"))


class VendorRefForm(FlaskForm):
    vendor_ref = StringField(_l("Vendor's reference number"), validators=[Length(max=64)])
    submit = SubmitField(_l("Save"))


class VendorMessageForm(FlaskForm):
    body = TextAreaField(
        _l("Message to the vendor's support"),
        validators=[DataRequired(_l("Write the message.")), Length(max=20000)],
        render_kw={"rows": 4},
    )
    submit = SubmitField(_l("Send to the vendor"))


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("Confirm"))


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        choices=[("active", _l("all open")), ("all", _l("any status"))]
        + [(s.value, STATUS_LABELS[s]) for s in TicketStatus],
        default="active",
    )
    category = SelectField(
        _l("Ticket category"),
        choices=[("", _l("any category"))] + [(c.value, CATEGORY_LABELS[c]) for c in Category],
        default="",
    )
    priority = SelectField(
        _l("Priority"),
        choices=[("", _l("any priority"))] + [(p.value, PRIORITY_LABELS[p]) for p in Priority],
        default="",
    )
    assignee = SelectField(_l("Assignee"), choices=[], validate_choice=False, default="")
    overdue = BooleanField(_l("Overdue only"))
    q = StringField(_l("Number or words of the subject"), validators=[Length(max=100)])


class InboundAssignForm(FlaskForm):
    number = StringField(
        _l("Ticket number"),
        validators=[DataRequired(_l("Enter the ticket number.")), Length(max=20)],
        render_kw={"placeholder": "HD-2026-00042"},
    )
    as_requester = BooleanField(_l("It is the requester's message (public)"))
    submit = SubmitField(_l("Attach to the ticket"))


class IncidentForm(FlaskForm):
    title = StringField(
        _l("Incident title"), validators=[DataRequired(_l("Name the incident.")), Length(max=200)]
    )
    description = TextAreaField(_l("What is known"), validators=[Length(max=5000)])
    show_banner = BooleanField(_l("Show a banner on every page of the intranet"))
    banner_text = StringField(
        _l("Banner text"),
        validators=[Length(max=300)],
        description=_l("For example: «Calls in Sferum do not work since 10:00; we are on it.»"),
    )
    submit = SubmitField(_l("Save"))


class IncidentTicketsForm(FlaskForm):
    numbers = TextAreaField(
        _l("Ticket numbers"),
        validators=[
            DataRequired(_l("Enter ticket numbers, e.g. HD-2026-00042.")),
            Length(max=5000),
        ],
        description=_l("Separated by spaces, commas or new lines."),
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Link tickets"))


class IncidentAnswerForm(FlaskForm):
    body = TextAreaField(
        _l("Answer to every open ticket"),
        validators=[DataRequired(_l("Write the answer.")), Length(max=20000)],
        render_kw={"rows": 4},
    )
    resolve = BooleanField(_l("Mark the tickets resolved"))
    submit = SubmitField(_l("Answer all"))


class ArticleForm(FlaskForm):
    title = StringField(
        _l("Article title"),
        validators=[DataRequired(_l("Give the article a title.")), Length(max=200)],
    )
    category = SelectField(
        _l("Ticket category"),
        choices=[("", _l("General (every category)"))]
        + [(c.value, CATEGORY_LABELS[c]) for c in Category],
        default="",
    )
    body = TextAreaField(
        _l("Text (Markdown)"),
        validators=[Length(max=20000)],
        render_kw={"rows": 12},
        description=_l("**bold**, *italic*, lists with «-», links as [text](https://…)."),
    )
    position = IntegerField(
        _l("Order"), default=0, validators=[Optional(), NumberRange(min=0, max=1000)]
    )
    is_published = BooleanField(_l("Published"), default=True)
    submit = SubmitField(_l("Save"))


class CannedForm(FlaskForm):
    title = StringField(
        _l("Reply title"), validators=[DataRequired(_l("Give the reply a title.")), Length(max=200)]
    )
    body = TextAreaField(
        _l("Text"),
        validators=[DataRequired(_l("Write the text of the reply.")), Length(max=10000)],
        render_kw={"rows": 8},
    )
    submit = SubmitField(_l("Save"))


class ReportForm(FlaskForm):
    class Meta:
        csrf = False

    start = DateField(_l("Filed from"), validators=[Optional()])
    end = DateField(_l("Filed until"), validators=[Optional()])
