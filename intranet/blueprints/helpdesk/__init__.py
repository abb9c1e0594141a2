"""The help desk: requesters' forms and tickets, the public form, the admins' queue."""

from flask import Blueprint

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


@bp.app_template_global("helpdesk_banners")
def _banners() -> list[tuple[int, str]]:
    """Active incidents' banners for base.html (cached briefly per process)."""
    from intranet.services.helpdesk.incidents import banners

    return banners()


from intranet.blueprints.helpdesk import admin, content, views  # noqa: E402,F401
