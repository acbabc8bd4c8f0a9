"""URL keys fold spellings of one piece of content; CSV cells never run as formulas."""
from __future__ import annotations

import csv
import io

import pytest

from marsad.errors import InputError
from marsad.refer import csvsafe
from marsad.refer.urls import url_key


@pytest.mark.parametrize("a,b", [
    ("https://www.facebook.com/groups/100/posts/1/", "http://m.facebook.com/groups/100/posts/1?fbclid=AbC#top"),
    ("https://twitter.com/someone/status/42", "https://x.com/someone/status/42?s=20&t=abc"),
    ("https://youtu.be/VID123?si=share", "https://www.youtube.com/watch?v=VID123&feature=shared"),
    ("facebook.com/groups/100/posts/1", "HTTPS://FACEBOOK.COM/groups/100/posts/1"),
    ("https://t.me/channel_demo/7", "https://telegram.me/channel_demo/7/"),
    ("https://www.tiktok.com/@demo/video/1?utm_source=copy&utm_medium=x", "https://tiktok.com/@demo/video/1"),
])
def test_spellings_of_one_url_share_a_key(a, b):
    assert url_key(a) == url_key(b)


@pytest.mark.parametrize("a,b", [
    ("https://www.youtube.com/watch?v=AAA", "https://www.youtube.com/watch?v=BBB"),
    ("https://facebook.com/permalink.php?story_fbid=1&id=2", "https://facebook.com/permalink.php?story_fbid=1&id=3"),
    ("https://x.com/a/status/1", "https://x.com/A/status/1/photo"),
])
def test_different_content_keeps_different_keys(a, b):
    assert url_key(a) != url_key(b)


@pytest.mark.parametrize("bad", ["", "javascript:alert(1)", "ftp://host/file", "https://", "https://a b.com/x"])
def test_only_http_urls(bad):
    with pytest.raises(InputError):
        url_key(bad)


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-2", "@SUM(A1)", "\t=1", "\r=1", "＝1", "=HYPERLINK(\"http://x\")"])
def test_formula_cells_get_a_quote(cell):
    assert csvsafe.neutralise(cell) == "'" + cell
    text = csvsafe.to_csv(["a"], [[cell]])
    assert list(csv.reader(io.StringIO(text)))[1][0] == "'" + cell


@pytest.mark.parametrize("cell", ["plain", "https://x.com/a", "زوارة", "a=b", 42, -3.5, None])
def test_other_cells_are_unchanged(cell):
    assert csvsafe.neutralise(cell) == cell
