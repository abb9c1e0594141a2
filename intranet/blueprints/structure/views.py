"""Views: the college's structure."""

from flask import render_template
from flask_login import login_required

from intranet.blueprints.structure import bp
from intranet.web import require


@bp.route("/")
@login_required
def index():
    require("structure.manage")
    return render_template("base.html")


@bp.route("/groups")
@login_required
def groups():
    require("structure.manage")
    return render_template("base.html")


@bp.route("/groups/<int:group_id>")
@login_required
def group(group_id: int):
    require("structure.view")
    return render_template("base.html")
