"""Structure pages: the organisation profile, catalogs, study groups and their members."""

from flask import Blueprint

bp = Blueprint("structure", __name__)

from intranet.blueprints.structure import groups, views  # noqa: E402,F401
