"""Views: home, health."""

from flask import Response, render_template
from flask_login import current_user, login_required

from intranet.blueprints.main import bp
from intranet.extensions import limiter
from intranet.services import home as home_service


@bp.route("/")
@login_required
def home():
    return render_template("main/home.html", panels=home_service.panels_for(current_user))


@bp.route("/-/ping")
@limiter.exempt
def ping() -> Response:
    """Touches no session, database or template: the floor of every benchmark."""
    return Response("ok", mimetype="text/plain")
