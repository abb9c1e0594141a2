"""Reading a CSV file as people save it from Excel or an e-journal: UTF-8 or Windows-1251
(found out, not asked), comma, semicolon or tab, headers in Russian or English."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _

from intranet.models.base import fold
from intranet.services.errors import ValidationFailed

MAX_ROWS = 20000
MAX_CELL = 300
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FORMULA_GUARD = re.compile(r"^'(?=[=+\-@])")  # our own CSV exports protect cells like this
_HEADER_JUNK = re.compile(r"[\s_.\-*:]+")


@dataclass
class Table:
    """The file's rows as dicts keyed by our column names; `line` is the line in the file."""

    encoding: str
    delimiter: str
    columns: list[str]  # our names of the columns found
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was in; ValidationFailed for anything unreadable."""
    if not data.strip():
        raise ValidationFailed(_("The file is empty."), "file")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationFailed(
            _(
                "This is an Excel workbook, not CSV. In Excel choose «Save as» → «CSV (разделители — точка с запятой)»."
            ),
            "file",
        )
    if data.startswith(b"\xef\xbb\xbf"):
        return _checked(data, "utf-8-sig"), "UTF-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _checked(data, "utf-16"), "UTF-16"
    try:
        return _checked(data, "utf-8"), "UTF-8"
    except ValidationFailed:
        pass
    text = _checked(data, "cp1251")
    if not _looks_russian(text):
        raise ValidationFailed(_unreadable(), "file")
    return text, "Windows-1251"


def _unreadable() -> str:
    return _("The file's encoding is not recognised. Save it as CSV in UTF-8 or Windows-1251.")


def _checked(data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise ValidationFailed(_unreadable(), "file") from None
    if _CONTROL.search(text):
        raise ValidationFailed(_unreadable(), "file")
    return text


def _looks_russian(text: str) -> bool:
    """Windows-1251 decodes almost any bytes; text in another encoding (KOI8-R, Mac) comes out
    with capitals where lower case should be, or with symbols instead of letters."""
    text = text[:20000]  # a sample is enough, and a large file stays fast
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return True
    cyrillic = [c for c in letters if "\u0400" <= c <= "\u04ff"]
    if len(cyrillic) < 20:
        return len(cyrillic) == 0 or sum(c.isupper() for c in cyrillic) <= len(cyrillic) * 0.7
    odd = sum(1 for c in text if c in "ЂЃѓЉЊЌЋЏђљњќћџЎўЈҐЁЄЇІіґєјЅѕї¤¦§©«¬®°±µ¶·")
    upper = sum(c.isupper() for c in cyrillic)
    return upper <= len(cyrillic) * 0.6 and odd <= len(cyrillic) * 0.02


def sniff_delimiter(first_line: str) -> str:
    """Semicolon (Russian Excel), comma or tab: whichever the header line has most of."""
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ";"))
    return best if counts[best] else ";"


def header_key(text: str) -> str:
    return _HEADER_JUNK.sub(" ", fold(text.strip().strip('"').lstrip("\ufeff"))).strip()


def read_table(
    data: bytes,
    aliases: dict[str, tuple[str, ...]],
    required: tuple[tuple[str, ...], ...],
) -> Table:
    """Decode, split and map the header; `required` lists alternatives (e.g. ФИО, or
    surname and first name)."""
    text, encoding = decode(data)
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = sniff_delimiter(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ValidationFailed(_("The file has no header line."), "file") from None
    lookup = {header_key(alias): name for name, names in aliases.items() for alias in names}
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = lookup.get(header_key(cell))
        if name and name not in positions:
            positions[name] = index
    if not any(all(n in positions for n in option) for option in required):
        wanted = " / ".join(" + ".join(str(aliases[n][0]) for n in option) for option in required)
        raise ValidationFailed(
            _(
                "Required columns are missing: %(columns)s. Download the template to see "
                "the expected header.",
                columns=wanted,
            ),
            "file",
        )
    table = Table(encoding=encoding, delimiter=delimiter, columns=sorted(positions))
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(table.rows) >= MAX_ROWS:
                raise ValidationFailed(
                    _("The file has more than %(n)d rows; split it into parts.", n=MAX_ROWS),
                    "file",
                )
            values = {}
            for name, index in positions.items():
                cell = row[index] if index < len(row) else ""
                values[name] = _FORMULA_GUARD.sub("", cell.strip())[:MAX_CELL]
            table.rows.append((reader.line_num, values))
    except csv.Error as error:
        raise ValidationFailed(
            _("The file is not valid CSV near line %(n)d.", n=reader.line_num), "file"
        ) from error
    if not table.rows:
        raise ValidationFailed(_("The file has a header but no rows."), "file")
    return table
