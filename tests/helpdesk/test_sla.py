"""The SLA clock: working hours, weekends, holidays, and the pause while waiting."""

from __future__ import annotations

from datetime import date, time
from zoneinfo import ZoneInfo

import pytest

from intranet.models.helpdesk import Priority, TicketStatus
from intranet.services.helpdesk import sla, tickets
from tests.helpdesk.conftest import msk

CAL = sla.WorkCalendar(
    zone=ZoneInfo("Europe/Moscow"),
    start=time(9),
    end=time(18),
    holidays=frozenset({date(2026, 3, 9)}),
)
HOUR = 3600


def test_add_within_a_day():
    assert CAL.add(msk(2026, 2, 16, 10, 0), 2 * HOUR) == msk(2026, 2, 16, 12, 0)


def test_add_before_opening_starts_at_opening():
    assert CAL.add(msk(2026, 2, 16, 7, 30), HOUR) == msk(2026, 2, 16, 10, 0)


def test_add_over_a_weekend():
    # Friday 17:00 + 4 working hours: one on Friday, three on Monday.
    assert CAL.add(msk(2026, 2, 13, 17, 0), 4 * HOUR) == msk(2026, 2, 16, 12, 0)


def test_add_over_a_weekend_and_a_holiday():
    # Friday 6 March 17:00; Monday 9 March is a holiday (8 March fell on a Sunday).
    assert CAL.add(msk(2026, 3, 6, 17, 0), 4 * HOUR) == msk(2026, 3, 10, 12, 0)


def test_extra_working_saturday_counts():
    cal = sla.WorkCalendar(zone=CAL.zone, extra_workdays=frozenset({date(2026, 2, 14)}))
    assert cal.add(msk(2026, 2, 13, 17, 0), 4 * HOUR) == msk(2026, 2, 14, 12, 0)


def test_between_is_the_inverse_of_add():
    start = msk(2026, 3, 5, 15, 20)
    for hours in (0.5, 3, 9, 20, 47):
        end = CAL.add(start, hours * HOUR)
        assert CAL.between(start, end) == int(hours * HOUR)


def test_between_skips_nights_weekends_and_holidays():
    assert CAL.between(msk(2026, 3, 6, 17, 0), msk(2026, 3, 10, 10, 0)) == 2 * HOUR
    assert CAL.between(msk(2026, 3, 10, 10, 0), msk(2026, 3, 6, 17, 0)) == 0


def test_calendar_from_settings(app):
    cal = sla.calendar_from(app.config, "Europe/Moscow")
    assert not cal.is_workday(date(2026, 1, 5))  # new-year holidays
    assert not cal.is_workday(date(2026, 2, 21))  # Saturday
    assert cal.is_workday(date(2026, 2, 20))
    assert cal.day_seconds == 9 * HOUR


@pytest.mark.pg
def test_ticket_due_times_over_a_weekend_and_a_holiday(app, make, student):
    # Filed Friday 6 March 2026 at 17:00; Monday the 9th is a holiday.
    ticket = make.ticket(student, created_at=msk(2026, 3, 6, 17, 0))
    first, resolution = sla.targets(Priority.NORMAL)  # 4 and 18 working hours
    assert first == 4 * HOUR and resolution == 18 * HOUR
    assert ticket.first_response_due_at == msk(2026, 3, 10, 12, 0)
    # 1 h on Friday, 9 h on Tuesday, 8 h on Wednesday.
    assert ticket.resolution_due_at == msk(2026, 3, 11, 17, 0)
    assert ticket.due_at == ticket.first_response_due_at


@pytest.mark.pg
def test_clock_paused_while_waiting_for_the_requester(app, make, admin, student):
    ticket = make.ticket(student, created_at=msk(2026, 2, 16, 10, 0))  # Monday 10:00
    assert ticket.resolution_due_at == msk(2026, 2, 18, 10, 0)  # 8 + 9 + 1 working hours
    tickets.staff_reply(
        ticket,
        actor=admin,
        body="Пришлите, пожалуйста, снимок экрана с ошибкой.",
        then=TicketStatus.WAITING_REQUESTER,
        now=msk(2026, 2, 16, 11, 0),
    )
    assert ticket.first_response_seconds == HOUR
    assert ticket.status is TicketStatus.WAITING_REQUESTER
    assert ticket.due_at is None  # nothing runs while paused
    tickets.requester_reply(ticket, actor=student, body="Вот снимок.", now=msk(2026, 2, 18, 15, 0))
    assert ticket.status is TicketStatus.OPEN
    # Paused Monday 11–18 (7 h), Tuesday (9 h) and Wednesday 9–15 (6 h): 22 working hours.
    assert ticket.sla_paused_seconds == 22 * HOUR
    assert ticket.resolution_due_at == msk(2026, 2, 20, 14, 0)
    assert ticket.due_at == ticket.resolution_due_at
    tickets.change_status(ticket, TicketStatus.RESOLVED, actor=admin, now=msk(2026, 2, 19, 10, 0))
    # Mon 10–11 (1 h) before the pause, Wed 15–18 (3 h) and Thu 9–10 (1 h) after it.
    assert ticket.resolution_seconds == 5 * HOUR
    assert not ticket.resolution_breached
    assert ticket.due_at is None


@pytest.mark.pg
def test_late_first_response_is_recorded(app, make, admin, student):
    ticket = make.ticket(student, created_at=msk(2026, 2, 16, 10, 0))
    tickets.staff_reply(ticket, actor=admin, body="Смотрим.", now=msk(2026, 2, 16, 16, 0))
    assert ticket.first_response_seconds == 6 * HOUR
    assert ticket.first_response_breached


@pytest.mark.pg
def test_priority_change_moves_the_due_times(app, make, admin, student):
    ticket = make.ticket(student, created_at=msk(2026, 2, 16, 10, 0))
    tickets.set_priority(ticket, Priority.URGENT, actor=admin, now=msk(2026, 2, 16, 10, 5))
    assert ticket.first_response_due_at == msk(2026, 2, 16, 11, 0)
    assert ticket.resolution_due_at == msk(2026, 2, 16, 14, 0)
