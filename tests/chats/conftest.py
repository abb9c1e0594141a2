"""Chats tests start with no kept college board: ids and dates repeat between tests."""

from __future__ import annotations

import pytest

from intranet.services.chats import compliance


@pytest.fixture(autouse=True)
def _no_kept_board():
    compliance.forget_college_board()
    yield
    compliance.forget_college_board()
