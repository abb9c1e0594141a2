"""Help articles (Markdown, by category) and the admins' canned replies."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from intranet import policy
from intranet.extensions import db
from intranet.models import User
from intranet.models.base import fold
from intranet.models.helpdesk import CannedReply, Category, HelpArticle
from intranet.services import audit, markdown
from intranet.services.errors import PermissionDenied, ValidationFailed

MAX_ARTICLE = 20000


def render(source: str) -> str:
    """An article's Markdown as cleaned HTML (the shared renderer: nh3 after markdown-it)."""
    return markdown.render(source)


def published_by_category(category: Category | None = None) -> list[HelpArticle]:
    """Published articles, for one category (and the general ones) or all."""
    query = select(HelpArticle).where(HelpArticle.is_published.is_(True))
    if category is not None:
        query = query.where((HelpArticle.category == category) | HelpArticle.category.is_(None))
    return list(
        db.session.scalars(
            query.order_by(HelpArticle.category, HelpArticle.position, HelpArticle.title_key)
        )
    )


def all_articles() -> list[HelpArticle]:
    return list(
        db.session.scalars(
            select(HelpArticle).order_by(
                HelpArticle.category, HelpArticle.position, HelpArticle.title_key
            )
        )
    )


def _require(actor: User, action: str) -> None:
    if not policy.can(actor, action):
        raise PermissionDenied(_("Only platform administrators edit the help desk's texts."))


def save_article(
    article: HelpArticle | None,
    *,
    actor: User,
    title: str,
    body: str,
    category: Category | None,
    is_published: bool,
    position: int = 0,
) -> HelpArticle:
    """Create or update a help article."""
    _require(actor, "helpdesk.articles")
    title = " ".join((title or "").split())[:200]
    if not title:
        raise ValidationFailed(_("Give the article a title."), "title")
    body = (body or "").strip()
    if len(body) > MAX_ARTICLE:
        raise ValidationFailed(
            _("The article is too long (at most %(n)d characters).", n=MAX_ARTICLE), "body"
        )
    created = article is None
    if article is None:
        article = HelpArticle()
        db.session.add(article)
    article.title = title
    article.title_key = fold(title)[:200]
    article.body = body
    article.category = Category(category) if category else None
    article.is_published = bool(is_published)
    article.position = int(position or 0)
    article.updated_by_id = actor.id
    db.session.flush()
    audit.record(
        "helpdesk.article_created" if created else "helpdesk.article_saved",
        actor=actor,
        obj=article,
        summary=title,
    )
    return article


def delete_article(article: HelpArticle, *, actor: User) -> None:
    _require(actor, "helpdesk.articles")
    audit.record("helpdesk.article_deleted", actor=actor, obj=article, summary=article.title)
    db.session.delete(article)
    db.session.flush()


def canned_replies() -> list[CannedReply]:
    return list(db.session.scalars(select(CannedReply).order_by(CannedReply.title_key)))


def save_canned(reply: CannedReply | None, *, actor: User, title: str, body: str) -> CannedReply:
    """Create or update a canned reply."""
    _require(actor, "helpdesk.manage")
    title = " ".join((title or "").split())[:200]
    body = (body or "").strip()
    if not title:
        raise ValidationFailed(_("Give the reply a title."), "title")
    if not body:
        raise ValidationFailed(_("Write the text of the reply."), "body")
    created = reply is None
    if reply is None:
        reply = CannedReply(created_by_id=actor.id)
        db.session.add(reply)
    reply.title = title
    reply.title_key = fold(title)[:200]
    reply.body = body[:10000]
    db.session.flush()
    audit.record(
        "helpdesk.canned_created" if created else "helpdesk.canned_saved",
        actor=actor,
        obj=reply,
        summary=title,
    )
    return reply


def delete_canned(reply: CannedReply, *, actor: User) -> None:
    _require(actor, "helpdesk.manage")
    audit.record("helpdesk.canned_deleted", actor=actor, obj=reply, summary=reply.title)
    db.session.delete(reply)
    db.session.flush()
