import json

from marsad.ingest.x import XSource

from tests.ingest.sample import FIXTURES, by_id, split

SEARCH = FIXTURES / "x_search_twarc2.jsonl"
LOOKUP = FIXTURES / "x_tweets_lookup.json"


def test_tweets_resolve_users_and_media_from_includes():
    posts = by_id(split(XSource().records(SEARCH))[0])
    first = posts["1763000000000000001"]
    assert first["author_id"] == "1000000001" and first["author_handle"] == "sahel_trips_demo"
    assert first["url"] == "https://x.com/sahel_trips_demo/status/1763000000000000001"
    assert first["created_at"] == "2024-03-01T08:15:00+00:00" and first["lang"] == "ar"
    assert first["media"] == [{"type": "photo", "media_key": "3_1763000000000000101",
                               "url": "https://pbs.twimg.com/media/DemoPhoto0001.jpg"}]
    assert first["raw"]["expanded_urls"][0] == "https://wa.me/218910000001"
    assert first["raw"]["public_metrics"]["like_count"] == 5
    video = posts["1763000000000000003"]["media"][0]
    assert video["type"] == "video" and "ext_tw_video_thumb" in video["url"]  # preview_image_url


def test_replies_conversations_long_posts_and_retweets():
    posts = by_id(split(XSource().records(SEARCH))[0])
    reply = posts["1763000000000000002"]
    assert reply["reply_to"] == "1763000000000000001"
    assert reply["conversation_id"] == "1763000000000000001"
    long = posts["1763000000000000005"]
    assert len(long["text"]) > 280 and long["text"].endswith("places disponibles.")  # note_tweet.text
    retweet = posts["1763000000000000006"]
    assert retweet["raw"]["retweeted_text"].startswith("رحلات يومية")
    assert posts["1763000000000000007"]["lang"] is None  # "zxx" is not a language
    assert posts["1763000000000000007"]["raw"]["x_lang"] == "zxx"


def test_bad_tweets_and_lines_are_located():
    src = XSource()
    _, bad = split(src.records(SEARCH))
    assert [(b.line, b.field) for b in bad] == [(2, "data[0].created_at"), (2, "data[4].id"), (3, None)]
    assert "invalid JSON" in bad[2].reason
    assert src.skipped["x empty page"] == 1


def test_pretty_printed_response_reports_the_tweet_line():
    src = XSource()
    good, bad = split(src.records(LOOKUP))
    lines = LOOKUP.read_text(encoding="utf-8").splitlines()
    assert '"1763000000000000010"' in lines[good[0].line - 1]
    assert bad[0].field == "data[1].text" and "got list" in bad[0].reason
    assert '"1763000000000000011"' in lines[bad[0].line - 1]
    assert src.skipped["x api error"] == 1  # the deleted tweet in "errors"


def test_raw_bytes_are_the_tweet_object():
    rec = split(XSource().records(LOOKUP))[0][0]
    assert json.loads(rec.raw)["id"] == "1763000000000000010"


def test_flattened_twarc_lines(tmp_path):
    flat = {"id": "1763000000000000020", "text": "flattened tweet", "author_id": "1000000009",
            "created_at": "2024-03-03T10:00:00.000Z", "lang": "en", "conversation_id": "1763000000000000020",
            "edit_history_tweet_ids": ["1763000000000000020"],
            "author": {"id": "1000000009", "username": "flat_demo", "name": "Flat"},
            "attachments": {"media": [{"media_key": "3_1", "type": "photo", "url": "https://pbs.twimg.com/media/x.jpg"}]},
            "__twarc": {"url": "https://api.twitter.com/2/tweets/search/recent", "version": "2.14.0",
                        "retrieved_at": "2024-03-03T10:01:00+00:00"}}
    path = tmp_path / "flat.jsonl"
    path.write_text(json.dumps(flat) + "\n")
    assert XSource.sniff(path, path.read_bytes())
    (rec,) = split(XSource().records(path))[0]
    assert rec.data["author_handle"] == "flat_demo"
    assert rec.data["media"][0]["url"] == "https://pbs.twimg.com/media/x.jpg"
    assert "__twarc" not in rec.data["raw"]


def test_sniff_refuses_other_json():
    for other in ("tiktok_video_query.json", "youtube_comment_threads.json", "mcl_api_instagram_posts.json",
                  "canonical_posts.jsonl", "telegram_channel_result.json"):
        path = FIXTURES / other
        assert not XSource.sniff(path, path.read_bytes()[:65536]), other


def test_capture_time_from_twarc_is_kept():
    posts = by_id(split(XSource().records(SEARCH))[0])
    assert posts["1763000000000000001"]["raw"]["retrieved_at"] == "2024-03-02T10:00:01+00:00"
