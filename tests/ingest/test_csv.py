import pytest

from marsad.errors import InputError
from marsad.ingest.csv import CsvSource, parse_mapping, resolve_columns

from tests.ingest.sample import FIXTURES, by_id, split

SEMI = FIXTURES / "generic_posts_semicolon.csv"
CUSTOM = FIXTURES / "custom_columns.csv"


def test_common_header_names_are_mapped_and_bom_and_semicolons_handled():
    good, _ = split(CsvSource().records(SEMI))
    posts = by_id(good)
    first = posts["1001"]
    assert first["text"].startswith("مطلوب سائقين")
    assert first["author_id"] == first["author_handle"] == "trip_demo_1"
    assert first["platform"] == "facebook" and first["url"] == "https://www.facebook.com/demo/posts/1001"
    assert first["created_at"] == "2024-01-25T10:00:00+00:00"  # epoch milliseconds
    assert first["raw"] == {"likes": "12"}  # unmapped columns kept verbatim
    assert posts["1006"]["created_at"] == "2024-01-25T13:45:00"  # 25/01: day first is certain


def test_line_numbers_and_raw_bytes_of_multiline_records():
    good, bad = split(CsvSource().records(SEMI))
    multi = by_id(good)["1002"]
    assert multi["text"] == "Line one of a long post\nline two; with a semicolon\nline three"
    rec = next(r for r in good if r.data["id"] == "1002")
    assert rec.line == 3 and rec.raw.count(b"\n") == 2 and rec.raw in SEMI.read_bytes()
    assert [(b.line, b.field) for b in bad] == [(6, "timestamp"), (7, "post_id"), (8, None), (10, "message")]
    assert "ambiguous" in bad[0].reason
    assert "9 fields where the header has 7" in bad[2].reason


def test_explicit_mapping_and_platform():
    src = CsvSource(mapping=parse_mapping("text=Nachricht,id=Beitrag-Nr,author_id=Konto,created_at=Zeit"),
                    platform="facebook")
    good, bad = split(src.records(CUSTOM))
    assert not bad
    post = by_id(good)["A-1"]
    assert post["text"].startswith("Fahrt nach Italien") and post["author_id"] == "konto_demo_1"
    assert post["platform"] == "facebook" and post["created_at"] == "2024-02-01T10:00:00+01:00"
    assert post["raw"] == {"Gruppe": "Reisegruppe Demo"}


def test_unmapped_file_says_which_columns_exist():
    _, bad = split(CsvSource().records(CUSTOM))
    assert len(bad) == 1 and bad[0].line == 1 and bad[0].field == "id"
    assert "--map id=COLUMN" in bad[0].reason and "Nachricht" in bad[0].reason


def test_mapping_to_a_missing_column_is_reported():
    _, bad = split(CsvSource(mapping={"text": "Inhalt", "id": "Beitrag-Nr"}).records(CUSTOM))
    assert bad[0].field == "text" and "no column 'Inhalt'" in bad[0].reason


def test_parse_mapping_errors():
    assert parse_mapping("text=message, id=post_id") == {"text": "message", "id": "post_id"}
    with pytest.raises(InputError):
        parse_mapping("text")
    with pytest.raises(InputError):
        parse_mapping("body=message")


def test_header_matching_ignores_case_spaces_and_dots():
    cols = resolve_columns(["Post ID", "Message", "User Name", "Created-At", "URL"])
    assert cols == {"id": "Post ID", "text": "Message", "author_handle": "User Name",
                    "created_at": "Created-At", "url": "URL", "author_id": "User Name"}


def test_tab_separated(tmp_path):
    path = tmp_path / "posts.tsv"
    path.write_text("id\ttext\tdate\n1\tمرحبا, كيف الحال\t2024-01-01\n", encoding="utf-8")
    (rec,) = split(CsvSource().records(path))[0]
    assert rec.data["text"] == "مرحبا, كيف الحال" and rec.data["platform"] == "other"
