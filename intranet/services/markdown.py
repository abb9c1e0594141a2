"""Markdown for people's texts: rendered by markdown-it-py, then cleaned by nh3; and plain text.

One renderer serves the pages, the live preview, the Atom feed and e-mail, so what the author
previews is what readers get. Raw HTML in the source is shown as text, links may only be
http, https or mailto, and images only the intranet's own uploads (no tracking pixels).
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

UPLOAD_PATH = re.compile(r"^/uploads/[A-Za-z0-9_-]{8,43}$")
LINK_SCHEMES = {"http", "https", "mailto"}
TAGS = {
    "p", "br", "strong", "em", "del", "s", "a", "ul", "ol", "li", "blockquote", "code", "pre",
    "h3", "h4", "h5", "h6", "hr", "img", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
MAX_SOURCE = 100_000  # characters; longer text is cut before rendering

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.enable(["table", "strikethrough"])


def _keep_relative(url: str) -> str | None:
    """Relative URLs survive only as the intranet's own upload paths (images)."""
    return url if UPLOAD_PATH.match(url) else None


def _filter_attribute(tag: str, attr: str, value: str) -> str | None:
    if tag == "a" and attr == "href":
        scheme = value.split(":", 1)[0].lower() if ":" in value else ""
        return value if scheme in LINK_SCHEMES else None
    if tag == "img" and attr == "src":
        return value if UPLOAD_PATH.match(value) else None
    if tag == "ol" and attr == "start":
        return value if value.isdigit() and len(value) < 7 else None
    return value


_cleaner = nh3.Cleaner(
    tags=TAGS,
    attributes=ATTRIBUTES,
    url_schemes=LINK_SCHEMES,
    url_relative=_keep_relative,
    attribute_filter=_filter_attribute,
    link_rel="noopener noreferrer nofollow",
    strip_comments=True,
)

# Body headings sit under the announcement's own title: # becomes h3, ## h4 and so on.
_HEADING_SHIFT = {"h1": "h3", "h2": "h4", "h3": "h5", "h4": "h6", "h5": "h6", "h6": "h6"}


def render(source: str) -> str:
    """Markdown → HTML that is safe to insert into a page, a feed or an e-mail."""
    tokens = _md.parse((source or "")[:MAX_SOURCE])
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = _HEADING_SHIFT.get(token.tag, token.tag)
    html = _md.renderer.render(tokens, _md.options, {})
    return _cleaner.clean(html)


def absolutize(html: str, base_url: str) -> str:
    """Upload paths made absolute, for a feed or an e-mail read outside the site."""
    base = base_url.rstrip("/")
    return re.sub(r'src="(/uploads/[A-Za-z0-9_-]+)"', lambda m: f'src="{base}{m.group(1)}"', html)


def plain_text(source: str) -> str:
    """Markdown → plain text to paste into a messenger: links as «text (address)»."""
    tokens = _md.parse((source or "")[:MAX_SOURCE])
    out: list[str] = []
    lists: list[list[int | None]] = []  # per open list: [next number] or [None] for bullets
    quote_depth = 0
    in_table = False
    row: list[str] = []
    for token in tokens:
        kind = token.type
        if kind == "bullet_list_open":
            lists.append([None])
        elif kind == "ordered_list_open":
            lists.append([int(token.attrGet("start") or 1)])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            if not lists:
                out.append("\n")
        elif kind == "list_item_open":
            marker = lists[-1] if lists else [None]
            indent = "  " * (len(lists) - 1)
            if marker[0] is None:
                out.append(f"{indent}• ")
            else:
                out.append(f"{indent}{marker[0]}. ")
                marker[0] += 1
        elif kind == "blockquote_open":
            quote_depth += 1
        elif kind == "blockquote_close":
            quote_depth -= 1
        elif kind == "inline":
            text = _inline_text(token.children or [])
            if in_table:
                row.append(text)
                continue
            prefix = "» " * quote_depth
            out.append(prefix + text.replace("\n", "\n" + prefix))
        elif kind in ("paragraph_close", "heading_close"):
            if token.hidden:  # tight list items
                out.append("\n")
            else:
                out.append("\n" if lists else "\n\n")
        elif kind in ("fence", "code_block"):
            out.append(token.content.rstrip("\n") + "\n\n")
        elif kind == "hr":
            out.append("———\n\n")
        elif kind == "table_open":
            in_table = True
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close":
            out.append(" | ".join(row) + "\n")
        elif kind == "table_close":
            in_table = False
            out.append("\n")
    text = "".join(out)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _inline_text(children: list[Token]) -> str:
    parts: list[str] = []
    href_stack: list[tuple[str, int]] = []
    for child in children:
        kind = child.type
        if kind == "text" or kind == "code_inline":
            parts.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif kind == "link_open":
            href_stack.append((str(child.attrGet("href") or ""), len(parts)))
        elif kind == "link_close" and href_stack:
            href, start = href_stack.pop()
            label = "".join(parts[start:])
            shown = href.removeprefix("mailto:")
            if href and shown != label and href.split(":", 1)[0].lower() in LINK_SCHEMES:
                parts.append(f" ({shown})")
        elif kind == "image":
            alt = child.content or "".join(c.content for c in child.children or [])
            if alt:
                parts.append(f"[{alt}]")
    return "".join(parts)
