"""System channels: channel pages, announcements, review and publication."""

from flask import Blueprint

bp = Blueprint("channels", __name__)


@bp.record_once
def _labels(state) -> None:
    from intranet.blueprints.channels.labels import TEMPLATE_GLOBALS

    state.app.jinja_env.globals.update(TEMPLATE_GLOBALS)


from intranet.blueprints.channels import review_views, views  # noqa: E402,F401
