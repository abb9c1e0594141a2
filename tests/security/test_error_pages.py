"""Error pages (403, 404, 405, 413, 500) in the site's style, in Russian, with the headers,
and with nothing of the server's insides."""

from __future__ import annotations

import pytest

from tests.security.support import extra_app
from tests.security.test_headers_crawl import inline_problems


def assert_site_page(response, code: int, heading: str) -> None:
    assert response.status_code == code
    assert response.mimetype == "text/html"
    text = response.get_data(as_text=True)
    assert 'lang="ru"' in text
    assert "Колледж · Интранет" in text  # the site's navigation bar and footer
    assert "/static/css/app.css" in text and "bootstrap" in text
    assert heading in text
    assert "На главную" in text
    assert "Traceback" not in text and "Werkzeug" not in text
    assert not inline_problems(text)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_404(client, login_as):
    assert_site_page(client.get("/no-such-page"), 404, "Страница не найдена")
    login_as("student")
    assert_site_page(client.get("/structure/groups/999999"), 404, "Страница не найдена")


def test_403(client, login_as):
    login_as("student")
    assert_site_page(client.get("/admin/audit"), 403, "Доступ запрещён")


def test_405(client, login_as):
    login_as("student")
    assert_site_page(client.get("/logout"), 405, "Метод не поддерживается")


@pytest.mark.parametrize("field", ["login", "password"])
def test_413_on_a_form_larger_than_allowed(app, client, monkeypatch, field):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    response = client.post("/login", data={"login": "a@example.test", field: "x" * 10_000})
    assert_site_page(response, 413, "Файл слишком большой")


def test_413_with_the_default_limit(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit and limit <= 50 * 1024 * 1024
    response = client.post(
        "/login", data=b"x" * (limit + 1), content_type="application/x-www-form-urlencoded"
    )
    assert_site_page(response, 413, "Файл слишком большой")


def test_500_page_for_an_unhandled_error(app, caplog):
    with extra_app(app, {"TESTING": False}) as production_like:

        @production_like.route("/-/test-crash")
        def crash():
            raise RuntimeError("secret internal detail")

        response = production_like.test_client().get("/-/test-crash")
    assert_site_page(response, 500, "Что-то пошло не так")
    assert "secret internal detail" not in response.get_data(as_text=True)
    assert "secret internal detail" in caplog.text  # logged for the administrators
