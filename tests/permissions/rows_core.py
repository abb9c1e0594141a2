"""Matrix rows: home, sign-in, profile, language, audit log, the benchmark floor."""

from tests.permissions.matrix import Row, everyone

ROWS = [
    Row("GET", "/-/ping", everyone(200)),
    Row("GET", "/", everyone(200, anon=302)),
    Row("GET", "/login", everyone(302, anon=200)),
    # A signed-in user posting the form again is sent home; an empty form re-renders.
    Row("POST", "/login", everyone(302, anon=200)),
    Row("POST", "/logout", everyone(302)),
    Row("POST", "/logout-everywhere", everyone(302)),
    Row("GET", "/profile", everyone(200, anon=302)),
    # Fields left out of the form keep their saved values, so an empty post saves nothing new.
    Row("POST", "/profile", everyone(302)),
    Row("GET", "/profile/password", everyone(200, anon=302)),
    Row("POST", "/profile/password", everyone(200, anon=302), note="empty form: errors shown"),
    Row("POST", "/language", everyone(302), data={"locale": "en"}),
    Row("GET", "/admin/audit", everyone(403, anon=302, admin=200, head=200)),
    Row("GET", "/admin/audit.csv", everyone(403, anon=302, admin=200, head=200)),
]
