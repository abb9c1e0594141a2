"""Drafting: announcements and their immutable revisions; edits restart review; conflicts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import BinaryIO

from flask_babel import gettext as _

from intranet.extensions import db
from intranet.models import (
    Announcement,
    AnnouncementStatus,
    Audience,
    Channel,
    Revision,
    RoundKind,
    RoundState,
    User,
)
from intranet.models.base import fold, utcnow
from intranet.services import markdown, uploads
from intranet.services.channels import common, review, rounds
from intranet.services.errors import Conflict, PermissionDenied, ValidationFailed

TITLE_MAX = 200
BODY_MAX = 20_000
MANDATORY_AUDIENCES = (Audience.STAFF, Audience.EVERYONE)
S = AnnouncementStatus


@dataclass(frozen=True)
class Draft:
    """What the author writes: the text and the settings that go into a revision."""

    title: str
    body: str
    go_live_at: datetime | None = None
    expire_at: datetime | None = None
    is_mandatory: bool = False

    def same_as(self, revision: Revision) -> bool:
        return (
            self.title == revision.title
            and self.body == revision.body
            and self.go_live_at == revision.go_live_at
            and self.expire_at == revision.expire_at
            and self.is_mandatory == revision.is_mandatory
        )


@dataclass(frozen=True)
class Image:
    """An image attached from the form: appended to the body as Markdown."""

    stream: BinaryIO
    filename: str | None
    alt: str = ""


class EditConflict(Conflict):
    """Someone saved a newer revision since this editor opened the form."""

    def __init__(self, current: Revision, mine: Draft) -> None:
        super().__init__(
            _(
                "While you were editing, %(name)s saved a newer version. Nothing is lost: "
                "compare both and save again.",
                name=current.author.full_name,
            )
        )
        self.current = current
        self.mine = mine


def create(
    channel: Channel,
    draft: Draft,
    *,
    actor: User,
    image: Image | None = None,
    submit: bool = False,
) -> Announcement:
    """A new announcement with its first revision (and submitted for review, if asked)."""
    common.require(actor, "channels.draft", None)
    _check_channel(channel)
    draft = _checked(draft, channel)
    announcement = Announcement(
        channel=channel, author_id=actor.id, status=S.DRAFT, current_no=1, version=1
    )
    db.session.add(announcement)
    db.session.flush()
    draft = _with_image(announcement, draft, image, actor)
    _add_revision(announcement, 1, draft, actor)
    common.record("created", announcement, actor, title=draft.title, revision=1)
    if submit:
        review.submit(announcement, actor=actor)
    return announcement


def save(
    announcement: Announcement,
    draft: Draft,
    *,
    actor: User,
    base_no: int,
    channel: Channel | None = None,
    image: Image | None = None,
    submit: bool = False,
) -> Revision:
    """Save an edit as a new revision made on top of revision `base_no`.

    An edit made on an older revision raises EditConflict. In review, the edit restarts the
    review at stage 1 on the new revision; scheduled, it goes back to draft; published, it
    becomes a pending revision while the live one stays.
    """
    common.lock(announcement)
    common.require(actor, "channels.edit", announcement)
    current = common.revision(announcement)
    if base_no != announcement.current_no:
        raise EditConflict(current, draft)
    if channel is not None and channel.id != announcement.channel_id:
        if announcement.live_no is not None or announcement.status not in (
            S.DRAFT,
            S.CHANGES_REQUESTED,
        ):
            raise ValidationFailed(
                _("The channel can only be changed before the announcement is published."),
                "channel",
            )
        _check_channel(channel)
        announcement.channel = channel
        common.record("channel_changed", announcement, actor, channel=channel.name)
    target = channel or common.channel_of(announcement)
    if announcement.status is S.PUBLISHED:
        # The live item keeps its publication time; the pending text changes the rest.
        draft = replace(draft, go_live_at=announcement.go_live_at)
    draft = _checked(draft, target)
    draft = _with_image(announcement, draft, image, actor)
    # Saving unchanged text makes no revision, so it does not restart a review.
    revision = current if draft.same_as(current) else _new_revision(announcement, draft, actor)
    if submit and announcement.open_review is None:
        review.submit(announcement, actor=actor)
    return revision


def _new_revision(announcement: Announcement, draft: Draft, actor: User) -> Revision:
    number = announcement.current_no + 1
    revision = _add_revision(announcement, number, draft, actor)
    announcement.current_no = number
    was = announcement.status
    round_ = common.open_round(announcement) if announcement.open_review else None
    if round_ is not None and round_.kind is RoundKind.BEFORE:
        # Approvals count only for the revision they were given on: start again at stage 1.
        rounds.close(announcement, round_, RoundState.SUPERSEDED)
        common.flush()
        rounds.start(announcement, actor=actor, kind=RoundKind.BEFORE, restarted=True)
    elif was is S.SCHEDULED:
        announcement.status = S.DRAFT
        announcement.live_no = None
        announcement.go_live_at = None
        common.record("unscheduled", announcement, actor, revision=number)
    common.record("edited", announcement, actor, title=draft.title, revision=number, was=was.value)
    common.flush()
    return revision


def _add_revision(announcement: Announcement, number: int, draft: Draft, actor: User) -> Revision:
    revision = Revision(
        announcement=announcement,
        number=number,
        title=draft.title,
        body=draft.body,
        body_html=markdown.render(draft.body),
        search_key=fold(f"{draft.title}\n{draft.body}"),
        go_live_at=draft.go_live_at,
        expire_at=draft.expire_at,
        is_mandatory=draft.is_mandatory,
        author_id=actor.id,
    )
    db.session.add(revision)
    return revision


def _check_channel(channel: Channel) -> None:
    if channel.is_archived:
        raise ValidationFailed(_("This channel is archived: choose another one."), "channel")


def _checked(draft: Draft, channel: Channel) -> Draft:
    title = " ".join((draft.title or "").split())
    body = (draft.body or "").replace("\r\n", "\n").strip()
    if not title:
        raise ValidationFailed(_("Enter a title."), "title")
    if len(title) > TITLE_MAX:
        raise ValidationFailed(_("The title is too long."), "title")
    if not body:
        raise ValidationFailed(_("Write the text of the announcement."), "body")
    if len(body) > BODY_MAX:
        raise ValidationFailed(
            _("The text is too long: at most %(n)d characters.", n=BODY_MAX), "body"
        )
    now = utcnow()
    if draft.expire_at is not None:
        if draft.expire_at <= now:
            raise ValidationFailed(_("The removal time has already passed."), "expire_at")
        if draft.go_live_at is not None and draft.expire_at <= draft.go_live_at:
            raise ValidationFailed(
                _("The removal time must come after the publication time."), "expire_at"
            )
    if draft.is_mandatory and channel.audience not in MANDATORY_AUDIENCES:
        raise ValidationFailed(
            _("Only announcements in channels that staff read can require acknowledgement."),
            "is_mandatory",
        )
    return replace(draft, title=title, body=body)


def _with_image(
    announcement: Announcement, draft: Draft, image: Image | None, actor: User
) -> Draft:
    if image is None:
        return draft
    upload = uploads.store(
        image.stream,
        filename=image.filename,
        purpose="announcement",
        owner_id=announcement.id,
        actor=actor,
        allowed=uploads.IMAGES,
    )
    alt = " ".join((image.alt or "").split()).replace("[", "").replace("]", "")[:120]
    body = f"{draft.body}\n\n![{alt or upload.original_name}]({uploads.path_for(upload)})"
    if len(body) > BODY_MAX:
        raise ValidationFailed(_("The text is too long to add an image."), "body")
    return replace(draft, body=body)


def preview(source: str) -> str:
    """The live preview: the same renderer as the published page."""
    return markdown.render((source or "")[:BODY_MAX])


__all__ = ["Draft", "EditConflict", "Image", "PermissionDenied", "create", "preview", "save"]
