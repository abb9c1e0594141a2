"""Views: one stored file, as an attachment, after the policy allowed it."""

from __future__ import annotations

from flask import abort, send_file
from flask_login import current_user

from intranet import policy
from intranet.blueprints.uploads import bp
from intranet.services import uploads


@bp.route("/uploads/<key>")
def serve(key: str):
    """Only those allowed get the bytes; anyone else gets 404, not a hint that it exists."""
    upload = uploads.by_key(key)
    if upload is None:
        abort(404)
    if not (policy.upload_is_public(upload) or policy.can(current_user, "uploads.view", upload)):
        abort(404)
    try:
        path = uploads.file_path(upload)
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=upload.content_type,
        as_attachment=True,
        download_name=upload.original_name,
        etag=upload.sha256,
        conditional=True,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Cookie")
    return response
