"""QR codes of links, for pages and printed sheets (invitations, activation, chat links)."""

from __future__ import annotations

import base64
import functools
import io

import segno


@functools.lru_cache(maxsize=1024)
def qr_data_uri(url: str) -> str:
    """A QR code of a link as a base64 SVG data URI (an <img> source; the CSP allows data:
    images). The page's CSS sets its size; the same link gives the same bytes, so it is kept."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=4, border=2, xmldecl=False)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
