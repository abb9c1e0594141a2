"""The permission matrix: a literal, hand-written table of route × method × subject → status.

Rows live in rows_<area>.py files beside this one, each a list named ROWS. A table computed
from the policy would prove nothing, so every expectation is written out by hand.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SUBJECTS = ("anon", "admin", "head", "deputy", "tutor", "teacher", "student", "parent")

PathSpec = str | Callable[[Any], str]


@dataclass(frozen=True)
class Row:
    method: str
    path: PathSpec
    expect: dict[str, int]
    note: str = ""
    data: dict = field(default_factory=dict)  # form fields for unsafe requests

    def __post_init__(self) -> None:
        missing = set(SUBJECTS) - set(self.expect)
        extra = set(self.expect) - set(SUBJECTS)
        if missing or extra:
            raise ValueError(
                f"{self.label()}: subjects missing {missing or ''} extra {extra or ''}"
            )

    def resolve(self, world: Any) -> str:
        return self.path(world) if callable(self.path) else self.path

    def label(self) -> str:
        path = self.path if isinstance(self.path, str) else f"<{self.note or 'object'}>"
        return f"{self.method} {path}"


def all_rows() -> list[Row]:
    """Every row from every rows_<area>.py module in this package."""
    import tests.permissions as package

    rows: list[Row] = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("rows_"):
            module = importlib.import_module(f"tests.permissions.{info.name}")
            rows.extend(module.ROWS)
    return rows


def everyone(status: int, **overrides: int) -> dict[str, int]:
    """Shorthand for writing a row: the same status for all, with named exceptions."""
    expect = {s: status for s in SUBJECTS}
    expect.update(overrides)
    return expect
