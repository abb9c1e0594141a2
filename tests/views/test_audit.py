"""The audit log page and its CSV export."""

from __future__ import annotations

import csv
import io
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from intranet.extensions import db
from intranet.services import audit


def record_events(actor, count: int, action: str = "person.created", summary: str = "Событие"):
    for n in range(count):
        audit.record(action, actor=actor, obj=actor, summary=f"{summary} {n}")
    db.session.commit()


@contextmanager
def counted_queries():
    statements: list[str] = []

    def _count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _count)


@pytest.mark.pg
def test_admin_sees_events_with_their_actor(client, login_as, make):
    admin = login_as("admin")
    actor = make.user("admin", last_name="Журналова", first_name="Вера")
    audit.record("person.roles_set", actor=actor, obj=admin, summary="Роли: куратор")
    audit.record("system.sweep", actor=None, summary="Ночная проверка")
    db.session.commit()
    page = client.get("/admin/audit")
    assert page.status_code == 200
    text = page.text
    assert "Журнал действий" in text
    assert "Журналова" in text
    assert "person.roles_set" in text
    assert "Роли: куратор" in text
    assert "система" in text.lower()  # an event without an actor
    assert text.index("Ночная проверка") < text.index("Роли: куратор"), "newest first"


def test_summary_is_escaped(client, login_as):
    admin = login_as("admin")
    audit.record("person.created", actor=admin, summary='<script>alert("x")</script>')
    db.session.commit()
    text = client.get("/admin/audit").text
    assert '<script>alert("x")' not in text
    assert "&lt;script&gt;" in text


@pytest.mark.pg
def test_the_log_is_paginated(client, login_as):
    admin = login_as("admin")
    record_events(admin, 53)
    first = client.get("/admin/audit")
    assert first.text.count("<tr>") - 1 == 50  # header row + 50 events
    assert "/admin/audit?page=2" in first.text  # the pager links to the next page
    assert "Событие 52" in first.text and "Событие 2 " not in first.text
    second = client.get("/admin/audit?page=2")
    assert second.status_code == 200
    assert second.text.count("<tr>") - 1 == 3
    assert "Событие 0" in second.text
    beyond = client.get("/admin/audit?page=99")
    assert beyond.status_code == 200  # an empty page, not an error
    assert client.get("/admin/audit?page=abc").status_code == 200


def test_filter_by_action(client, login_as):
    admin = login_as("admin")
    audit.record("person.created", actor=admin, summary="создан")
    audit.record("structure.group_created", actor=admin, summary="группа")
    db.session.commit()
    text = client.get("/admin/audit?action=structure.").text
    assert "группа" in text and "создан" not in text


def test_query_count_does_not_grow_with_rows(client, login_as, make):
    login_as("admin")
    actors = [make.user("admin") for _ in range(12)]
    record_events(actors[0], 2)
    with counted_queries() as few:
        assert client.get("/admin/audit").status_code == 200
    for actor in actors:
        record_events(actor, 3)
    with counted_queries() as many:
        assert client.get("/admin/audit").status_code == 200
    assert len(many) == len(few), (len(few), len(many))


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("admin", 200),
        ("head", 200),
        ("deputy", 403),
        ("tutor", 403),
        ("teacher", 403),
        ("student", 403),
        ("parent", 403),
    ],
)
def test_who_may_browse_and_export(client, login_as, role, status):
    login_as(role)
    assert client.get("/admin/audit").status_code == status
    assert client.get("/admin/audit.csv").status_code == status


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/admin/audit")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_csv_export_is_safe_from_formula_injection(client, login_as):
    head = login_as("head", last_name="=Директоров")
    audit.record("person.created", actor=head, summary='=HYPERLINK("http://evil.example","x")')
    audit.record("person.created", actor=head, summary="обычный; текст")
    db.session.commit()
    response = client.get("/admin/audit.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response.headers["Cache-Control"]
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff")), delimiter=";"))
    cells = [cell for row in rows[1:] for cell in row]
    assert '\'=HYPERLINK("http://evil.example","x")' in cells
    assert "обычный; текст" in cells
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert any(cell.startswith("'=Директоров") for cell in cells)
