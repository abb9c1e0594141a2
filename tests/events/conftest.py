"""Empty feed caches around every events test: ids repeat from one rolled-back test to the
next. Modules that work in the rolled-back transaction say so with usefixtures("app");
test_concurrency.py runs on a database of its own instead."""

import pytest

from intranet.i18n import forget_timezone
from intranet.services.events import queries, serving


@pytest.fixture(autouse=True)
def _fresh_caches():
    serving.clear_caches()
    queries.PAGE_CACHE.clear()
    forget_timezone()
    yield
    serving.clear_caches()
    queries.PAGE_CACHE.clear()
    forget_timezone()
