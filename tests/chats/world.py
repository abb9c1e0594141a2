"""Chats for the permission matrix: one kept by the world's tutor, one by its teacher."""

from __future__ import annotations

from types import SimpleNamespace


def cw(world) -> SimpleNamespace:
    from tests.permissions.world import World

    if not isinstance(world, World):  # the route-coverage check resolves paths without data
        return SimpleNamespace(tutor_chat=SimpleNamespace(id=1), teacher_chat=SimpleNamespace(id=2))
    cached = getattr(world, "_chats", None)
    if cached is not None:
        return cached
    from tests import factories as f

    world._chats = SimpleNamespace(
        tutor_chat=f.chat(world.tutor, "tutor_students", group=world.group_own),
        teacher_chat=f.chat(world.teacher, "other"),
    )
    return world._chats
