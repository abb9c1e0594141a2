"""Every events test runs in the app's rolled-back transaction, with empty feed caches (ids
repeat from one rolled-back test to the next)."""

import pytest

from intranet.i18n import forget_timezone
from intranet.services.events import serving as feeds


@pytest.fixture(autouse=True)
def _fresh_caches(app):
    feeds.clear_caches()
    forget_timezone()
    yield
    feeds.clear_caches()
    forget_timezone()
