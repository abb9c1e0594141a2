"""Forms for channels, announcements, review decisions and the Sferum post."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from intranet.bounds import coerce_id
from intranet.i18n import local_zone
from intranet.models import Audience
from intranet.services.channels.manage import MAX_STAGES


class LocalDateTimeField(DateTimeLocalField):
    """A date and time in the organisation's zone (the browser's datetime-local input)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d.%m.%Y %H:%M"])
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(
                str(_l("Enter a date and time, for example 01.09.2026 09:00."))
            ) from None

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.strftime("%Y-%m-%dT%H:%M") if self.data else ""


def to_utc(value: datetime | None) -> datetime | None:
    """A local wall-clock time from a form → aware UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=local_zone()).astimezone(UTC)


def to_local(value: datetime | None) -> datetime | None:
    """Aware UTC → the naive local time a datetime-local input shows."""
    if value is None:
        return None
    return value.astimezone(local_zone()).replace(tzinfo=None)


class StageForm(Form):
    """One review stage (a sub-form: the CSRF token is the parent's)."""

    role = SelectField(_l("Approver role"), choices=[], validate_choice=False)
    people = SelectMultipleField(
        _l("Or named people"), coerce=coerce_id, choices=[], validate_choice=False
    )


class ChannelForm(FlaskForm):
    name = StringField(
        _l("Channel name"),
        validators=[DataRequired(_l("Enter the channel's name.")), Length(max=120)],
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    audience = SelectField(_l("Who reads it"), choices=[], validators=[InputRequired()])
    group_ids = SelectMultipleField(
        _l("Groups"),
        coerce=coerce_id,
        choices=[],
        validate_choice=False,
        description=_l("Only when the channel is for chosen groups."),
    )
    group_students = BooleanField(_l("Students of these groups"), default=True)
    group_parents = BooleanField(_l("Parents of these groups"))
    sferum_url = StringField(
        _l("Link to the channel in Sferum / MAX"),
        validators=[Optional(), Length(max=500)],
        render_kw={"inputmode": "url", "placeholder": "https://"},
    )
    is_archived = BooleanField(_l("Archived: no new announcements"))
    stages = FieldList(FormField(StageForm), min_entries=MAX_STAGES, max_entries=MAX_STAGES)
    submit = SubmitField(_l("Save"))

    def audience_value(self) -> Audience | None:
        try:
            return Audience(self.audience.data)
        except ValueError:
            return None


class AnnouncementForm(FlaskForm):
    channel = SelectField(_l("Channel"), coerce=coerce_id, choices=[], validate_choice=False)
    title = StringField(
        _l("Heading"), validators=[DataRequired(_l("Enter a title.")), Length(max=200)]
    )
    body = TextAreaField(
        _l("Text"),
        validators=[DataRequired(_l("Write the text of the announcement.")), Length(max=20000)],
        description=_l("Markdown: **bold**, *italic*, lists with «-», links as [text](https://…)."),
        render_kw={"rows": 12, "data-preview": "body-preview"},
    )
    go_live_at = LocalDateTimeField(
        _l("Publish at"),
        validators=[Optional()],
        description=_l("Leave empty to publish as soon as it is approved."),
    )
    expire_at = LocalDateTimeField(
        _l("Remove at"),
        validators=[Optional()],
        description=_l("Optional: the announcement leaves the channel at this time."),
    )
    is_mandatory = BooleanField(_l("Staff must acknowledge reading it"))
    image = FileField(
        _l("Add an image"),
        description=_l("PNG or JPEG up to 5 MB; it is added at the end of the text."),
        render_kw={"accept": "image/png,image/jpeg"},
    )
    image_alt = StringField(_l("What the image shows"), validators=[Optional(), Length(max=120)])
    base_no = IntegerField(widget=HiddenInput(), validators=[Optional()])
    save = SubmitField(_l("Save draft"))
    save_submit = SubmitField(_l("Save and submit for review"))


class PreviewForm(FlaskForm):
    body = TextAreaField(validators=[Optional(), Length(max=20000)])


class ConfirmForm(FlaskForm):
    """A button that posts with a CSRF token."""


class ApproveForm(FlaskForm):
    revision_no = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=5000)])
    approve = SubmitField(_l("Approve"))


class RequestChangesForm(FlaskForm):
    revision_no = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    comment = TextAreaField(
        _l("What should change"),
        validators=[DataRequired(_l("Write a comment for the author.")), Length(max=5000)],
    )
    suggested_text = TextAreaField(
        _l("Suggested text (optional)"),
        validators=[Optional(), Length(max=20000)],
        description=_l("The author decides whether to use it; reviewers do not edit."),
    )
    request = SubmitField(_l("Request changes"))


class DeclineForm(FlaskForm):
    revision_no = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    comment = TextAreaField(
        _l("Why it is declined"),
        validators=[DataRequired(_l("Write a comment for the author.")), Length(max=5000)],
    )
    decline = SubmitField(_l("Decline"))


class CancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason shown to readers"),
        validators=[DataRequired(_l("Say why the announcement is cancelled.")), Length(max=2000)],
    )
    cancel = SubmitField(_l("Cancel the announcement"))


class SferumForm(FlaskForm):
    url = StringField(
        _l("Link to the post"),
        validators=[DataRequired(_l("Paste the post's link.")), Length(max=500)],
        render_kw={"inputmode": "url", "placeholder": "https://"},
    )
    posted_at = LocalDateTimeField(
        _l("Posted at"), validators=[InputRequired(_l("Enter when it was posted."))]
    )
    submit = SubmitField(_l("Record the post"))


__all__ = [
    "AnnouncementForm",
    "ApproveForm",
    "CancelForm",
    "ChannelForm",
    "ConfirmForm",
    "DeclineForm",
    "HiddenField",
    "PreviewForm",
    "RequestChangesForm",
    "SferumForm",
    "StageForm",
    "to_local",
    "to_utc",
]
