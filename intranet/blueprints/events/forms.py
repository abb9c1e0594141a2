"""Forms: an event (the kind's own fields, sessions, repetition), people, rooms, feeds."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
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
    TimeField,
    URLField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from intranet.bounds import coerce_id, id_from, optional_number
from intranet.models import EventKind, FeedScope, PersonRole, Role
from intranet.models.events import (
    CATEGORIES_BY_KIND,
    COMPETITION_KINDS,
    RECURRING_KINDS,
    Attestation,
    BroadcastStatus,
    CompetitionCategory,
    CompetitionStage,
    ExamLevel,
)
from intranet.services.errors import ValidationFailed
from intranet.services.events import (
    ALARM_CHOICES,
    CompetitionInput,
    DemoExamInput,
    EventInput,
    Recurrence,
    SessionInput,
)
from intranet.services.events.labels import (
    ATTESTATION_LABELS,
    BROADCAST_LABELS,
    CATEGORY_LABELS,
    KIND_LABELS,
    LEVEL_LABELS,
    PERSON_ROLE_LABELS,
    SCOPE_LABELS,
    STAGE_LABELS,
)
from intranet.services.events.recurrence import WEEKDAYS

WEEKDAY_LABELS = [
    ("MO", _l("Mon")),
    ("TU", _l("Tue")),
    ("WE", _l("Wed")),
    ("TH", _l("Thu")),
    ("FR", _l("Fri")),
    ("SA", _l("Sat")),
    ("SU", _l("Sun")),
]
ROLE_CHOICES = [
    (Role.TEACHER.value, _l("all teachers")),
    (Role.TUTOR.value, _l("all tutors")),
    (Role.STUDENT.value, _l("all students")),
    (Role.PARENT.value, _l("all parents")),
    (Role.DEPUTY.value, _l("deputy heads")),
    (Role.HEAD.value, _l("the head")),
    (Role.ADMIN.value, _l("platform administrators")),
]


def optional_int(value: object) -> int | None:
    """A select's value: the empty placeholder becomes None, not an error."""
    return optional_number(value)


def _int_list(values: list) -> list[int]:
    return [number for v in values if (number := id_from(v)) is not None]


class SessionForm(Form):
    """One day or shift (a sub-form: the outer form carries the CSRF token)."""

    session_id = HiddenField()
    label = StringField(
        _l("Day or shift"),
        validators=[Optional(), Length(max=60)],
        render_kw={"placeholder": _l("e.g. D1")},
    )
    day = DateField(_l("Date"), validators=[Optional()])
    start = TimeField(_l("Starts"), validators=[Optional()])
    end = TimeField(_l("Ends"), validators=[Optional()])
    room_id = SelectField(_l("Room"), coerce=optional_int, validators=[Optional()])
    location = StringField(_l("Or a place"), validators=[Optional(), Length(max=300)])
    is_preparation = BooleanField(_l("Preparation day (D-1)"))

    def is_blank(self) -> bool:
        return not (self.day.data or self.start.data or self.end.data or self.label.data)


class EventForm(FlaskForm):
    title = StringField(
        _l("Name of the event"), validators=[DataRequired(_l("Enter the title.")), Length(max=200)]
    )
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=20000)], render_kw={"rows": 4}
    )
    responsible_id = SelectField(
        _l("Responsible person"), coerce=optional_int, validators=[Optional()]
    )
    room_id = SelectField(
        _l("Room"),
        coerce=optional_int,
        validators=[Optional()],
        description=_l("Sessions without a room of their own take place here."),
    )
    location = StringField(
        _l("Or a place outside the college"), validators=[Optional(), Length(max=300)]
    )
    is_open = BooleanField(
        _l("Open event"), description=_l("Shown in the public calendar of the college.")
    )
    stream_url = URLField(
        _l("Stream link"),
        validators=[Optional(), Length(max=500)],
        render_kw={"placeholder": "https://"},
    )
    recording_kept_until = DateField(_l("Recording kept until"), validators=[Optional()])
    group_ids = SelectMultipleField(_l("Groups"), coerce=coerce_id, validators=[Optional()])
    department_ids = SelectMultipleField(
        _l("Departments"), coerce=coerce_id, validators=[Optional()]
    )
    roles = SelectMultipleField(
        _l("Everyone in a role"), choices=ROLE_CHOICES, validators=[Optional()]
    )
    sessions = FieldList(FormField(SessionForm), min_entries=1, max_entries=30)

    repeat = SelectField(
        _l("Repeats"),
        choices=[
            ("", _l("does not repeat")),
            ("DAILY", _l("every day")),
            ("WEEKLY", _l("every week")),
            ("MONTHLY", _l("every month")),
        ],
        validators=[Optional()],
    )
    interval = IntegerField(
        _l("Every … (interval)"), default=1, validators=[Optional(), NumberRange(1, 52)]
    )
    weekdays = SelectMultipleField(_l("On"), choices=WEEKDAY_LABELS, validators=[Optional()])
    until = DateField(_l("Until"), validators=[Optional()])
    count = IntegerField(_l("Or times"), validators=[Optional(), NumberRange(1, 366)])
    exdates = StringField(
        _l("Except dates"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Dates with no meeting, e.g. 04.11.2026, 31.12.2026."),
    )

    attestation = SelectField(
        _l("Attestation"),
        choices=[(k.value, label) for k, label in ATTESTATION_LABELS.items()],
        validators=[Optional()],
    )
    speciality_id = SelectField(_l("Speciality"), coerce=optional_int, validators=[Optional()])
    kod = StringField(
        _l("Assessment set (KOD)"),
        validators=[Optional(), Length(max=60)],
        render_kw={"placeholder": "09.02.07-2-2026"},
    )
    level = SelectField(
        _l("Level"),
        choices=[(k.value, label) for k, label in LEVEL_LABELS.items()],
        validators=[Optional()],
    )
    exam_site = StringField(_l("Exam centre (CPDE)"), validators=[Optional(), Length(max=300)])
    stage = SelectField(
        _l("Stage"),
        choices=[(k.value, label) for k, label in STAGE_LABELS.items()],
        validators=[Optional()],
    )
    category = SelectField(_l("Category"), validators=[Optional()])
    competency = StringField(_l("Competency"), validators=[Optional(), Length(max=200)])
    contest_site = StringField(_l("Venue"), validators=[Optional(), Length(max=300)])

    override_reason = TextAreaField(
        _l("Save despite conflicts, because"),
        validators=[Optional(), Length(max=500)],
        description=_l("Administrators only; the reason is recorded in the audit log."),
        render_kw={"rows": 2},
    )
    add_session = SubmitField(_l("Add a day or session"))
    submit = SubmitField(_l("Save"))

    def setup(self, kind: EventKind) -> None:
        """Choices that depend on the kind."""
        if kind in COMPETITION_KINDS:
            self.category.choices = [
                (c.value, CATEGORY_LABELS[c]) for c in CATEGORIES_BY_KIND[kind]
            ]
            if kind is EventKind.ABILYMPICS:
                self.stage.choices = [
                    (k.value, label)
                    for k, label in STAGE_LABELS.items()
                    if k is not CompetitionStage.INTERREGIONAL
                ]
        else:
            self.category.choices = []

    def filled_sessions(self) -> list[SessionForm]:
        return [entry.form for entry in self.sessions if not entry.form.is_blank()]

    def to_input(self, kind: EventKind) -> EventInput:
        """The service's input; ValidationFailed names the field for an incomplete entry."""
        sessions = []
        for sub in self.filled_sessions():
            if not (sub.day.data and sub.start.data and sub.end.data):
                raise ValidationFailed(
                    _("Give each session a date, a start and an end."), "sessions"
                )
            sessions.append(
                SessionInput(
                    id=optional_int(sub.session_id.data),
                    label=sub.label.data or "",
                    day=sub.day.data,
                    start=sub.start.data,
                    end=sub.end.data,
                    room_id=sub.room_id.data,
                    location=sub.location.data or "",
                    is_preparation=bool(sub.is_preparation.data),
                )
            )
        recurrence = None
        if kind in RECURRING_KINDS and self.repeat.data:
            recurrence = Recurrence(
                freq=self.repeat.data,
                interval=self.interval.data or 1,
                weekdays=tuple(d for d in (self.weekdays.data or []) if d in WEEKDAYS),
                until=self.until.data,
                count=self.count.data,
                exdates=parse_dates(self.exdates.data or ""),
            )
        demo_exam = competition = None
        if kind is EventKind.DEMO_EXAM:
            demo_exam = DemoExamInput(
                attestation=Attestation(self.attestation.data or Attestation.GIA),
                level=ExamLevel(self.level.data or ExamLevel.BASIC),
                speciality_id=self.speciality_id.data,
                kod=self.kod.data or "",
                site=self.exam_site.data or "",
            )
        if kind in COMPETITION_KINDS:
            try:
                competition = CompetitionInput(
                    stage=CompetitionStage(self.stage.data),
                    category=CompetitionCategory(self.category.data),
                    competency=self.competency.data or "",
                    site=self.contest_site.data or "",
                )
            except ValueError as error:
                raise ValidationFailed(_("Choose the stage and the category."), "stage") from error
        return EventInput(
            kind=kind,
            title=self.title.data or "",
            description=self.description.data or "",
            responsible_id=self.responsible_id.data,
            room_id=self.room_id.data,
            location=self.location.data or "",
            is_open=bool(self.is_open.data),
            stream_url=(self.stream_url.data or "").strip(),
            recording_kept_until=self.recording_kept_until.data,
            group_ids=_int_list(self.group_ids.data or []),
            department_ids=_int_list(self.department_ids.data or []),
            roles=[Role(r) for r in (self.roles.data or []) if r in Role._value2member_map_],
            sessions=sessions,
            recurrence=recurrence,
            demo_exam=demo_exam,
            competition=competition,
            override_reason=self.override_reason.data or "",
        )


def parse_dates(text: str) -> tuple[date, ...]:
    """«04.11.2026, 31.12.2026» (or ISO dates) → dates; ValidationFailed on a bad one."""
    found = []
    for part in text.replace(";", ",").replace("\n", ",").split(","):
        part = part.strip()
        if not part:
            continue
        for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
            try:
                found.append(datetime.strptime(part, pattern).date())
                break
            except ValueError:
                continue
        else:
            raise ValidationFailed(
                _("«%(value)s» is not a date: write it as DD.MM.YYYY.", value=part), "exdates"
            )
    return tuple(sorted(set(found)))


class CancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"), validators=[Optional(), Length(max=500)], render_kw={"rows": 2}
    )
    submit = SubmitField(_l("Cancel the event"))


class BroadcastForm(FlaskForm):
    broadcast_status = SelectField(
        _l("Broadcast"),
        choices=[("", _l("no broadcast"))]
        + [(k.value, label) for k, label in BROADCAST_LABELS.items()],
        validators=[Optional()],
    )
    is_camera_checked = BooleanField(_l("Camera checked"))
    is_test_broadcast_done = BooleanField(_l("Test broadcast done"))
    is_link_sent = BooleanField(_l("Link sent to participants"))
    recording_kept_until = DateField(_l("Recording kept until"), validators=[Optional()])
    submit = SubmitField(_l("Save"))

    def status(self) -> BroadcastStatus | None:
        return BroadcastStatus(self.broadcast_status.data) if self.broadcast_status.data else None


class PersonForm(FlaskForm):
    role = SelectField(
        _l("Role"), choices=[(k.value, label) for k, label in PERSON_ROLE_LABELS.items()]
    )
    email = StringField(
        _l("E-mail"),
        validators=[Optional(), Length(max=254)],
        description=_l("A person of the college is found by the address of their account."),
        render_kw={"inputmode": "email", "autocomplete": "off"},
    )
    name = StringField(
        _l("Full name (people from outside)"), validators=[Optional(), Length(max=250)]
    )
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=300)])
    override_reason = TextAreaField(
        _l("Add despite conflicts, because"),
        validators=[Optional(), Length(max=500)],
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Add"))

    def person_role(self) -> PersonRole:
        return PersonRole(self.role.data)


class MoveForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired(_l("Enter the date."))])
    start = TimeField(_l("Starts"), validators=[DataRequired(_l("Enter the time."))])
    end = TimeField(_l("Ends"), validators=[DataRequired(_l("Enter the time."))])
    room_id = SelectField(_l("Room"), coerce=optional_int, validators=[Optional()])
    location = StringField(_l("Or a place"), validators=[Optional(), Length(max=300)])
    override_reason = TextAreaField(
        _l("Save despite conflicts, because"),
        validators=[Optional(), Length(max=500)],
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Move"))


class RoomForm(FlaskForm):
    name = StringField(
        _l("Room name"), validators=[DataRequired(_l("Enter the room's name.")), Length(max=120)]
    )
    building = StringField(_l("Building"), validators=[Optional(), Length(max=200)])
    capacity = IntegerField(_l("Seats"), validators=[Optional(), NumberRange(1, 10000)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])
    is_active = BooleanField(_l("In use"), default=True)
    submit = SubmitField(_l("Save"))


def alarm_choices() -> list[tuple[str, str]]:
    labels = {
        None: _l("no reminder"),
        10: _l("10 minutes before"),
        15: _l("15 minutes before"),
        30: _l("30 minutes before"),
        60: _l("an hour before"),
        120: _l("two hours before"),
        1440: _l("a day before"),
    }
    return [("" if m is None else str(m), labels[m]) for m in ALARM_CHOICES]


class FeedForm(FlaskForm):
    scope = SelectField(
        _l("Calendar"), choices=[(k.value, label) for k, label in SCOPE_LABELS.items()]
    )
    group_id = SelectField(_l("Group"), coerce=optional_int, validators=[Optional()])
    department_id = SelectField(_l("Department"), coerce=optional_int, validators=[Optional()])
    kind = SelectField(
        _l("Kind of event"),
        choices=[("", "—")] + [(k.value, label) for k, label in KIND_LABELS.items()],
        validators=[Optional()],
    )
    alarm_minutes = SelectField(_l("Reminder in the calendar app"), validators=[Optional()])
    submit = SubmitField(_l("Create the address"))

    def feed_scope(self) -> FeedScope:
        return FeedScope(self.scope.data)


class AlarmForm(FlaskForm):
    alarm_minutes = SelectField(_l("Reminder"), validators=[Optional()])
    submit = SubmitField(_l("Save"))


def alarm_value(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None
