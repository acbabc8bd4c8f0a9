"""Links, handles, and the phone numbers that messaging links carry.

Conventions (DESIGN.md, dev README): handles are lowercase ``@name``; a ``t.me/name`` or
``instagram.com/name`` link is the handle ``@name``; invite links (``t.me/+code``,
``t.me/joinchat/code``, ``chat.whatsapp.com/code``) are not handles and stay in ``urls`` only.
``wa.me/<digits>`` and ``api.whatsapp.com/send?phone=<digits>`` carry an international number
without the ``+``; it is returned for the phone list.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from .places import lower_same_length

# Hosts that are common enough in posts to be links even without a scheme.
_BARE_HOSTS = (r"wa\.me|t\.me|telegram\.me|telegram\.dog|chat\.whatsapp\.com|api\.whatsapp\.com|"
               r"(?:www\.)?(?:instagram|facebook|tiktok|twitter|x|youtube|snapchat|linktr)\.(?:com|ee)|"
               r"fb\.com|fb\.me|m\.me|youtu\.be|instagr\.am|signal\.me|signal\.group|bit\.ly|"
               r"tinyurl\.com|linktr\.ee|discord\.gg|viber\.me")
# A link runs until whitespace, quotes, brackets, Arabic script or emoji.
_URL_BODY = r"[^\s<>\"'()\[\]{}\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff\u2190-\u2bff\U0001f000-\U0001faff]*"
# No leading look-behind and no IGNORECASE: a case-sensitive pattern that starts with literals
# lets the regex engine skip to candidate positions (6x faster than IGNORECASE), so it runs
# on a same-length lower-cased copy; the "not inside a word" check is done in find_links.
URL_RE = re.compile(rf"(?:https?://|www\.|(?:{_BARE_HOSTS})(?=/))" + _URL_BODY)
# Most posts with a link have only scheme/www links: this shorter pattern (two first letters
# to look for instead of fifteen) is used unless a bare host's "/" is there.
_SCHEME_URL_RE = re.compile(r"(?:https?://|www\.)" + _URL_BODY)
_BARE_HINTS = (".me/", ".com/", ".ee/", ".be/", ".am/", ".ly/", ".gg/", ".group/", ".dog/")
# One search for them all: nine substring searches cost ~6 µs a post with a "/" in it.
_BARE_HINT = re.compile("|".join(map(re.escape, _BARE_HINTS)))
_TRAILING = ".,;:!?…»«)'\"،؟؛*~"
# The domain part from the "@" (a literal start is fast to find); the local part is walked
# back from there (a leading [\w.+-]+ would be tried at every position of the post).
EMAIL_DOMAIN_RE = re.compile(r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# Starts with the literal "@" so the regex engine jumps between candidates; the "not after a
# word, a dot or a slash" look-behind is checked in find_handles (a leading look-behind makes
# the engine try every position).
HANDLE_RE = re.compile(r"@([A-Za-z0-9_](?:[A-Za-z0-9_.]{0,31}))")
_NOT_BEFORE_HANDLE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./")
_HAS_LETTER = re.compile(r"[A-Za-z]")

_TG_RE = re.compile(r"^(?:https?://)?(?:www\.)?(?:t|telegram)\.(?:me|dog)/(?:s/)?(\+|joinchat/)?([A-Za-z0-9_]+)",
                    re.IGNORECASE)
_IG_RE = re.compile(r"^(?:https?://)?(?:www\.|m\.)?(?:instagram\.com|instagr\.am)/([A-Za-z0-9_.]+)", re.IGNORECASE)
_IG_STORY = re.compile(r"/+([A-Za-z0-9_.]+)")     # the account after instagram.com/stories
_TT_RE = re.compile(r"^(?:https?://)?(?:www\.|m\.|vm\.)?tiktok\.com/@([A-Za-z0-9_.]+)", re.IGNORECASE)
_WA_RE = re.compile(r"^(?:https?://)?(?:wa\.me/\+?|(?:api|web)\.whatsapp\.com/send/?\?(?:[^#\s]*&)?phone=\+?)(\d{7,15})",
                    re.IGNORECASE)
# Every link the four patterns above (or the invite checks) read holds one of these: most
# links (t.co, news sites) are told apart with one search instead of four matches. Searched
# in the lower-cased link when it is ASCII (where lower case is all IGNORECASE equates), in
# any case otherwise ("inſtagram": re.IGNORECASE reads ſ as s, lower() keeps it).
_PLATFORM_HOSTS = r"(?:t|telegram)\.(?:me|dog)/|instagr|tiktok\.com/|wa\.me/|whatsapp\.com/|signal\.group/"
_PLATFORM = re.compile(_PLATFORM_HOSTS)
_PLATFORM_ANY_CASE = re.compile(_PLATFORM_HOSTS, re.IGNORECASE)
_IG_RESERVED = {"p", "reel", "reels", "explore", "stories", "accounts", "tv", "direct", "about", "legal"}
_TG_RESERVED = {"share", "addstickers", "addlist", "proxy", "socks", "iv", "c", "setlanguage", "login"}


class Link(NamedTuple):
    url: str
    start: int
    end: int
    handle: str | None = None     # "@name" when the link is a profile/channel
    phone: str | None = None      # "+<digits>" when the link is a WhatsApp chat link
    invite: bool = False


class Handle(NamedTuple):
    handle: str
    start: int
    end: int


def _clean_handle(name: str) -> str | None:
    name = name.rstrip(".")
    if len(name) < 2 or not _HAS_LETTER.search(name):
        return None
    return "@" + name.lower()


def find_links(text: str, low: str | None = None) -> list[Link]:
    """Links in ``text`` (``low``: its ``lower_same_length``, when the caller has it)."""
    out = []
    low = lower_same_length(text) if low is None else low
    rx = URL_RE if _BARE_HINT.search(low) is not None else _SCHEME_URL_RE
    for m in rx.finditer(low):
        if m.start() and (text[m.start() - 1].isalnum() or text[m.start() - 1] in "_@./"):
            continue
        url = text[m.start():m.end()].rstrip(_TRAILING)
        if "/" not in url and "." not in url.strip("."):
            continue
        start, end = m.start(), m.start() + len(url)
        handle = phone = None
        invite = False
        if (_PLATFORM.search(low, start, end) if url.isascii() else _PLATFORM_ANY_CASE.search(url)) is None:
            pass          # no messaging or profile host: a plain link
        elif (t := _TG_RE.match(url)) is not None:
            if t.group(1):
                invite = True
            elif t.group(2).lower() not in _TG_RESERVED:
                handle = _clean_handle(t.group(2))
        elif (i := _IG_RE.match(url)) is not None:
            if i.group(1).lower() not in _IG_RESERVED:
                handle = _clean_handle(i.group(1))
            elif i.group(1).lower() == "stories" and (story := _IG_STORY.match(url, i.end())) is not None:
                handle = _clean_handle(story.group(1))
        elif (k := _TT_RE.match(url)) is not None:
            handle = _clean_handle(k.group(1))
        elif (w := _WA_RE.match(url)) is not None:
            phone = "+" + w.group(1)
        elif "chat.whatsapp.com/" in url.lower() or "signal.group/" in url.lower():
            invite = True
        out.append(Link(url, start, end, handle, phone, invite))
    return out


def find_handles(text: str) -> list[Handle]:
    """``@name`` mentions that are not part of an e-mail address or a link (mask links first)."""
    out = []
    for m in HANDLE_RE.finditer(text):
        if m.start() and text[m.start() - 1] in _NOT_BEFORE_HANDLE:
            continue
        h = _clean_handle(m.group(1))
        if h:
            out.append(Handle(h, m.start(), m.start() + len(h)))
    return out


def find_emails(text: str) -> list[tuple[int, int]]:
    out = []
    for m in EMAIL_DOMAIN_RE.finditer(text):
        start = at = m.start()
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_.+-"):
            start -= 1
        if start < at:
            out.append((start, m.end()))
    return out
