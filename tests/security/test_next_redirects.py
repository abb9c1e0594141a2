"""`next` after signing in (and after switching language) only ever leads to a same-site path."""

from __future__ import annotations

from urllib.parse import unquote, urlencode, urljoin, urlsplit

import pytest

from intranet.web import safe_next

# Query strings as an attacker would put them into a link to the login page.
HOSTILE_QUERIES = [
    "next=//evil.example",
    "next=///evil.example",
    "next=/%5Cevil.example",
    "next=/\\evil.example",
    "next=%5C%5Cevil.example",
    "next=https://evil.example",
    "next=https%3A%2F%2Fevil.example%2F",
    "next=HTTPS://evil.example",
    "next=javascript:alert(1)",
    "next=JavaScript%3Aalert(1)",
    "next=data:text/html,x",
    "next=%2F%2Fevil.example",
    "next=/%2F%2Fevil.example",
    "next=%252F%252Fevil.example",
    "next=/%09/evil.example",
    "next=/%0A/evil.example",
    "next=%20//evil.example",
    "next=%01//evil.example",
    "next=%0B//evil.example",
    "next=/%0D%0ALocation:%20https://evil.example",
    "next=/%0D%0ASet-Cookie:%20intranet_session=x",
    "next=/%00//evil.example",
    "next=" + "/" * 3000 + "evil.example",
    "next=/" + "a" * 5000,
    "next=https://localhost.evil.example/",
    "next=//localhost@evil.example",
    "next=http:evil.example",
]
SAME_SITE = ["/people/?q=а", "/profile", "/structure/groups?page=2&sort=name", "/"]


def browser_target(location: str, base: str = "http://localhost/login") -> str:
    """Where a browser goes for this Location: it drops tabs and newlines, trims C0 controls
    and spaces at the ends and reads a backslash as a slash (WHATWG URL parsing)."""
    cleaned = location.strip("".join(chr(c) for c in range(0x21)))
    cleaned = cleaned.replace("\t", "").replace("\n", "").replace("\r", "")
    cleaned = cleaned.replace("\\", "/")
    return urljoin(base, cleaned)


def is_same_site(location: str) -> bool:
    parts = urlsplit(browser_target(location))
    return parts.scheme == "http" and parts.netloc == "localhost"


def test_browser_model_sees_the_classic_tricks():
    """The helper above would notice an off-site redirect (so the tests below can fail)."""
    for raw in ("//evil.example", "/\\evil.example", "/\t/evil.example", " //evil.example"):
        assert not is_same_site(raw)
    assert is_same_site("/people/?q=%D0%B0")


def login(client, user, query: str):
    return client.post(
        f"/login?{query}", data={"login": user.email, "password": "correct horse battery"}
    )


@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=lambda q: q[:40])
def test_login_never_redirects_off_site(client, make, query):
    user = make.password_user("student")
    response = login(client, user, query)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert is_same_site(location), location
    assert location == "/", f"a hostile next is dropped for the home page, got {location!r}"


@pytest.mark.parametrize("target", SAME_SITE)
def test_login_keeps_a_same_site_next(client, make, target):
    user = make.password_user("student")
    response = login(client, user, urlencode({"next": target}))
    assert response.status_code == 302
    assert unquote(response.headers["Location"]) == target


@pytest.mark.parametrize(
    "value", ["//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)"]
)
def test_language_switch_never_redirects_off_site(client, value):
    response = client.post("/language", data={"locale": "en", "next": value})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_language_switch_returns_to_the_page(client):
    response = client.post("/language", data={"locale": "en", "next": "/login?next=%2Fprofile"})
    assert response.headers["Location"] == "/login?next=%2Fprofile"


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "evil.example",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\x00",
        "\x01//evil.example",
        "/\x0b/evil.example",
        "/\x7f",
        "/" + "a" * 600,
        "https://evil.example",
        "javascript:alert(1)",
        "  //evil.example",
    ],
)
def test_safe_next_refuses(value):
    assert safe_next(value) is None


@pytest.mark.parametrize(
    "value", ["/", "/people/?q=а", "/structure/groups/12", "/a:b", "/@evil.example", "/x#y"]
)
def test_safe_next_keeps_paths(value):
    assert safe_next(value) == value
    assert is_same_site(value)
