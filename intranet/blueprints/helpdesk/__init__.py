"""The help desk: requesters' forms and tickets, the public form, the admins' queue."""

from datetime import datetime

from flask import Blueprint, g

from intranet.i18n import local_zone
from intranet.services.helpdesk import categories

bp = Blueprint("helpdesk", __name__)

# Prefixed: other areas have labels of the same names (an event's category, for one).
for _name, _func in {
    "category_label": categories.category_label,
    "status_label": categories.status_label,
    "priority_label": categories.priority_label,
    "answer_label": categories.answer_label,
    "question_label": categories.question_label,
}.items():
    bp.add_app_template_global(_func, f"hd_{_name}")


bp.add_app_template_global(categories.STATUS_CSS, "hd_status_css")
bp.add_app_template_global(categories.PRIORITY_CSS, "hd_priority_css")


@bp.app_template_filter("hd_when")
def _when(value: datetime | None) -> str:
    """ДД.ММ.ГГГГ ЧЧ:ММ in the college's zone; Babel's formatter costs ten times as much, and
    the queue shows a hundred of these."""
    if value is None:
        return ""
    zone = g.get("_hd_zone")
    if zone is None:
        zone = g._hd_zone = local_zone()
    return value.astimezone(zone).strftime("%d.%m.%Y %H:%M")


@bp.app_template_global("helpdesk_banners")
def _banners() -> list[tuple[int, str]]:
    """Active incidents' banners for base.html (cached briefly per process)."""
    from intranet.services.helpdesk.incidents import banners

    return banners()


from intranet.blueprints.helpdesk import admin, content, views  # noqa: E402,F401
