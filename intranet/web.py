"""Request glue: the login manager, safe redirects and what every template can use."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, Request, abort, current_app, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict, iter_multi_items
from werkzeug.routing import IntegerConverter

from intranet import policy
from intranet.bounds import MAX_ID
from intranet.extensions import login_manager
from intranet.services import accounts


class BoundedIntegerConverter(IntegerConverter):
    """<int:...> ids: a number past the ids' 32-bit range matches no route (404) instead of
    overflowing in the query (SQLite's OverflowError, PostgreSQL's integer out of range)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class _WithoutNul(ImmutableMultiDict):
    """Query-string and form values without NUL characters: no text anyone types holds one,
    and PostgreSQL refuses them in text (a 500 for any form or search given %00)."""

    def __init__(self, mapping=None):
        if mapping is not None:
            mapping = [
                (_drop_nul(key), _drop_nul(value)) for key, value in iter_multi_items(mapping)
            ]
        super().__init__(mapping)


def _drop_nul(value):
    return value.replace("\x00", "") if isinstance(value, str) else value


class IntranetRequest(Request):
    parameter_storage_class = _WithoutNul


def link_url(value: str | None) -> str:
    """A stored address for href: http(s) only. The forms already refuse anything else; this
    keeps a javascript: or data: address that got into the database some other way (an old
    row, an import) from becoming a link that runs."""
    text = (value or "").strip()
    scheme = urlsplit(text).scheme.lower() if text else ""
    return text if scheme in ("http", "https") else "#"


def init_app(app: Flask) -> None:
    # Before the blueprints are registered: their rules take the converter when added.
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.request_class = IntranetRequest
    app.jinja_env.filters["link_url"] = link_url
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load_user(user_id: str):
        # The login manager is module-global and keeps the last loader registered, so the
        # settings come from the app serving the request, not from the one registering it.
        config = current_app.config
        return accounts.load_session_user(
            user_id,
            session.get("sid"),
            lifetime=config["PERMANENT_SESSION_LIFETIME"],
            idle=config.get("SESSION_IDLE_TIMEOUT"),
            touch_every=config.get("SESSION_TOUCH_SECONDS", 60),
        )

    from intranet.labels import TEMPLATE_GLOBALS

    app.jinja_env.globals.update(TEMPLATE_GLOBALS, can=_can_current, nav_items=nav_items)

    @app.context_processor
    def _bound_can() -> dict:
        # Templates ask `can` once a row; bind it to the user object, not the proxy.
        user = current_user._get_current_object()
        return {"can": lambda action, obj=None: policy.can(user, action, obj)}


def _can_current(action: str, obj=None) -> bool:
    return policy.can(current_user, action, obj)


def safe_next(target: str | None) -> str | None:
    """A same-site path to go to after signing in, or None for anything else."""
    if not target or len(target) > 500:
        return None
    target = target.strip()
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    # Browsers drop tabs and newlines and read a backslash as a slash, so "/<tab>/x" and
    # "/\x" both lead to "//x"; no legitimate path holds a control character either.
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def require(action: str, obj=None) -> None:
    """Abort with 403 unless the current user may do this (views only)."""
    if not policy.can(current_user, action, obj):
        abort(403)


# Navigation: (endpoint, label, action needed). The policy decides what each role sees.
# Navigation: (endpoint, label, action needed), some under a menu of their own so that a
# college leader's dozen entries fit a laptop's width. The policy decides what each role
# sees; a menu with a single entry left is shown as that entry.
NAV: list = [
    ("main.home", _l("Home"), "home.view"),
    ("channels.index", _l("Channels"), "channels.read"),
    ("events.month", _l("Events"), "events.view"),
    ("chats.index", _l("Chats"), "chats.view"),
    ("helpdesk.index", _l("Help desk"), "helpdesk.file"),
    (
        _l("College"),
        [
            ("people.index", _l("People"), "people.list"),
            ("structure.index", _l("Structure"), "structure.manage"),
            ("onboarding.invitations", _l("Invitations"), "onboarding.invitations"),
            ("onboarding.admins", _l("Administrators"), "admins.appoint_main"),
            ("movement.index", _l("Movement"), "movement.view"),
            ("documents.index", _l("Documents"), "documents.view"),
            ("councils.index", _l("Councils and clubs"), "councils.view"),
        ],
    ),
    (
        _l("Management"),
        [
            ("stats.index", _l("Statistics"), "stats.view"),
            ("admin.audit", _l("Audit log"), "audit.view"),
            ("personal_data.overview", _l("Personal data"), "personal_data.oversee"),
            ("mail.index", _l("Mail"), "mail.manage"),
        ],
    ),
]


@dataclass(frozen=True)
class NavItem:
    """A link of the main navigation, or a menu of links (`children`)."""

    label: str
    endpoint: str = ""
    children: tuple[NavItem, ...] = ()

    @property
    def area(self) -> str:
        return self.endpoint.split(".")[0]

    @property
    def areas(self) -> frozenset[str]:
        return frozenset(child.area for child in self.children) | {self.area}


def nav_items() -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    from flask import current_app

    registered = current_app.view_functions
    user = current_user._get_current_object()

    def links(entries) -> list[NavItem]:
        return [
            NavItem(str(label), endpoint)
            for endpoint, label, action in entries
            if endpoint in registered and policy.can(user, action)
        ]

    items: list[NavItem] = []
    for entry in NAV:
        if isinstance(entry[1], list):
            children = links(entry[1])
            if len(children) > 1:
                items.append(NavItem(str(entry[0]), children=tuple(children)))
            else:
                items.extend(children)
        else:
            items.extend(links([entry]))
    return items
