"""Statistics tests start with empty figure and board caches: ids and dates repeat from one
rolled-back test to the next."""

import pytest

from intranet.services.chats import compliance
from intranet.services.stats import cache


@pytest.fixture(autouse=True)
def _fresh_figures():
    cache.clear()
    compliance.forget_college_board()
    yield
    cache.clear()
    compliance.forget_college_board()
