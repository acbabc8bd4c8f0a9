import json

from marsad.ingest.tiktok import TikTokSource

from tests.ingest.sample import FIXTURES, by_id, split

VIDEOS = FIXTURES / "tiktok_video_query.json"
COMMENTS = FIXTURES / "tiktok_comments.jsonl"


def test_videos_map_to_posts():
    posts = by_id(split(TikTokSource().records(VIDEOS))[0])
    video = posts["7330000000000000001"]  # a JSON number in the response, a string id here
    assert video["platform"] == "tiktok"
    assert video["text"].startswith("الرحلة الجاية قريب")
    assert video["author_id"] == video["author_handle"] == "rahla_demo_01"
    assert video["created_at"] == "2024-01-25T10:00:00+00:00"  # create_time is epoch seconds
    assert video["url"] == "https://www.tiktok.com/@rahla_demo_01/video/7330000000000000001"
    assert video["raw"]["region_code"] == "LY"
    assert video["raw"]["hashtag_names"] == ["هجرة", "ايطاليا"]
    assert video["raw"]["voice_to_text"].startswith("اللي يحب يسافر")
    assert posts["7330000000000000003"]["text"] == ""  # no description: still a post (the video)


def test_bad_videos_are_located():
    _, bad = split(TikTokSource().records(VIDEOS))
    assert [(b.field, b.reason.split(":")[0]) for b in bad] == [
        ("data.videos[3].create_time", "not epoch seconds"), ("data.videos[4].id", "missing or not a number/string")]
    assert "7330000000000000004" in VIDEOS.read_text(encoding="utf-8").splitlines()[bad[0].line - 1]


def test_comments_reply_to_the_video_or_the_comment():
    posts = by_id(split(TikTokSource().records(COMMENTS))[0])
    top, reply = posts["7330000000000100001"], posts["7330000000000100002"]
    assert top["conversation_id"] == "7330000000000000001" and top["reply_to"] == "7330000000000000001"
    assert reply["reply_to"] == "7330000000000100001"
    assert top.get("author_id") is None  # the Research API returns no commenter
    assert top["raw"] == {"like_count": 2, "reply_count": 1}


def test_error_responses_and_bad_comments_are_bad_records():
    _, bad = split(TikTokSource().records(COMMENTS))
    assert bad[0].field == "data.comments[2].text"
    assert bad[1].line == 2 and bad[1].field == "error" and "rate_limit_exceeded" in bad[1].reason


def test_bare_video_lines(tmp_path):
    path = tmp_path / "videos.jsonl"
    path.write_text(json.dumps({"id": 1, "video_description": "سطر", "create_time": 1706176800,
                                "username": "a_demo", "region_code": "TN"}) + "\n")
    assert TikTokSource.sniff(path, path.read_bytes())
    (rec,) = split(TikTokSource().records(path))[0]
    assert rec.data["id"] == "1" and rec.data["url"].endswith("/@a_demo/video/1")
