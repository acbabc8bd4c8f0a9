"""Turning hostile post text into safe HTML: escape every piece, mark indicators, isolate LTR runs.

A post's text is attacker-controlled. Nothing here ever inserts text unescaped: the raw
text is cut at the indicator offsets into plain pieces, each piece is escaped on its own,
and only our own ``<mark>``/``<bdi>`` tags join them. Cutting the raw text (not the escaped
text) keeps the detector's character offsets valid, and an offset inside an escape
sequence is impossible by construction.

Phone numbers, handles, wallets and links are wrapped in ``<bdi dir="ltr">`` so that in
a right-to-left paragraph ``+218912345678`` is not shown as ``218912345678+``.
"""
from __future__ import annotations

import re

from markupsafe import Markup, escape

# Left-to-right tokens inside Arabic text: phones, @handles, URLs, wallet addresses.
LTR_TOKEN = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|(?<![\w@])@[A-Za-z0-9_.]{2,}"
    r"|\b(?:T[1-9A-HJ-NP-Za-km-z]{33}|0x[0-9a-fA-F]{40}|bc1[0-9a-z]{20,60})\b"
    r"|\+?[0-9\u0660-\u0669\u06F0-\u06F9][0-9\u0660-\u0669\u06F0-\u06F9 \-]{6,}[0-9\u0660-\u0669\u06F0-\u06F9]")


def ltr(value) -> Markup:
    """An identifier for display: escaped and isolated as left-to-right."""
    return Markup('<bdi dir="ltr">{}</bdi>').format(value)


def _plain(piece: str) -> Markup:
    out, last = [], 0
    for m in LTR_TOKEN.finditer(piece):
        out.append(escape(piece[last:m.start()]))
        out.append(ltr(m.group()))
        last = m.end()
    out.append(escape(piece[last:]))
    return Markup("").join(out)


def spans(text: str, indicators) -> list[tuple[int, int, list[str]]]:
    """Indicator spans clipped to the text and merged where they overlap, in order."""
    raw = []
    for ind in indicators or ():
        try:
            start, end = int(ind["start"]), int(ind["end"])
        except (KeyError, TypeError, ValueError):
            continue
        start, end = max(0, start), min(len(text), end)
        if end > start:
            raw.append((start, end, str(ind.get("category", ""))))
    merged: list[tuple[int, int, list[str]]] = []
    for start, end, cat in sorted(raw):
        if merged and start < merged[-1][1]:
            s, e, cats = merged[-1]
            merged[-1] = (s, max(e, end), cats if cat in cats else cats + [cat])
        else:
            merged.append((start, end, [cat]))
    return merged


def highlight(text: str | None, indicators=()) -> Markup:
    """``text`` as safe HTML with each indicator span in ``<mark>`` (category in ``title``)."""
    text = text or ""
    out, last = [], 0
    for start, end, cats in spans(text, indicators):
        out.append(_plain(text[last:start]))
        label = ", ".join(c.replace("_", " ") for c in cats if c)
        out.append(Markup('<mark class="indicator" title="{}">{}</mark>').format(label, _plain(text[start:end])))
        last = end
    out.append(_plain(text[last:]))
    return Markup("").join(out)
