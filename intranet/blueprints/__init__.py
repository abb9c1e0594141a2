"""Blueprints, one per area, registered explicitly."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from intranet.blueprints.admin import bp as admin_bp
    from intranet.blueprints.auth import bp as auth_bp
    from intranet.blueprints.channels import bp as channels_bp
    from intranet.blueprints.chats import bp as chats_bp
    from intranet.blueprints.councils import bp as councils_bp
    from intranet.blueprints.documents import bp as documents_bp
    from intranet.blueprints.events import bp as events_bp
    from intranet.blueprints.feeds import bp as feeds_bp
    from intranet.blueprints.helpdesk import bp as helpdesk_bp
    from intranet.blueprints.imports import bp as imports_bp
    from intranet.blueprints.mail import bp as mail_bp
    from intranet.blueprints.main import bp as main_bp
    from intranet.blueprints.movement import bp as movement_bp
    from intranet.blueprints.onboarding import bp as onboarding_bp
    from intranet.blueprints.people import bp as people_bp
    from intranet.blueprints.personal_data import bp as personal_data_bp
    from intranet.blueprints.stats import bp as stats_bp
    from intranet.blueprints.structure import bp as structure_bp
    from intranet.blueprints.uploads import bp as uploads_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(people_bp, url_prefix="/people")
    app.register_blueprint(personal_data_bp)
    app.register_blueprint(structure_bp, url_prefix="/structure")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(mail_bp, url_prefix="/admin/mail")
    app.register_blueprint(helpdesk_bp, url_prefix="/helpdesk")
    app.register_blueprint(events_bp, url_prefix="/events")
    app.register_blueprint(feeds_bp, url_prefix="/feeds")
    app.register_blueprint(channels_bp)
    app.register_blueprint(uploads_bp)
    app.register_blueprint(onboarding_bp)
    app.register_blueprint(movement_bp, url_prefix="/movement")
    app.register_blueprint(documents_bp, url_prefix="/documents")
    app.register_blueprint(councils_bp, url_prefix="/councils")
    app.register_blueprint(chats_bp, url_prefix="/chats")
    app.register_blueprint(imports_bp, url_prefix="/imports")
    app.register_blueprint(stats_bp, url_prefix="/stats")
