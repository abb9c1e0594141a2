"""Statistics pages: access, the period filter, the platform snapshot form, CSV exports and
the number of SQL statements as the data grows."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from intranet.extensions import db
from intranet.i18n import forget_timezone, local_today
from intranet.models import AuditEvent, PlatformSnapshot
from intranet.services.chats import compliance
from intranet.services.stats import cache
from intranet.services.stats import period as periods
from tests.stats import world as w


@pytest.fixture(autouse=True)
def _zone():
    forget_timezone()
    yield
    forget_timezone()


def _errors(page) -> list[str]:
    return re.findall(r'class="invalid-feedback"[^>]*>([^<]*)<', page.text)


# --- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["head", "admin"])
def test_the_head_and_admins_see_the_statistics(client, login_as, role):
    login_as(role)
    page = client.get("/stats/")
    assert page.status_code == 200
    assert "Статистика" in page.text
    assert 'href="/stats/"' in client.get("/").text  # in the navigation


@pytest.mark.parametrize("role", ["deputy", "tutor", "teacher", "student", "parent"])
def test_everyone_else_is_refused(client, login_as, role):
    login_as(role)
    assert client.get("/stats/").status_code == 403
    assert client.get("/stats/people.csv").status_code == 403
    assert client.get("/stats/platform").status_code == 403
    assert 'href="/stats/"' not in client.get("/").text


def test_anonymous_people_are_sent_to_sign_in(client):
    response = client.get("/stats/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_an_unconfirmed_tutor_with_no_other_role_is_refused(client, login_as):
    login_as("tutor", confirmed=False)
    assert client.get("/stats/").status_code == 403


# --- the period ------------------------------------------------------------------------------


def test_presets():
    today = date(2026, 11, 29)
    assert periods.preset("this_month", today) == periods.Period(
        date(2026, 11, 1), date(2026, 11, 30), "this_month"
    )
    assert periods.preset("last_month", date(2026, 1, 15)).start == date(2025, 12, 1)
    assert periods.preset("last_month", date(2026, 1, 15)).end == date(2025, 12, 31)
    year = periods.preset("academic_year", date(2026, 3, 1))
    assert (year.start, year.end) == (date(2025, 9, 1), date(2026, 8, 31))
    last = periods.preset("last_academic_year", today)
    assert (last.start, last.end) == (date(2025, 9, 1), date(2026, 8, 31))
    assert periods.preset("nonsense", today).preset == "academic_year"
    assert len(periods.preset("academic_year", today).months) == 12


def test_the_default_is_this_academic_year(client, login_as):
    login_as("head")
    page = client.get("/stats/")
    year = periods.preset("academic_year", local_today())
    assert f'value="{year.start.isoformat()}"' in page.text
    assert f'value="{year.end.isoformat()}"' in page.text
    assert 'aria-current="true"' in page.text


def test_a_preset_fills_in_the_dates(client, login_as):
    login_as("head")
    page = client.get("/stats/?preset=this_month")
    first = local_today().replace(day=1)
    assert f'value="{first.isoformat()}"' in page.text
    assert f"Период: {first.strftime('%d.%m.%Y')}" in page.text


def test_typed_dates_choose_the_period(client, login_as):
    login_as("head")
    w.announcement(w.channel("Канал"), login_as("admin"), w.msk(2025, 3, 10, 12))
    db.session.commit()
    page = client.get("/stats/?start=2025-03-01&end=2025-03-31")
    assert "Период: 01.03.2025 – 31.03.2025" in page.text
    assert "мар 2025" in page.text
    assert "Даты выше нужно исправить" not in page.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-05-01&end=2026-01-01", "Период не может закончиться раньше, чем начался."),
        ("start=2020-01-01&end=2026-01-01", "Выберите период не длиннее 36 месяцев."),
        ("start=31.02.2026&end=2026-03-01", "Неверное значение даты."),
        ("start=&end=2026-03-01", "Укажите первый день периода."),
        ("start=2026-03-01", "Укажите последний день периода."),
    ],
)
def test_a_bad_period_is_explained_kept_and_the_default_shown(client, login_as, query, message):
    login_as("admin")
    page = client.get(f"/stats/?{query}")
    assert page.status_code == 200
    assert message in _errors(page)
    assert "Даты выше нужно исправить; пока показан текущий учебный год." in page.text
    typed = dict(p.split("=") for p in query.split("&"))
    if typed.get("start"):
        assert f'value="{typed["start"]}"' in page.text  # the entry is kept


def test_a_bad_period_in_a_csv_link_falls_back_to_the_default(client, login_as):
    login_as("admin")
    response = client.get("/stats/announcements.csv?start=2026-05-01&end=2026-01-01")
    assert response.status_code == 200
    months = response.text.splitlines()[0].count(";") - 1
    assert months == 12  # the academic year


# --- CSV -------------------------------------------------------------------------------------


def test_every_table_downloads_as_safe_csv(client, login_as):
    login_as("admin")
    w.channel('=HYPERLINK("http://evil.test")')
    w.snapshot(date(2025, 10, 1), 10, 5, note="-2+3")
    w.announcement(
        db.session.scalar(select(w.Channel).limit(1)), login_as("head"), w.msk(2025, 10, 2, 12)
    )
    db.session.commit()
    login_as("admin")
    for name in ("people", "onboarding", "chats", "announcements", "events", "tickets"):
        response = client.get(f"/stats/{name}.csv?start=2025-09-01&end=2025-10-31")
        assert response.status_code == 200, name
        assert response.text.startswith("\ufeff")
        assert f"stats-{name}-2025-09-01-2025-10-31.csv" in response.headers["Content-Disposition"]
    announcements = client.get("/stats/announcements.csv?start=2025-09-01&end=2025-10-31").text
    assert "'=HYPERLINK" in announcements
    platform = client.get("/stats/platform.csv?start=2025-09-01&end=2025-10-31").text
    assert "'-2+3" in platform
    assert client.get("/stats/secrets.csv").status_code == 404


# --- the platform's figures ------------------------------------------------------------------

GOOD = {
    "taken_on": "2026-10-31",
    "platform": "vk",
    "members": "1200",
    "active_users": "800",
    "messages": "45000",
    "calls": "",
    "broadcasts": "14",
    "chats": "96",
    "note": "Панель, раздел «Статистика»",
}


def test_an_admin_enters_edits_and_removes_the_panel_figures(client, login_as):
    login_as("admin")
    form = client.get("/stats/platform/new")
    assert form.status_code == 200
    assert f'value="{local_today().isoformat()}"' in form.text
    done = client.post("/stats/platform/new", data={**GOOD})
    assert done.status_code == 302
    row = db.session.scalar(select(PlatformSnapshot))
    assert (row.members, row.active_users, row.calls, row.broadcasts) == (1200, 800, None, 14)
    listed = client.get("/stats/platform")
    assert "31.10.2026" in listed.text and "45000" in listed.text
    assert "1200" in client.get("/stats/?preset=academic_year").text
    edited = client.post(f"/stats/platform/{row.id}/edit", data={**GOOD, "members": "1250"})
    assert edited.status_code == 302
    db.session.refresh(row)
    assert row.members == 1250
    assert client.post(f"/stats/platform/{row.id}/delete").status_code == 302
    assert db.session.scalar(select(func.count(PlatformSnapshot.id))) == 0
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"stats.snapshot_create", "stats.snapshot_update", "stats.snapshot_delete"} <= actions


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"members": ""}, "members", "Введите число из панели."),
        ({"members": "много"}, "members", "Неверное целое число."),
        ({"members": "-5"}, "members", "Введите целое число от 0 до 100000000."),
        ({"active_users": "1300"}, "active_users", None),
        ({"taken_on": ""}, "taken_on", "Укажите дату, на которую сняты показатели."),
        ({"taken_on": "2999-01-01"}, "taken_on", None),
        ({"taken_on": "31.02.2026"}, "taken_on", "Неверное значение даты."),
        ({"platform": "telegram"}, "platform", None),
    ],
)
def test_bad_figures_are_explained_and_kept(client, login_as, changes, field, message):
    login_as("admin")
    page = client.post("/stats/platform/new", data={**GOOD, **changes})
    assert page.status_code == 200
    errors = _errors(page)
    assert errors, page.text
    if message:
        assert message in " ".join(errors)
    assert all(re.search("[а-яА-Я]", e) for e in errors)  # in Russian
    assert 'value="45000"' in page.text  # the rest of the entry is kept
    assert db.session.scalar(select(func.count(PlatformSnapshot.id))) == 0


def test_more_active_users_than_members_is_refused_in_russian(client, login_as):
    login_as("admin")
    page = client.post("/stats/platform/new", data={**GOOD, "active_users": "1300"})
    assert "Активных пользователей не может быть больше, чем участников." in _errors(page)


def test_the_same_day_twice_is_a_message(client, login_as):
    login_as("admin")
    w.snapshot(date(2026, 10, 31), 1000)
    db.session.commit()
    page = client.post("/stats/platform/new", data={**GOOD})
    assert page.status_code == 200
    assert "уже внесены" in page.text
    assert 'value="1200"' in page.text
    # The other platform on the same day is a different entry.
    assert client.post("/stats/platform/new", data={**GOOD, "platform": "max"}).status_code == 302


def test_the_head_reads_the_figures_but_does_not_enter_them(client, login_as):
    row = w.snapshot(date(2026, 10, 31), 1000)
    db.session.commit()
    login_as("head")
    listed = client.get("/stats/platform")
    assert listed.status_code == 200 and "1000" in listed.text
    assert "/stats/platform/new" not in listed.text
    assert client.get("/stats/platform/new").status_code == 403
    assert client.post(f"/stats/platform/{row.id}/delete").status_code == 403


def test_a_missing_snapshot_is_404(client, login_as):
    login_as("admin")
    assert client.get("/stats/platform/999999/edit").status_code == 404
    assert client.post("/stats/platform/999999/delete").status_code == 404


# --- statements ------------------------------------------------------------------------------


@contextmanager
def counted():
    statements: list[str] = []

    def hook(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", hook)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", hook)


def _grow(make, head, n: int) -> None:
    """n more of everything the page counts, spread over channels, months and kinds."""
    today = local_today()
    for i in range(n):
        group = make.group()
        tutor = make.user("tutor", password_hash="x")
        make.tutor_of(tutor, group)
        make.teaches(make.user("teacher"), group)
        make.chat(tutor, "tutor_students", group=group)
        student = make.user("student", password_hash="x")
        make.enroll(student, group)
        make.guardian(make.user("parent"), student)
        channel = w.channel(f"Канал {i} {n}")
        moment = w.msk(today.year, today.month, 1, 12) - timedelta(days=35 * (i % 3))
        w.announcement(channel, head, moment)
        w.event(["webinar", "meeting", "demo_exam"][i % 3], moment, head)
        ticket = make.ticket(
            category=["login", "calls", "files"][i % 3],
            status="resolved",
            created_at=moment,
            resolution_seconds=3600 * (i + 1),
        )
        w.escalation(ticket, moment)
        w.join_request(make.user(), "student")
        w.snapshot(today - timedelta(days=1 + i + 10 * n), 100 + i, 50)
    db.session.commit()


@pytest.mark.pg
def test_statements_do_not_grow_with_the_data(client, login_as, make, app):
    head = login_as("head")
    _grow(make, head, 1)
    client.get("/stats/")  # warm: the organisation's time zone is cached
    cache.clear()
    compliance.forget_college_board()
    with counted() as few:
        assert client.get("/stats/").status_code == 200
    _grow(make, head, 6)
    cache.clear()
    compliance.forget_college_board()
    with counted() as many:
        page = client.get("/stats/")
    assert page.status_code == 200
    assert len(many) == len(few), "\n".join(many)
    assert len(few) < 40
    with counted() as cached:
        assert client.get("/stats/").status_code == 200
    assert len(cached) < len(few) - 15  # the figures came from the cache


def test_figures_are_kept_a_minute_unless_counted_again(client, login_as):
    admin = login_as("admin")
    official = w.channel("Официальный канал")
    w.announcement(official, admin, w.msk(2025, 10, 2, 12))
    db.session.commit()
    query = "/stats/announcements.csv?start=2025-10-01&end=2025-10-31"
    page = "/stats/?start=2025-10-01&end=2025-10-31"
    assert "Опубликовано объявлений" in client.get(page).text
    first = client.get(page).text
    w.announcement(official, admin, w.msk(2025, 10, 3, 12))
    db.session.commit()
    assert client.get(page).text.count('<div class="panel-figure">1</div>') == first.count(
        '<div class="panel-figure">1</div>'
    )
    assert client.get(query).text.splitlines()[-1].endswith(";2")  # CSV is always fresh
    again = client.get(page + "&fresh=1")
    assert "Посчитано в" in again.text and "Пересчитать" in again.text
    assert '<div class="panel-figure">2</div>' in again.text


def test_entering_the_panel_figures_shows_them_at_once(client, login_as):
    login_as("admin")
    assert "Показатели из панели ещё не вносились." in client.get("/stats/").text
    client.post("/stats/platform/new", data={**GOOD, "taken_on": local_today().isoformat()})
    assert "Показатели из панели ещё не вносились." not in client.get("/stats/").text


def test_without_a_cache_every_load_counts(client, login_as, app, monkeypatch):
    monkeypatch.setitem(app.config, "STATS_CACHE_SECONDS", 0)
    monkeypatch.setitem(app.config, "CHATS_BOARD_SECONDS", 0)
    login_as("head")
    client.get("/stats/")
    with counted() as again:
        client.get("/stats/")
    assert len(again) > 20
