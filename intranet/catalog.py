"""Translation catalogs: extract the UI strings, merge the Russian sources, compile.

Message ids are English; the Russian translations live in intranet/translations/ru/src/,
one .po file per area, so areas can be edited independently. `python -m intranet.catalog`
merges them into ru/LC_MESSAGES/messages.po and compiles messages.mo (make run does it).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

PACKAGE = Path(__file__).resolve().parent
TRANSLATIONS = PACKAGE / "translations"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
# Mail templates have a text part (.txt) beside the HTML one.
METHODS = [
    ("templates/**.html", "jinja2.ext:babel_extract"),
    ("templates/**.txt", "jinja2.ext:babel_extract"),
    ("**.py", "python"),
]
OPTIONS = {
    "templates/**.html": {"extensions": "jinja2.ext.do", "trimmed": "false"},
    "templates/**.txt": {"extensions": "jinja2.ext.do", "trimmed": "false"},
}


def extract() -> dict[str, tuple[str, ...]]:
    """Every translatable message id in the package, with where it is used."""
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(PACKAGE), method_map=METHODS, options_map=OPTIONS, keywords=KEYWORDS
    ):
        key = message if isinstance(message, str) else message[0]
        if not key:
            continue
        found.setdefault(key, []).append(f"{filename}:{lineno}")
    return {k: tuple(v) for k, v in found.items()}


def merged(locale: str = "ru") -> Catalog:
    """One catalog from the per-area source files of a locale."""
    catalog = Catalog(locale=locale, domain="messages", project="intranet", fuzzy=False)
    # Russian has three plural forms (1 заявка, 2 заявки, 5 заявок); Babel knows the rule.
    for source in sorted((TRANSLATIONS / locale / "src").glob("*.po")):
        with source.open("rb") as fh:
            part = read_po(fh, locale=locale)
        for message in part:
            if not message.id:
                continue
            existing = catalog.get(message.id)
            if existing is not None and existing.string != message.string:
                raise ValueError(f"{source.name}: {message.id!r} translated differently elsewhere")
            catalog.add(message.id, message.string, flags=message.flags)
    return catalog


def build(locale: str = "ru") -> Path:
    catalog = merged(locale)
    target = TRANSLATIONS / locale / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed over the old files, so a server or test run reading them
    # at this moment sees the old catalog or the new one, never half of one.
    for name, write in (
        ("messages.po", lambda fh: write_po(fh, catalog, width=100)),
        ("messages.mo", lambda fh: write_mo(fh, catalog)),
    ):
        temp = target / f".{name}.{os.getpid()}.tmp"
        with temp.open("wb") as fh:
            write(fh)
        os.replace(temp, target / name)
    return target / "messages.mo"


def missing(locale: str = "ru") -> dict[str, tuple[str, ...]]:
    """Message ids used in the code with no translation (or a fuzzy one)."""
    catalog = merged(locale)
    result = {}
    for key, where in extract().items():
        message = catalog.get(key)
        if (
            message is None
            or not message.string
            or "fuzzy" in message.flags
            or isinstance(message.string, tuple)
            and not all(message.string)
        ):
            result[key] = where
    return result


def add_missing(area: str, prefixes: list[str]) -> int:
    """Append untranslated ids used under these paths to src/<area>.po, to be filled in."""
    target = TRANSLATIONS / "ru" / "src" / f"{area}.po"
    gaps = {
        key: where
        for key, where in missing().items()
        if not prefixes or any(w.startswith(tuple(prefixes)) for w in where)
    }
    if not gaps:
        return 0
    catalog = Catalog(locale="ru")
    if target.exists():
        with target.open("rb") as fh:
            catalog = read_po(fh, locale="ru")
    plural_ids = _plural_ids()
    for key in sorted(gaps):
        msgid = plural_ids.get(key, key)
        catalog.add(msgid, ("", "", "") if isinstance(msgid, tuple) else "", locations=())
    with target.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, no_location=True)
    return len(gaps)


def _plural_ids() -> dict[str, tuple[str, str]]:
    ids = {}
    for _f, _l, message, _c, _x in extract_from_dir(
        str(PACKAGE), method_map=METHODS, options_map=OPTIONS, keywords=KEYWORDS
    ):
        if isinstance(message, tuple) and message[0]:
            ids[message[0]] = (message[0], message[1])
    return ids


def main(argv: list[str]) -> int:
    if argv and argv[0] == "add-missing":
        count = add_missing(argv[1], argv[2:])
        print(f"{count} new ids added to src/{argv[1]}.po")
        return 0
    if argv and argv[0] == "missing":
        gaps = missing()
        for key, where in sorted(gaps.items()):
            print(f"{where[0]}: {key!r}")
        return 1 if gaps else 0
    print(build())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
