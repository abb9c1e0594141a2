"""Statistics tests start with an empty figures cache: ids and dates repeat from one
rolled-back test to the next."""

import pytest

from intranet.services.stats import cache


@pytest.fixture(autouse=True)
def _fresh_figures():
    cache.clear()
    yield
    cache.clear()
