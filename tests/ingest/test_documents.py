"""Reading saved API responses: one per file (pretty-printed) or one per line."""
import json

from marsad.ingest.documents import json_documents, locate, loose_time, to_iso
from marsad.model import BadRecord

import pytest


def test_one_pretty_printed_document_with_bom_and_blank_lines(tmp_path):
    path = tmp_path / "page.json"
    text = json.dumps({"data": [{"id": "1"}], "meta": {"result_count": 1}}, indent=2)
    path.write_bytes(b"\xef\xbb\xbf\n" + text.replace("\n", "\n\n", 1).encode())
    ((line, doc, raw),) = list(json_documents(path))
    assert line == 2 and doc["data"] == [{"id": "1"}] and raw.startswith(b"\n{")


def test_broken_pretty_printed_document_names_the_line(tmp_path):
    path = tmp_path / "page.json"
    path.write_text('{\n  "data": [\n    {"id": "1",}\n  ]\n}\n')
    (bad,) = list(json_documents(path))
    assert isinstance(bad, BadRecord) and bad.line == 3 and "invalid JSON" in bad.reason


def test_per_line_documents_with_a_broken_first_line(tmp_path):
    path = tmp_path / "pages.jsonl"
    path.write_text('{"data": [\n{"data": []}\n\n{"data": [1]}\n')
    items = list(json_documents(path))
    assert isinstance(items[0], BadRecord) and items[0].line == 1
    assert [(i[0], i[1]) for i in items[1:]] == [(2, {"data": []}), (4, {"data": [1]})]


def test_times():
    assert to_iso(1704448800) == "2024-01-05T10:00:00+00:00"
    assert to_iso("1704448800000") == "2024-01-05T10:00:00+00:00"  # milliseconds
    assert to_iso("2024-02-20T14:03:00+0000") == "2024-02-20T14:03:00+00:00"
    assert loose_time("Fri Sep 18 18:36:15 +0000 2020") == "2020-09-18T18:36:15+00:00"
    assert loose_time("25/01/2024 1:45 PM") == "2024-01-25T13:45:00"
    with pytest.raises(ValueError, match="ambiguous"):
        loose_time("03/04/2024")
    with pytest.raises(ValueError):
        loose_time("next tuesday")


def test_locate():
    raw = b'{\n "a": 1,\n "id": "77"\n}'
    assert locate(raw, '"77"', 1) == 3
    assert locate(raw, '"missing"', 1) == 1
    assert locate(b'{"id": "77"}', '"77"', 9) == 9
