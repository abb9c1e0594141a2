"""Views: one calendar feed by its token (GET/HEAD; 304 when the client's copy is current)."""

from flask import Response, request
from werkzeug.http import http_date

from intranet.blueprints.feeds import bp
from intranet.extensions import limiter
from intranet.services import events as events_service
from intranet.services.errors import NotFound


@bp.route("/<token>.ics")
@limiter.exempt
def serve(token: str) -> Response:
    try:
        result = events_service.answer(
            token,
            if_none_match=request.if_none_match,
            if_modified_since=request.if_modified_since,
        )
    except NotFound:
        return Response("Not found\n", status=404, mimetype="text/plain")
    headers = {
        "ETag": result.etag,
        "Last-Modified": http_date(result.last_modified),
        # Calendar apps keep the copy and ask again with If-None-Match; proxies must not.
        "Cache-Control": "private, no-cache",
    }
    if result.status == 304:
        return Response(status=304, headers=headers)
    headers["Content-Disposition"] = 'inline; filename="calendar.ics"'
    return Response(result.body, headers=headers, content_type="text/calendar; charset=utf-8")
