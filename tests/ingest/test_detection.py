"""Every fixture is sniffed as its own format, and every good record passes ``to_post``."""
import pytest

from marsad.ingest import SOURCES, pick_source, read, walk
from marsad.ingest.csv import CsvSource
from marsad.model import BadRecord
from marsad.normalize.post import to_post

from tests.ingest.sample import FIXTURES

EXPECTED = {
    "telegram_channel_result.json": "telegram",
    "telegram_account_result.json": "telegram",
    "x_search_twarc2.jsonl": "x",
    "x_tweets_lookup.json": "x",
    "mcl_posts_download.csv": "meta",
    "mcl_api_instagram_posts.json": "meta",
    "tiktok_video_query.json": "tiktok",
    "tiktok_comments.jsonl": "tiktok",
    "youtube_comment_threads.json": "youtube",
    "youtube_search_videos.jsonl": "youtube",
    "WhatsApp Chat with Rihla Demo.txt": "whatsapp",
    "whatsapp_ios_chat/_chat.txt": "whatsapp",
    "whatsapp_android_24h.txt": "whatsapp",
    "generic_posts_semicolon.csv": "csv",
    "custom_columns.csv": "csv",
    "canonical_posts.jsonl": "jsonl",
}


def test_every_fixture_has_an_expected_format():
    found = {p.relative_to(FIXTURES).as_posix() for p in walk([FIXTURES])}
    assert found == set(EXPECTED)


@pytest.mark.parametrize("name,fmt", sorted(EXPECTED.items()))
def test_sniffing_picks_the_format(name, fmt):
    assert pick_source(FIXTURES / name).name == fmt


@pytest.mark.parametrize("name,fmt", sorted(EXPECTED.items()))
def test_only_one_format_claims_each_fixture(name, fmt):
    """Sniffers are specific: no other platform format would take the file (the generic
    JSONL and CSV readers, tried last, may also accept it)."""
    path = FIXTURES / name
    head = path.read_bytes()[:65536]
    claims = {n for n, cls in SOURCES.items() if cls.sniff(path, head)} - {"jsonl", "csv"}
    assert claims <= {fmt}




def source_for(name: str):
    """The source a user would run on the fixture (the custom-column CSV needs its --map)."""
    if name == "custom_columns.csv":
        return CsvSource(mapping={"id": "Beitrag-Nr", "text": "Nachricht", "author_id": "Konto",
                                  "created_at": "Zeit"}, platform="facebook")
    return pick_source(FIXTURES / name)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_to_post_accepts_every_good_record(name):
    records = list(source_for(name).records(FIXTURES / name))
    good = [r for r in records if not isinstance(r, BadRecord)]
    assert good, f"{name} yields no records"
    for rec in good:
        post = to_post(rec)
        assert post.id and post.platform
        assert post.sha256 and post.source == str(FIXTURES / name)


def test_bad_records_name_file_and_line():
    for rec in read([FIXTURES]):
        if isinstance(rec, BadRecord):
            assert rec.source.startswith(str(FIXTURES))
            assert rec.line >= 1 and rec.reason


def test_each_platform_fixture_has_malformed_records():
    """The fixtures exercise the quarantine path, not only the happy one."""
    bad_files = {rec.source for rec in read([FIXTURES]) if isinstance(rec, BadRecord)}
    for name, fmt in EXPECTED.items():
        if fmt in ("telegram", "x", "meta", "tiktok", "youtube", "whatsapp") and name != "whatsapp_android_24h.txt":
            assert str(FIXTURES / name) in bad_files, name


def test_only_formats_are_registered_not_their_shared_bases():
    """A base that leaves a method abstract (ResponseSource) is not a format of its own."""
    pick_source(FIXTURES / "x_tweets_lookup.json")          # built-ins registered
    assert {"csv", "jsonl", "meta", "telegram", "tiktok", "whatsapp", "x", "youtube"} <= set(SOURCES)
    assert "response" not in SOURCES and all(not cls.__abstractmethods__ for cls in SOURCES.values())
