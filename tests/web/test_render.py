"""Hostile text to safe HTML: every piece escaped, indicator spans marked at their offsets,
left-to-right identifiers isolated."""
from __future__ import annotations

from html.parser import HTMLParser

from marsad.web.render import highlight, ltr, spans


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> Tags:
    p = Tags()
    p.feed(str(html))
    return p


HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&<b>bold</b>"


def test_hostile_markup_is_text_only():
    out = highlight(HOSTILE + " رحلة", [{"start": 0, "end": 8, "category": "x"}])
    parsed = parse(out)
    assert {t for t, _ in parsed.tags} <= {"mark"}                       # only our own tags
    assert "".join(parsed.text) == HOSTILE + " رحلة"                      # the text, unchanged


def test_indicator_offsets_mark_the_raw_text():
    text = "اتصل الآن: رحلة مضمونة إلى إيطاليا & <ok>"
    start = text.index("رحلة مضمونة")
    out = highlight(text, [{"start": start, "end": start + len("رحلة مضمونة"), "category": "migrant_smuggling"}])
    assert '<mark class="indicator" title="migrant smuggling">رحلة مضمونة</mark>' in out
    assert "&amp; &lt;ok&gt;" in out


def test_overlapping_clipped_and_bad_spans():
    assert spans("abcdefghij", [{"start": 2, "end": 5, "category": "a"}, {"start": 4, "end": 8, "category": "b"},
                                {"start": 8, "end": 99, "category": "a"}, {"start": "x", "end": 3},
                                {"start": 5, "end": 5}, {"start": -3, "end": 1, "category": "c"}]) == \
        [(0, 1, ["c"]), (2, 8, ["a", "b"]), (8, 10, ["a"])]
    assert highlight(None) == ""


def test_phones_handles_wallets_are_isolated_ltr():
    text = "للحجز +218 91 234 5678 أو @bahr_travel محفظة TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"
    out = str(highlight(text))
    for value in ("+218 91 234 5678", "@bahr_travel", "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"):
        assert f'<bdi dir="ltr">{value}</bdi>' in out
    assert str(ltr("<x>")) == '<bdi dir="ltr">&lt;x&gt;</bdi>'
