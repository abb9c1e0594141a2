"""The CSV export helper: formula injection, numbers, BOM, separators, file names."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from intranet.services.csvexport import attachment_disposition, csv_response, safe_cell, to_csv


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        '=HYPERLINK("http://evil.example","x")',
        "+7 912 345-67-89",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
        "\n=1+1",
        "\uff1d1+1",  # full-width equals sign (＝), which spreadsheets fold to '='
        "\uff0b1",
        "\uff0d1",
        "\uff20SUM(A1)",
        "=cmd|' /C calc'!A0",
    ],
)
def test_text_that_could_start_a_formula_gets_an_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (42, "42"),
        (-5, "-5"),
        (3.5, "3.5"),
        (-0.25, "-0.25"),
        (Decimal("-12.50"), "-12.50"),
        (0, "0"),
        (None, ""),
        ("Иванов Иван", "Иванов Иван"),
        ("a=b", "a=b"),  # only the first character matters
        ("", ""),
    ],
)
def test_numbers_and_plain_text_are_kept(value, expected):
    assert safe_cell(value) == expected


def test_booleans_are_words_in_the_interface_language(app):
    with app.test_request_context():
        assert safe_cell(True) == "да"
        assert safe_cell(False) == "нет"


def test_table_has_a_bom_semicolons_and_quoting():
    body = to_csv(
        ["ФИО", "Комментарий"],
        [["Иванов; Пётр", 'сказал "да"'], ["=1+1", 7], ["много\nстрок", None]],
    )
    assert body.startswith("\ufeff")
    assert body.count("\ufeff") == 1
    lines = body.removeprefix("\ufeff").split("\r\n")
    assert lines[0] == "ФИО;Комментарий"
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff")), delimiter=";"))
    assert rows == [
        ["ФИО", "Комментарий"],
        ["Иванов; Пётр", 'сказал "да"'],
        ["'=1+1", "7"],
        ["много\nстрок", ""],
    ]


def test_header_cells_are_made_safe_too():
    assert to_csv(["=evil"], []).removeprefix("\ufeff") == "'=evil\r\n"


def test_response_is_a_download(app):
    with app.test_request_context():
        response = csv_response("people.csv", ["a"], [[1]])
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="people.csv"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_data(as_text=True) == "\ufeffa\r\n1\r\n"


@pytest.mark.parametrize(
    "name", ["группа ИСП-24-1.csv", 'a"; filename="evil.html', "x\r\nSet-Cookie: a=b.csv"]
)
def test_any_file_name_gives_a_safe_ascii_header(app, name):
    value = attachment_disposition(name)
    value.encode("latin-1")  # what a WSGI server will send
    assert "\r" not in value and "\n" not in value
    assert value.startswith('attachment; filename="export.')
    assert value.count('"') == 2
    assert "filename*=UTF-8''" in value
    with app.test_request_context():
        response = csv_response(name, ["a"], [])
    assert response.headers["Content-Disposition"] == value
