"""Translations: every UI string has Russian, templates hold no untranslated Russian text,
Russian plurals have their three forms, Russian is the default and English switchable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import ngettext
from jinja2 import Environment

from intranet import catalog

TEMPLATES = catalog.PACKAGE / "templates"
SOURCES = catalog.TRANSLATIONS / "ru" / "src"
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
TRANSLATING = {"_", "gettext", "ngettext", "pgettext", "npgettext", "lazy_gettext"}
# Text that stays Russian in every interface language: a language's own name in the
# language switcher (so a reader of that language can find it).
ALLOWED = {"base.html": {"Русский"}}
_LEXER = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)  # only lexes


def untranslated_text(source: str, allowed: set[str] = frozenset()) -> list[tuple[int, str]]:
    """Russian text in a template outside {% trans %} blocks, and Russian string literals
    in expressions outside a gettext call: (line, text) for each."""
    found = []
    in_trans = False
    block: list[str] | None = None
    calls: list[str | None] = []
    previous_name = None
    for lineno, kind, value in _LEXER.lex(source):
        if kind == "block_begin":
            block = []
        elif kind == "name" and block is not None:
            block.append(value)
        elif kind == "block_end" and block is not None:
            word = block[0] if block else ""
            if word in ("trans", "pluralize"):
                in_trans = True
            elif word == "endtrans":
                in_trans = False
            block = None
        elif kind == "data" and not in_trans:
            text = value
            for word in allowed:
                text = text.replace(word, "")
            if CYRILLIC.search(text):
                found.append((lineno, " ".join(value.split())[:80]))
        elif kind == "operator" and value == "(":
            calls.append(previous_name)
        elif kind == "operator" and value == ")" and calls:
            calls.pop()
        elif (
            kind == "string" and CYRILLIC.search(value) and not (calls and calls[-1] in TRANSLATING)
        ):
            found.append((lineno, f"string {value[:80]!r}"))
        previous_name = value if kind == "name" else None
    return found


def test_every_ui_string_has_a_russian_translation():
    gaps = catalog.missing("ru")
    listing = "\n".join(f"{where[0]}: {key!r}" for key, where in sorted(gaps.items()))
    assert not gaps, (
        f"{len(gaps)} UI strings without Russian (fill src/<area>.po; "
        f"`python -m intranet.catalog add-missing <area> <paths>` lists them):\n{listing}"
    )


def test_templates_hold_no_untranslated_russian():
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) > 10
    problems = []
    for path in templates:
        name = path.relative_to(TEMPLATES).as_posix()
        for lineno, text in untranslated_text(path.read_text(), ALLOWED.get(name, set())):
            problems.append(f"templates/{name}:{lineno}: {text}")
    assert not problems, "Russian text outside {{ _() }} / {% trans %}:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("source", "bad"),
    [
        ("<p>Войти</p>", True),
        ('<input placeholder="Иванов">', True),
        ("{{ 'Привет' }}", True),
        ("{% set title = 'Люди' %}", True),
        ("{{ x or 'нет' }}", True),
        ("{# Комментарий для разработчиков #}<p>{{ _('Sign in') }}</p>", False),
        ("{{ _('Hello') }} {{ user.last_name }}", False),
        ("{% trans %}Привет{% endtrans %}", False),
        ("{% trans n=3 %}файл{% pluralize %}файлы{% endtrans %}<b>ок</b>", True),
        ("{{ ngettext('%(num)d file', '%(num)d files', n) }}", False),
        ("{{ _('Hello, %(name)s', name=user.name) }}", False),
    ],
)
def test_the_template_scanner_finds_what_it_should(source, bad):
    assert bool(untranslated_text(source)) is bad


def test_russian_plurals_have_three_forms():
    problems = []
    sources = sorted(SOURCES.glob("*.po"))
    assert sources
    for source in sources:
        with source.open("rb") as fh:
            part = read_po(fh, locale="ru")
        if part.num_plurals != 3:
            problems.append(f"{source.name}: the header says nplurals={part.num_plurals}")
        for message in part:
            if not message.id or not isinstance(message.id, tuple):
                continue
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            if len(forms) != 3 or not all(forms):
                problems.append(f"{source.name}: {message.id[0]!r} has {list(forms)}")
    assert not problems, "Russian plurals need 3 forms (1 заявка, 2 заявки, 5 заявок):\n" + (
        "\n".join(problems)
    )


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "1 студент"),
        (2, "2 студента"),
        (5, "5 студентов"),
        (11, "11 студентов"),
        (21, "21 студент"),
        (22, "22 студента"),
    ],
)
def test_plural_forms_are_chosen_by_the_russian_rule(app, count, expected):
    with app.test_request_context():
        assert ngettext("%(num)d student", "%(num)d students", count) == expected


def test_russian_is_the_default_and_english_can_be_chosen(client):
    page = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert 'lang="ru"' in page.text
    assert "Войти" in page.text
    switched = client.post("/language", data={"locale": "en", "next": "/login"})
    assert switched.status_code == 302
    english = client.get("/login")
    assert 'lang="en"' in english.text
    assert "Sign in" in english.text
    assert not CYRILLIC.search(english.text.replace("Русский", ""))
    client.post("/language", data={"locale": "ru", "next": "/login"})
    assert "Войти" in client.get("/login").text


def test_a_signed_in_user_keeps_the_language_of_the_profile(client, login_as):
    login_as("student", locale="en")
    assert 'lang="en"' in client.get("/profile").text
    client.post("/language", data={"locale": "ru"})
    assert 'lang="ru"' in client.get("/profile").text


def test_catalog_sources_are_not_merged_with_conflicts():
    """Two areas translating one id differently would make the build fail."""
    merged = catalog.merged("ru")
    assert merged.num_plurals == 3
    assert Path(catalog.build("ru")).exists()
