"""Broadcast scheduling: events, their sessions and occurrences, conflicts, e-mails, feeds.

Callers import this package; the modules beside it hold the parts: `operations` (the
workflows), `participants`, `dates` (single dates of a series), `rooms`, `queries` (reading
the schedule), `recurrence`, `conflicts`, `ical` (iCalendar builders), `notify` (e-mails and
the reminder job), `feeds` (subscriptions), `serving` and `snapshots` (answering calendar
apps) and `state` (the generation counter that tells feeds something changed).
"""

from intranet.services.events import state  # noqa: F401  (registers the change listeners)
from intranet.services.events.dates import cancel_occurrence, move_occurrence
from intranet.services.events.feeds import (
    ALARM_CHOICES,
    FeedUrls,
    create_feed,
    feed_urls,
    personal_feed,
    revoke_feed,
    rotate_feed,
    set_alarm,
)
from intranet.services.events.operations import (
    CompetitionInput,
    DemoExamInput,
    EventInput,
    ScheduleConflict,
    SessionInput,
    cancel,
    complete,
    confirm,
    create_event,
    delete_event,
    is_manager,
    own_group_ids,
    update_broadcast,
    update_event,
)
from intranet.services.events.participants import add_group_students, add_person, remove_person
from intranet.services.events.recurrence import Recurrence
from intranet.services.events.rooms import save_room
from intranet.services.events.serving import FeedAnswer, answer

__all__ = [
    "ALARM_CHOICES",
    "CompetitionInput",
    "DemoExamInput",
    "EventInput",
    "FeedAnswer",
    "FeedUrls",
    "Recurrence",
    "ScheduleConflict",
    "SessionInput",
    "add_group_students",
    "add_person",
    "answer",
    "cancel",
    "cancel_occurrence",
    "complete",
    "confirm",
    "create_event",
    "create_feed",
    "delete_event",
    "feed_urls",
    "is_manager",
    "move_occurrence",
    "own_group_ids",
    "personal_feed",
    "remove_person",
    "revoke_feed",
    "rotate_feed",
    "save_room",
    "set_alarm",
    "update_broadcast",
    "update_event",
]
