"""The one CSV export helper: Excel-friendly, and safe from spreadsheet formula injection."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from flask import Response
from flask_babel import gettext as _

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,120}")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value: Any) -> str:
    """A cell that a spreadsheet will show as text, never evaluate.

    Numbers are written as they are; text that could start a formula gets a leading
    apostrophe (OWASP's advice), so `=HYPERLINK(...)` or `-2+3` stay text.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float | Decimal):
        return str(value)
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Semicolon-separated text as Russian Excel opens it, with a BOM for UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return "\ufeff" + buffer.getvalue()


def attachment_disposition(filename: str) -> str:
    """Content-Disposition for a download: a plain ASCII name every browser keeps, and any
    other name (e.g. Cyrillic) as RFC 6266 filename*; quotes and line breaks cannot get in."""
    if _SAFE_NAME.fullmatch(filename):
        return f'attachment; filename="{filename}"'
    extension = filename.rsplit(".", 1)[1] if "." in filename else ""
    extension = re.sub(r"[^A-Za-z0-9]", "", extension)[:10] or "csv"
    return f"attachment; filename=\"export.{extension}\"; filename*=UTF-8''" + quote(
        filename, safe=""
    )


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A download of the table, safe to open in a spreadsheet."""
    body = to_csv(header, rows)
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = attachment_disposition(filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
