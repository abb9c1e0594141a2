"""The channel objects of the permission matrix, built on first use for each cell.

The matrix world (tests/permissions/world.py) holds people and groups; announcements in their
states are costly, so a row asks only for the one it needs: `channel_world(w).review`.
"""

from __future__ import annotations

import io
from functools import cached_property

from intranet.extensions import db
from intranet.models import Audience, Role
from intranet.services import uploads
from intranet.services.channels import drafting, manage, review
from tests.permissions.world import World

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class ChannelWorld:
    """Channels and announcements owned by the world's subjects: the teacher writes them."""

    def __init__(self, w: World) -> None:
        self.w = w

    def _channel(self, name, audience, stages, **extra):
        made = manage.create_channel(
            manage.ChannelData(
                name=name, description="", audience=audience, stages=stages, **extra
            ),
            actor=self.w.admin,
        )
        db.session.commit()
        return made

    @cached_property
    def official(self):
        """For everyone; review by the deputy, then the head."""
        return self._channel(
            "Официальный канал колледжа",
            Audience.EVERYONE,
            [manage.StageSpec(role=Role.DEPUTY), manage.StageSpec(role=Role.HEAD)],
        )

    @cached_property
    def staff_channel(self):
        return self._channel(
            "Для преподавателей", Audience.STAFF, [manage.StageSpec(role=Role.DEPUTY)]
        )

    @cached_property
    def group_channel(self):
        """For group_own: its students and their parents."""
        return self._channel(
            "Группа ИСП-24-1",
            Audience.GROUPS,
            [manage.StageSpec(role=Role.DEPUTY)],
            group_ids=[self.w.group_own.id],
            group_students=True,
            group_parents=True,
        )

    @cached_property
    def other_group_channel(self):
        return self._channel(
            "Группа ИСП-24-2",
            Audience.GROUPS,
            [manage.StageSpec(role=Role.DEPUTY)],
            group_ids=[self.w.group_other.id],
            group_students=True,
            group_parents=True,
        )

    def _draft(self, channel, *, author=None, submit=False, mandatory=False, image=None):
        made = drafting.create(
            channel,
            drafting.Draft(title="Объявление", body="Текст объявления.", is_mandatory=mandatory),
            actor=author or self.w.teacher,
            submit=submit,
            image=image,
        )
        db.session.commit()
        return made

    def _publish(self, a, approvers):
        for person in approvers:
            review.approve(a, actor=person, revision_no=a.current_no)
            db.session.commit()
        return a

    @cached_property
    def draft(self):
        """The teacher's draft, never submitted."""
        return self._draft(self.official)

    @cached_property
    def review(self):
        """The teacher's item at stage 1 (the deputy's)."""
        return self._draft(self.official, submit=True)

    @cached_property
    def review_stage2(self):
        """The teacher's item at stage 2 (the head's)."""
        return self._publish(self._draft(self.official, submit=True), [self.w.deputy])

    @cached_property
    def published(self):
        """The teacher's item, published in the channel for everyone, with an image."""
        image = drafting.Image(io.BytesIO(PNG), "photo.png", "Фото")
        a = self._draft(self.official, submit=True, image=image)
        return self._publish(a, [self.w.deputy, self.w.head])

    @cached_property
    def published_by_deputy(self):
        return self._publish(
            self._draft(self.official, author=self.w.deputy, submit=True),
            [self.w.admin, self.w.head],
        )

    @cached_property
    def mandatory(self):
        """The teacher's item in the staff channel; staff must acknowledge it."""
        a = self._draft(self.staff_channel, submit=True, mandatory=True)
        return self._publish(a, [self.w.deputy])

    @cached_property
    def public_image(self):
        return uploads.by_keys([_image_key(self.published)])[0]

    @cached_property
    def draft_image(self):
        image = drafting.Image(io.BytesIO(PNG), "draft.png", "")
        a = self._draft(self.official, image=image)
        return uploads.by_keys([_image_key(a)])[0]


def _image_key(a) -> str:
    from intranet.services.channels import reading

    body = reading.revision(a).body
    return body.rsplit("/uploads/", 1)[1].rstrip(")")


class _Placeholder:
    """For the route-coverage check: every object has id 1 and a key."""

    id = 1
    key = "placeholderkey"

    def __getattr__(self, name):
        return self


def channel_world(w) -> ChannelWorld | _Placeholder:
    if not isinstance(w, World):
        return _Placeholder()
    if "_channels" not in w.__dict__:
        w.__dict__["_channels"] = ChannelWorld(w)
    return w.__dict__["_channels"]
