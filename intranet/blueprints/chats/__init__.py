"""Pages of the chats registry: the chats tutors, teachers and the head keep (§2.2–2.4)."""

from flask import Blueprint

from intranet.services.chats import chat_kind_label, chat_status_label

bp = Blueprint("chats", __name__)
bp.add_app_template_global(chat_kind_label)
bp.add_app_template_global(chat_status_label)

from intranet.blueprints.chats import views  # noqa: E402,F401
