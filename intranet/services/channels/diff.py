"""Differences between two revisions, line by line and within changed lines (difflib).

The result is plain data (text segments marked kept, removed or added); the template
escapes every piece, so nothing in a revision can become markup on the review page.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from intranet.models import Revision

MAX_INLINE = 2000  # characters: longer changed lines are shown whole, not character by character


@dataclass
class Row:
    """One line of the comparison: kind is equal, delete, insert or replace."""

    kind: str
    old_no: int | None
    new_no: int | None
    old: list[tuple[str, str]] = field(default_factory=list)  # (mark, text): "" or "del"
    new: list[tuple[str, str]] = field(default_factory=list)  # (mark, text): "" or "ins"


@dataclass
class Comparison:
    old: Revision
    new: Revision
    title_changed: bool
    title: list[Row]
    rows: list[Row]
    settings: list[tuple[str, object, object]]  # (name, old value, new value) that differ

    @property
    def is_same(self) -> bool:
        return (
            not self.title_changed
            and not self.settings
            and all(r.kind == "equal" for r in self.rows)
        )


def compare(old: Revision, new: Revision) -> Comparison:
    """Compare two revisions: title, body lines, and the publication settings."""
    settings = [
        (name, getattr(old, name), getattr(new, name))
        for name in ("go_live_at", "expire_at", "is_mandatory")
        if getattr(old, name) != getattr(new, name)
    ]
    return Comparison(
        old=old,
        new=new,
        title_changed=old.title != new.title,
        title=lines([old.title], [new.title]),
        rows=lines(old.body.splitlines(), new.body.splitlines()),
        settings=settings,
    )


def lines(a: list[str], b: list[str]) -> list[Row]:
    rows: list[Row] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                text = a[i1 + k]
                rows.append(Row("equal", i1 + k + 1, j1 + k + 1, [("", text)], [("", text)]))
        elif tag == "delete":
            rows += [Row("delete", i + 1, None, [("del", a[i])], []) for i in range(i1, i2)]
        elif tag == "insert":
            rows += [Row("insert", None, j + 1, [], [("ins", b[j])]) for j in range(j1, j2)]
        else:
            for k in range(max(i2 - i1, j2 - j1)):
                i, j = i1 + k, j1 + k
                old_line = a[i] if i < i2 else None
                new_line = b[j] if j < j2 else None
                if old_line is None:
                    rows.append(Row("insert", None, j + 1, [], [("ins", new_line)]))
                elif new_line is None:
                    rows.append(Row("delete", i + 1, None, [("del", old_line)], []))
                else:
                    old_parts, new_parts = _inline(old_line, new_line)
                    rows.append(Row("replace", i + 1, j + 1, old_parts, new_parts))
    return rows


def _inline(a: str, b: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    if len(a) > MAX_INLINE or len(b) > MAX_INLINE:
        return [("del", a)], [("ins", b)]
    old: list[tuple[str, str]] = []
    new: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            old.append(("", a[i1:i2]))
            new.append(("", b[j1:j2]))
        else:
            if i2 > i1:
                old.append(("del", a[i1:i2]))
            if j2 > j1:
                new.append(("ins", b[j1:j2]))
    return old, new
