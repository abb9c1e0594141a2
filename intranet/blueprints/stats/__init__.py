"""Pages of the statistics for the head and the admins, and the platform's own figures."""

from flask import Blueprint

from intranet.services.events.labels import kind_label
from intranet.services.stats import EVENT_STATE_LABELS, EVENT_STATES, month_label, month_name

bp = Blueprint("stats", __name__)
bp.add_app_template_global(month_label, "stats_month")
bp.add_app_template_global(month_name, "stats_month_name")
bp.add_app_template_global(kind_label, "stats_event_kind")
bp.add_app_template_global(EVENT_STATES, "stats_event_states")
bp.add_app_template_global(EVENT_STATE_LABELS, "stats_event_state_labels")

from intranet.blueprints.stats import views  # noqa: E402,F401
