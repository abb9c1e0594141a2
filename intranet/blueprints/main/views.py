"""Views: home, health."""

from flask import Response, abort, render_template, request
from flask_login import current_user, login_required

from intranet.blueprints.main import bp
from intranet.extensions import limiter
from intranet.services import home as home_service
from intranet.services.errors import NotFound


@bp.route("/")
@login_required
def home():
    child = request.args.get("child")  # a parent's child whose chats the page shows
    if child is not None and not child.isdigit():
        abort(404)
    try:
        panels = home_service.panels_for(current_user, child_id=int(child) if child else None)
    except NotFound:
        abort(404)
    return render_template("main/home.html", panels=panels)


@bp.route("/-/ping")
@limiter.exempt
def ping() -> Response:
    """Touches no session, database or template: the floor of every benchmark."""
    return Response("ok", mimetype="text/plain")
