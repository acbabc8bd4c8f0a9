"""One key per piece of content, whatever URL spelling points at it.

The same post reaches analysts as ``https://m.facebook.com/x?fbclid=..``,
``http://www.facebook.com/x/`` or ``facebook.com/x#top``; referring it twice would waste a
platform's reviewer and double-count removals. ``url_key`` folds such spellings: scheme,
``www.``/``m.``/``mobile.`` prefixes, host aliases (twitter.com is x.com, youtu.be/ID is
youtube.com/watch?v=ID), default ports, fragments, trailing slashes and tracking
parameters. Anything else in the query is kept (sorted): on many sites it *is* the id.
"""
from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

from marsad.errors import InputError

MAX_URL = 4096
_PREFIXES = ("www.", "m.", "mobile.", "web.", "mbasic.", "touch.")
_ALIASES = {"twitter.com": "x.com", "fb.com": "facebook.com", "instagr.am": "instagram.com",
            "telegram.me": "t.me", "vm.tiktok.com": "tiktok.com"}
_TRACKING = {"fbclid", "gclid", "igshid", "igsh", "si", "s", "t", "ref", "ref_src", "ref_url", "mibextid",
             "feature", "_rdr", "__cft__", "__tn__", "rdid", "share_url", "utm", "is_from_webapp",
             "sender_device", "web_id"}


def parse(url: str):
    """Validated ``urlsplit`` of an http(s) URL (a bare ``host/path`` is taken as https)."""
    url = (url or "").strip()
    if not url:
        raise InputError("empty URL", field="url")
    if len(url) > MAX_URL:
        raise InputError(f"URL longer than {MAX_URL} characters", field="url")
    if "://" not in url:
        if re.match(r"[a-z][a-z0-9+.-]*:(?!\d)", url, re.I):   # javascript:, data:, mailto: ...
            raise InputError("only http(s) URLs can be referred", field="url")
        url = "https://" + url
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InputError("only http(s) URLs can be referred", field="url")
    if any(c.isspace() for c in url):
        raise InputError("a URL cannot contain spaces", field="url")
    try:
        parts.port
    except ValueError as exc:
        raise InputError(f"bad port: {exc}", field="url") from exc
    return parts


def host(url: str) -> str:
    h = parse(url).hostname.lower().rstrip(".")
    for p in _PREFIXES:
        if h.startswith(p) and h.count(".") >= 2:
            h = h[len(p):]
            break
    return _ALIASES.get(h, h)


def url_key(url: str) -> str:
    """The de-duplication key of ``url`` (no scheme): ``host/path?sorted-kept-query``."""
    parts = parse(url)
    h = host(url)
    port = parts.port
    if port and port not in (80, 443):
        h = f"{h}:{port}"
    path = parts.path.rstrip("/") or ""
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k.lower() not in _TRACKING and not k.lower().startswith("utm_")]
    if h == "youtu.be" and path:
        h, query, path = "youtube.com", [("v", path.lstrip("/"))] + query, "/watch"
    key = h + path + ("?" + urlencode(sorted(query)) if query else "")
    if len(key) > 1000:   # the column is 1024: keep a readable prefix, stay unique by hash
        key = key[:950] + "#" + hashlib.sha256(key.encode()).hexdigest()[:32]
    return key
