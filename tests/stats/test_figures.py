"""Every figure of the statistics page against data the test creates: the service's numbers,
the page's text and each CSV table."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from intranet.extensions import db
from intranet.i18n import forget_timezone, local_today
from intranet.models import AnnouncementStatus, Role
from intranet.services.stats import period as periods
from intranet.services.stats import report
from tests.stats import world as w

PERIOD = "start=2025-09-01&end=2025-11-30"


@pytest.fixture(autouse=True)
def _zone():
    forget_timezone()
    yield
    forget_timezone()


@pytest.fixture
def college(make, login_as):
    """A small college whose every figure is known (see the expectations in each test)."""
    head = login_as("head", last_name="Директорова")
    group = make.group("ИСП-25-1", dept=make.department("Отделение ИТ"))
    old = make.group("ИСП-19-1")
    old.is_archived = True
    s1 = make.user("student", password_hash="x", last_login_at=w.signed_in(5))
    s2 = make.user("student", password_hash="x", last_login_at=w.signed_in(40))
    s3 = make.user("student")
    s4 = make.user("student", password_hash="x")  # in the archived group
    s5 = make.user("student", password_hash="x")  # left in June
    s6 = make.user("student", password_hash="x", is_active=False)
    for s in (s1, s2, s3, s6):
        make.enroll(s, group)
    make.enroll(s4, old)
    make.enroll(s5, group, ends_on=date(2025, 6, 30))
    p1 = make.user("parent", password_hash="x", last_login_at=w.signed_in(1))
    p2 = make.user("parent")
    p3 = make.user("parent", password_hash="x")
    p4 = make.user("parent", password_hash="x")
    make.guardian(p1, s1)
    make.guardian(p2, s1)
    make.guardian(p2, s2)
    make.guardian(p3, s3, confirmed=False)
    make.guardian(p4, s4)
    tutor = make.user("tutor", password_hash="x", last_login_at=w.signed_in(2))
    make.user("teacher", confirmed=False)
    make.tutor_of(tutor, group)
    make.chat(tutor, "tutor_students", group=group)
    make.chat(tutor, "tutor_parents", group=group, status="archived")

    official, parents = w.channel("Официальный канал"), w.channel("Родителям")
    for moment in (w.msk(2025, 9, 10, 12), w.msk(2025, 9, 20, 12), w.msk(2025, 10, 1, 1, 30)):
        w.announcement(official, head, moment)
    w.announcement(parents, head, w.msk(2025, 11, 5, 10))
    w.announcement(parents, head, w.msk(2025, 11, 6, 10), status=AnnouncementStatus.CANCELLED)
    w.announcement(parents, head, None)  # a draft
    w.announcement(official, head, w.msk(2025, 8, 31, 23, 30))  # the day before the period
    w.announcement(official, head, w.msk(2025, 12, 1, 0, 30))  # the day after

    w.event(
        "demo_exam",
        w.msk(2025, 10, 15, 9),
        head,
        "completed",
        stream_url="https://example.test/live",
    )
    w.event("webinar", w.msk(2025, 9, 20, 15), head, "confirmed")  # over: held
    w.event("meeting", w.msk(2025, 9, 21, 15), head, "planned")  # over, never confirmed: held
    w.event(
        "meeting", w.msk(2025, 11, 1, 10), head, "cancelled", stream_url="https://example.test/x"
    )
    w.event("webinar", w.msk(2025, 12, 3, 10), head)  # after the period

    make.ticket(
        category="login",
        status="resolved",
        created_at=w.msk(2025, 9, 5, 10),
        resolution_seconds=2 * 3600,
    )
    make.ticket(
        category="login",
        status="closed",
        created_at=w.msk(2025, 9, 6, 10),
        resolution_seconds=4 * 3600,
    )
    make.ticket(
        category="calls",
        status="resolved",
        created_at=w.msk(2025, 10, 6, 10),
        resolution_seconds=10 * 3600,
    )
    open_call = make.ticket(category="calls", status="open", created_at=w.msk(2025, 10, 7, 10))
    make.ticket(category="files", status="new", created_at=w.msk(2025, 11, 7, 10))
    make.ticket(category="files", status="new", created_at=w.msk(2025, 12, 7, 10))  # after
    w.escalation(open_call, w.msk(2025, 10, 8, 10))

    asker = make.user()
    w.join_request(asker, "student")
    w.join_request(asker, "parent")
    w.join_request(asker, "parent")
    w.join_request(asker, "teacher", "approved", w.msk(2025, 10, 1, 12))
    w.join_request(asker, "student", "rejected", w.msk(2025, 10, 2, 12))
    w.join_request(asker, "student", "approved", w.msk(2024, 1, 1, 12))  # long before

    w.snapshot(date(2025, 8, 25), 800, 500)
    w.snapshot(date(2025, 9, 30), 900, 600, messages=15000, calls=300, broadcasts=10, chats=80)
    w.snapshot(date(2025, 10, 31), 950, 700, broadcasts=12, chats=85)
    db.session.commit()
    return head


def _report():
    return report.build(periods.Period(date(2025, 9, 1), date(2025, 11, 30)), local_today())


def _csv(client, name: str, query: str = PERIOD) -> list[list[str]]:
    response = client.get(f"/stats/{name}.csv?{query}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.text.lstrip("\ufeff")), delimiter=";"))


@pytest.mark.pg
def test_people_against_those_expected(client, college):
    p = _report().people
    assert (p.students_enrolled, p.students_activated, p.students_recent) == (3, 2, 1)
    assert p.students_with_parent == 2
    assert (p.parents, p.parents_activated, p.parents_recent, p.parent_links) == (2, 1, 1, 3)
    assert p.parents_per_student == 1.0
    staff = {r.role: (r.registered, r.activated, r.recent, r.confirmed) for r in p.staff}
    assert staff == {
        Role.HEAD: (1, 0, 0, None),
        Role.DEPUTY: (0, 0, 0, None),
        Role.ADMIN: (0, 0, 0, None),
        Role.TUTOR: (1, 1, 1, 1),
        Role.TEACHER: (1, 0, 0, 0),
    }
    rows = _csv(client, "people")
    assert rows[1] == ["Обучающиеся", "3", "3", "2", "1", ""]
    assert rows[2] == ["Родители", "3", "2", "1", "1", ""]
    assert ["Тьютор", "", "1", "1", "1", "1"] in rows
    page = client.get(f"/stats/?{PERIOD}").text
    assert "2 из 3 (66%)" in page  # students with an account
    assert "Родителей на одного обучающегося: 1.0." in page


@pytest.mark.pg
def test_onboarding_waiting_and_decided(client, college):
    o = _report().onboarding
    assert o.pending == {Role.STUDENT: 1, Role.PARENT: 2}
    assert (o.approved, o.rejected, o.teachers_pending) == (1, 1, 1)
    rows = dict((k, v) for k, v in _csv(client, "onboarding")[1:])
    assert rows["Заявок ждут решения, всего"] == "3"
    assert rows["Заявки ждут решения: Родитель"] == "2"
    assert rows["Заявок одобрено за период"] == "1"
    assert rows["Преподаватели ждут подтверждения статуса"] == "1"


@pytest.mark.pg
def test_chat_compliance_summary(client, college):
    c = _report().chats
    # The head: deputies and teachers (no councils); the tutor: three chats of the group,
    # one registered (the archived one does not count).
    assert (c.total.expected, c.total.present, c.total.percent) == (5, 1, 20)
    assert [(r.expected, r.present) for r in c.by_keeper] == [(2, 0), (3, 1), (0, 0)]
    assert [(r.label, r.expected, r.present) for r in c.by_department] == [("Отделение ИТ", 3, 1)]
    rows = _csv(client, "chats")
    assert rows[-1] == ["Всего", "5", "1", "20"]
    assert ["Отделение ИТ", "3", "1", "33"] in rows
    assert "1 из 5 положенных" in client.get(f"/stats/?{PERIOD}").text


@pytest.mark.pg
def test_announcements_by_channel_and_local_month(client, college):
    a = _report().announcements
    assert a.months == [date(2025, 9, 1), date(2025, 10, 1), date(2025, 11, 1)]
    # 1 October 01:30 in Moscow is still 30 September in UTC: it counts in October.
    assert a.channels == [("Официальный канал", [2, 1, 0], 3), ("Родителям", [0, 0, 2], 2)]
    assert (a.per_month, a.total) == ([2, 1, 2], 5)
    rows = _csv(client, "announcements")
    assert rows[0] == ["Канал", "сен 2025", "окт 2025", "ноя 2025", "Всего"]
    assert rows[1:] == [
        ["Официальный канал", "2", "1", "0", "3"],
        ["Родителям", "0", "0", "2", "2"],
        ["Всего", "2", "1", "2", "5"],
    ]


@pytest.mark.pg
def test_events_held_planned_and_cancelled_by_kind(client, college):
    e = _report().events
    got = {r.kind.value: (r.counts, r.streamed) for r in e.rows if r.total}
    assert got == {
        "demo_exam": ({"held": 1}, 1),
        "webinar": ({"held": 1}, 0),
        "meeting": ({"held": 1, "cancelled": 1}, 0),
    }
    assert (e.total("held"), e.total("planned"), e.total("cancelled")) == (3, 0, 1)
    rows = _csv(client, "events")
    assert rows[0][1:4] == ["Проведено", "Запланировано", "Отменено"]
    assert ["Совещание", "1", "0", "1", "0", "2"] in rows


@pytest.mark.pg
def test_events_still_planned_count_as_planned(client, login_as):
    head = login_as("head")
    today = local_today()
    w.event("webinar", w.msk(today.year, today.month, today.day, 3) + timedelta(days=3), head)
    w.event("webinar", w.msk(today.year, today.month, today.day, 3) - timedelta(days=3), head)
    db.session.commit()
    lo, hi = periods.Period(today - timedelta(days=10), today + timedelta(days=10)).bounds(w.MSK)
    from intranet.services import stats

    webinar = next(r for r in stats.events(lo, hi).rows if r.kind.value == "webinar")
    assert webinar.counts == {"held": 1, "planned": 1}


@pytest.mark.pg
def test_tickets_by_category_with_median_and_escalations(client, college):
    t = _report().tickets
    assert t.total == 5
    by_category = {c.value: (counts, total) for c, counts, total in t.rows if total}
    assert {k: v[1] for k, v in by_category.items()} == {"login": 2, "calls": 2, "files": 1}
    assert t.median_resolution == 4.0
    assert t.escalations == 1
    rows = _csv(client, "tickets")
    assert rows[-1][-1] == "5"
    page = client.get(f"/stats/?{PERIOD}").text
    assert "4.0 ч" in page


@pytest.mark.pg
def test_platform_snapshots_beside_the_intranet(client, college):
    r = _report()
    assert [s.taken_on for s in r.snapshots] == [date(2025, 9, 30), date(2025, 10, 31)]
    assert r.latest_snapshot.members == 950
    # Accounts in use: 2 students and 1 parent with a password, 1 tutor.
    assert r.intranet_accounts == 4
    rows = _csv(client, "platform")
    assert rows[1][:4] == ["30.09.2025", "VK Мессенджер (учебный профиль)", "900", "600"]
    assert rows[2][2:] == ["950", "700", "", "", "12", "85", ""]
    page = client.get(f"/stats/?{PERIOD}").text
    assert "На платформе, 31.10.2025" in page
    assert "700 из 950 (73%)" in page


def test_the_newest_snapshot_before_the_period_is_shown_when_none_is_in_it(client, login_as):
    login_as("admin")
    w.snapshot(date(2025, 1, 31), 500, 100)
    w.snapshot(date(2024, 12, 31), 400, 100)
    db.session.commit()
    page = client.get("/stats/?start=2025-03-01&end=2025-03-31").text
    assert "На платформе, 31.01.2025" in page


def test_charts_are_accessible_images_with_their_numbers_as_tables(client, college):
    page = client.get(f"/stats/?{PERIOD}").text
    charts = page.count('role="img"')
    assert charts >= 6
    assert page.count("<title id=") == charts and page.count("<desc id=") == charts
    assert page.count("<details") >= 5
    assert "Числа таблицей" in page
