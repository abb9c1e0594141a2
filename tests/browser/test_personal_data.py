"""Personal data in the browser: the policy from the footer, one's own data page and its
download, the admins' overview — in Russian, accessible, at phone width."""

from __future__ import annotations

import io
import json
import zipfile

from bench.liveserver import demo_email
from tests.browser.support import PHONE, path_of
from tests.browser.test_roles import assert_accessible


def test_the_policy_is_reached_from_the_footer(browser_page, axe):
    page = browser_page(**PHONE)
    page.goto("/login")

    page.click("footer a[href='/privacy']")

    assert path_of(page) == "/privacy"
    assert "Редакции политики" in page.locator("article").inner_text()
    assert_accessible(axe, page)
    assert not page.console_errors, page.console_errors


def test_a_student_downloads_their_data_from_the_profile(browser_page, axe):
    page = browser_page("student", **PHONE)
    page.goto("/profile")
    page.click("a[href='/profile/personal-data']")
    assert path_of(page) == "/profile/personal-data"
    assert page.locator("h1").inner_text() == "Мои персональные данные"
    assert_accessible(axe, page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways at 390 px ({width} px)"

    with page.expect_download() as info:
        page.click("form[action='/profile/personal-data/export'] button")
    archive = zipfile.ZipFile(io.BytesIO(open(info.value.path(), "rb").read()))  # noqa: SIM115
    data = json.loads(archive.read("personal-data.json"))

    assert data["profile"]["email"] == demo_email("student")
    assert info.value.suggested_filename.startswith("personal-data-")
    assert not page.console_errors, page.console_errors


def test_the_admins_overview_is_accessible(browser_page, axe):
    page = browser_page("admin", viewport={"width": 1280, "height": 900})
    page.goto("/admin/personal-data")

    assert page.locator("h1").inner_text() == "Персональные данные"
    assert_accessible(axe, page)
    assert not page.console_errors, page.console_errors
