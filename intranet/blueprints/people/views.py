"""Views: people."""

from flask import render_template
from flask_login import login_required

from intranet.blueprints.people import bp
from intranet.web import require


@bp.route("/")
@login_required
def index():
    require("people.list")
    return render_template("base.html")
