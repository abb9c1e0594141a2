"""Russian phone numbers: stored as +7XXXXXXXXXX, shown as +7 (XXX) XXX-XX-XX."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")
_ALLOWED = re.compile(r"^[\d\s()+\-.]{10,24}$")


def normalize_phone(raw: str | None) -> str | None:
    """The stored form, or None when the text is not a Russian mobile or city number."""
    if not raw:
        return None
    text = raw.strip()
    if not _ALLOWED.match(text):
        return None
    digits = "".join(_DIGITS.findall(text))
    if len(digits) == 11 and digits[0] in "78":
        digits = digits[1:]
    elif len(digits) != 10 or text.startswith("+"):
        return None
    if digits[0] not in "3489":  # Russian area and mobile codes start with 3, 4, 8 or 9
        return None
    return "+7" + digits


def format_phone(stored: str | None) -> str:
    if not stored or len(stored) != 12:
        return stored or ""
    d = stored[2:]
    return f"+7 ({d[0:3]}) {d[3:6]}-{d[6:8]}-{d[8:10]}"


def looks_like_phone(text: str) -> bool:
    return "@" not in text and sum(c.isdigit() for c in text) >= 10
