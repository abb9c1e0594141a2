"""Builders for channel tests: channels with stages, announcements taken through the workflow."""

from __future__ import annotations

from datetime import timedelta

from intranet.extensions import db
from intranet.models import Announcement, Audience, Channel, Role, User
from intranet.models.base import utcnow
from intranet.services.channels import drafting, manage, publication, review
from intranet.services.channels.manage import StageSpec


def channel(
    admin: User,
    name: str | None = None,
    *,
    audience: Audience = Audience.EVERYONE,
    stages: list[StageSpec] | None = None,
    group_ids: list[int] | None = None,
    group_students: bool = True,
    group_parents: bool = False,
) -> Channel:
    """A channel made through the service (an admin acts); stages default to deputy then head."""
    data = manage.ChannelData(
        name=name or f"Канал {utcnow().timestamp()}",
        description="",
        audience=audience,
        stages=stages or [StageSpec(role=Role.DEPUTY), StageSpec(role=Role.HEAD)],
        group_ids=group_ids or [],
        group_students=group_students,
        group_parents=group_parents,
    )
    made = manage.create_channel(data, actor=admin)
    db.session.commit()
    return made


def draft(
    author: User,
    target: Channel,
    title: str = "Собрание",
    body: str = "Собрание в **актовом зале**.",
    *,
    submit: bool = False,
    go_live_in: timedelta | None = None,
    expire_in: timedelta | None = None,
    is_mandatory: bool = False,
) -> Announcement:
    now = utcnow()
    made = drafting.create(
        target,
        drafting.Draft(
            title=title,
            body=body,
            go_live_at=now + go_live_in if go_live_in is not None else None,
            expire_at=now + expire_in if expire_in is not None else None,
            is_mandatory=is_mandatory,
        ),
        actor=author,
        submit=submit,
    )
    db.session.commit()
    return made


def edit(author: User, a: Announcement, title: str | None = None, body: str | None = None):
    current = drafting.common.revision(a)
    revision = drafting.save(
        a,
        drafting.Draft(
            title=title or current.title,
            body=body or current.body + "\n\nИзменено.",
            go_live_at=current.go_live_at,
            expire_at=current.expire_at,
            is_mandatory=current.is_mandatory,
        ),
        actor=author,
        base_no=a.current_no,
    )
    db.session.commit()
    return revision


def submit(actor: User, a: Announcement) -> None:
    review.submit(a, actor=actor)
    db.session.commit()


def approve(actor: User, a: Announcement) -> None:
    review.approve(a, actor=actor, revision_no=a.current_no if not a.live_no else _round_rev(a))
    db.session.commit()


def _round_rev(a: Announcement) -> int:
    round_ = drafting.common.open_round(a)
    return round_.revision_no if round_ else a.current_no


def published(author: User, target: Channel, approvers: list[User], **kwargs) -> Announcement:
    """An announcement taken through every stage to publication."""
    a = draft(author, target, submit=True, **kwargs)
    for person in approvers:
        review.approve(a, actor=person, revision_no=_round_rev(a))
        db.session.commit()
    return a


def publish_due(now=None) -> int:
    count = publication.publish_due(now=now)
    db.session.commit()
    return count


def bulk_published(target: Channel, author: User, count: int, title: str = "Новость") -> None:
    """Published announcements written straight to the tables (for volume tests)."""
    from intranet.models import AnnouncementStatus, Revision
    from intranet.models.base import fold
    from intranet.services import markdown

    now = utcnow()
    for n in range(count):
        body = f"Текст новости номер {n}: **важно** — приходите."
        item = Announcement(
            channel_id=target.id,
            author_id=author.id,
            status=AnnouncementStatus.PUBLISHED,
            current_no=1,
            live_no=1,
            published_at=now - timedelta(minutes=count - n),
        )
        db.session.add(item)
        db.session.flush()
        db.session.add(
            Revision(
                announcement_id=item.id,
                number=1,
                title=f"{title} {n}",
                body=body,
                body_html=markdown.render(body),
                search_key=fold(f"{title} {n}\n{body}"),
                author_id=author.id,
            )
        )
    db.session.commit()
