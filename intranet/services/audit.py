"""The audit service: every privileged action records who did what to which object."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from intranet.extensions import db
from intranet.models import AuditEvent, User


def record(
    action: str,
    *,
    actor: User | None,
    obj: Any = None,
    summary: str = "",
    **data: Any,
) -> AuditEvent:
    """Append an audit event in the caller's transaction."""
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor is not None else None,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=getattr(obj, "id", None),
        summary=summary[:300],
        data={k: _jsonable(v) for k, v in data.items()},
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def browse_query(*, action: str = "", actor_id: int | None = None) -> Select:
    """Newest first, actors loaded with the page."""
    query = (
        select(AuditEvent)
        .options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    if actor_id:
        query = query.where(AuditEvent.actor_id == actor_id)
    return query
