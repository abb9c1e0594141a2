"""One check for each crash the hostile-input runs found, so each fix stays in place."""

from __future__ import annotations

import pytest

from intranet.bounds import coerce_id, id_from, optional_number
from intranet.services.events import ical
from intranet.web import link_url

HUGE = "99999999999999999999"


@pytest.mark.pg
def test_ids_past_32_bits_are_404_not_an_overflow(app, client, login_as):
    login_as("admin")
    for path in (f"/people/{HUGE}", f"/people/{2**31}", f"/admin/mail/{2**63}.eml"):
        assert client.get(path).status_code == 404
    assert client.get(f"/people/{2**31 - 1}").status_code == 404


@pytest.mark.pg
@pytest.mark.parametrize(
    "path",
    [
        f"/admin/audit?page={HUGE}",
        f"/people/?page={HUGE}&per_page={HUGE}",
        f"/helpdesk/queue?page={HUGE}&assignee={HUGE}&q={HUGE}",
        f"/movement/tutors/history?group={HUGE}&page={HUGE}",
        f"/movement/tutors?group={HUGE}",
        "/events/week?date=9999-12-31",
        "/events/agenda?from=9999-12-31",
        "/events/range.json?start=9999-12-30&end=9999-12-31",
        "/helpdesk/reports?start=9999-12-31&end=9999-12-31",
        "/helpdesk/reports.csv?start=0001-01-01&end=9999-12-31",
        "/stats/?start=9999-12-31&end=9999-12-31",
        "/stats/tickets.csv?start=9999-12-31&end=9999-12-31",
    ],
)
def test_huge_pages_ids_and_dates_in_the_query_string(app, client, login_as, path):
    login_as("admin")
    response = client.get(path)
    assert response.status_code in (200, 400), f"{path}: {response.status_code}"


def test_id_from():
    assert id_from("12") == 12 and id_from(7) == 7
    for bad in ("", "0", "-1", HUGE, str(2**31), "١٢", "1e3", None, True, 2**40):
        assert id_from(bad) is None


def test_coerce_id_and_optional_number():
    assert coerce_id("5") == 5
    for bad in ("0", "-3", HUGE, "x", ""):
        with pytest.raises(ValueError):
            coerce_id(bad)
    assert optional_number("-5") == -5 and optional_number("") is None
    assert optional_number(HUGE) is None and optional_number("x") is None


def test_parent_link_form_refuses_a_student_id_past_32_bits(app, client, login_as):
    """It was a 500 (OverflowError): the fuzzer's first find."""
    login_as("admin")
    response = client.post("/onboarding/parent-links/new", data={"student_id": str(2**64)})
    assert response.status_code in (200, 422)


def test_stored_links_are_http_only():
    assert link_url(" https://sferum.ru/?c=1 ") == "https://sferum.ru/?c=1"
    assert link_url("http://example.com") == "http://example.com"
    for bad in ("javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,x", "", None):
        assert link_url(bad) == "#"


def test_calendar_text_loses_control_characters():
    assert ical._plain("Экзамен\x00\x07\tА\nБ") == "Экзамен\tА\nБ"
    assert ical._plain(5) == 5


@pytest.mark.pg
def test_nul_bytes_in_queries_forms_and_upload_keys(app, client, login_as):
    """PostgreSQL refuses NUL in text: these were 500s there (SQLite stored the NUL)."""
    from sqlalchemy import select

    from intranet.extensions import db
    from intranet.models import Department

    login_as("admin")
    assert client.get("/uploads/a%00b").status_code == 404
    assert client.get("/uploads/" + "k" * 44).status_code == 404
    assert client.get("/helpdesk/queue?q=a%00b").status_code == 200
    assert client.get("/people/?q=%00").status_code == 200
    response = client.post("/structure/departments/new", data={"name": "Отде\x00ление связи"})
    assert response.status_code == 302
    names = db.session.scalars(select(Department.name)).all()
    assert "Отделение связи" in names


def test_invitation_mail_refuses_a_non_ascii_local_part(app, client):
    """It was a 500: the address passed the check, then the To header refused it."""
    from tests.hostile.support import become, build_routes
    from tests.onboarding.world import ob

    routes = build_routes(app)
    invitation = ob(routes.world).inv_admin
    become(client, routes.world, "admin")
    path = f"/onboarding/invitations/{invitation.id}/mail"
    response = client.post(path, data={"emails": "Ёжик@example.com"})
    assert response.status_code in (200, 400, 422)
    assert "Ёжик@example.com" in response.get_data(as_text=True)
    response = client.post(path, data={"emails": "anna@пример.рф"})
    assert response.status_code == 302
