"""The help desk in a real browser: a student files a ticket with a screenshot from a phone,
an admin answers it and forwards it to the vendor after reviewing the message, the student
reads the answer; every page accessible (axe-core) and without sideways scrolling at 390 px."""

from __future__ import annotations

import re

import pytest

from tests.browser import support
from tests.browser.support import PHONE, path_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
SUBJECT = "Звонок обрывается на паре по ОП.01"


def check(page, axe, name: str, artifacts, **options) -> None:
    support.check(page, axe, f"helpdesk-{name}", artifacts, **options)


def test_student_files_admin_answers_and_escalates(browser_page, axe, artifacts, tmp_path):
    shot = tmp_path / "звонок.png"
    shot.write_bytes(PNG)

    student = browser_page("student", **PHONE)
    student.goto("/helpdesk/new")
    check(student, axe, "choose", artifacts)
    student.click("text=Звонки и видеоуроки")
    assert path_of(student) == "/helpdesk/new/calls"
    check(student, axe, "form", artifacts)
    student.fill("input[name=subject]", SUBJECT)
    student.fill(
        "textarea[name=description]", "Через минуту после начала звонок обрывается у всей группы."
    )
    student.select_option("select[name=q_platform]", "vk")
    student.select_option("select[name=q_device]", "android")
    student.fill("input[name=q_app_version]", "25.4.1")
    student.set_input_files("input[name=files]", str(shot))
    student.check("input[name=consent_vendor]")
    with student.expect_navigation():
        student.click("#content form button[type=submit]")
    assert re.fullmatch(r"/helpdesk/tickets/\d+", path_of(student)), student.url
    number = re.search(r"HD-\d{4}-\d{5}", student.locator("h1").inner_text()).group(0)
    assert student.locator("a[download]", has_text="звонок.png").count() == 1
    check(student, axe, "student-ticket", artifacts)
    ticket_path = path_of(student)

    admin = browser_page("admin", **PHONE)
    admin.goto(f"/helpdesk/queue?q={number}")
    check(admin, axe, "queue", artifacts)
    with admin.expect_navigation():
        admin.click(f"text={number}")
    check(admin, axe, "admin-ticket", artifacts)
    admin.select_option("select#canned", index=0)
    admin.click("form[data-canned-target] button[type=submit]")  # the JS inserts the text
    assert admin.input_value("textarea[name=body]").strip(), "the canned reply was not inserted"
    admin.fill("textarea[name=body]", "Проверяем. Пришлите, пожалуйста, время последнего обрыва.")
    with admin.expect_navigation():
        admin.click("form[action$='/answer'] button[type=submit]")
    assert admin.locator("text=Проверяем. Пришлите, пожалуйста").count() == 1

    with admin.expect_navigation():
        admin.click("text=Передать разработчику…")
    check(admin, axe, "escalate", artifacts)
    admin.fill(
        "textarea[name=steps_taken]", "Проверили на трёх устройствах, переустановили приложение."
    )
    with admin.expect_navigation():
        admin.click("button[name=preview]")
    body = admin.locator("#forward-body").inner_text()
    assert "Проверили на трёх устройствах" in body and number in body
    assert "звонок.png" in admin.locator(".card-header").inner_text()
    with admin.expect_navigation():
        admin.click("button[name=confirm]")
    assert "передано в техподдержку" in admin.locator(".alert-success").inner_text().lower()
    assert admin.locator("text=ждёт отправки").count() == 1

    student.goto(ticket_path)
    assert student.locator("text=Проверяем. Пришлите, пожалуйста").count() == 1
    assert student.locator("text=передано в техподдержку платформы").count() == 1
    assert student.locator("text=Проверили на трёх устройствах").count() == 0  # staff only


def test_public_form_on_a_phone(browser_page, axe, artifacts):
    page = browser_page(**PHONE)
    page.goto("/helpdesk/new")
    page.click("text=Регистрация через VK ID или Госуслуги")
    check(page, axe, "public-form", artifacts)
    page.fill("input[name=contact_name]", "Петрова Галина Ивановна")
    page.fill("input[name=contact_phone]", "8 912 000-11-22")
    page.fill("input[name=subject]", "Не могу зарегистрироваться")
    page.fill("textarea[name=description]", "После Госуслуг белый экран.")
    page.check("input[name=consent_personal_data]")
    page.wait_for_timeout(3500)  # a person takes longer than the form's minimum fill time
    with page.expect_navigation():
        page.click("#content form button[type=submit]")
    assert path_of(page).startswith("/helpdesk/t/"), page.url
    assert "зарегистрировано" in page.locator(".alert-success").inner_text()
    check(page, axe, "public-ticket", artifacts)
