import json

from marsad.ingest.meta import MetaSource

from tests.ingest.sample import FIXTURES, by_id, split

CSV = FIXTURES / "mcl_posts_download.csv"
API = FIXTURES / "mcl_api_instagram_posts.json"


def test_csv_download_maps_dotted_columns():
    posts = by_id(split(MetaSource().records(CSV))[0])
    post = posts["920000000000001"]
    assert post["platform"] == "facebook"  # has surface.* and per-reaction counts
    assert post["text"].startswith("فرصة سفر إلى أوروبا") and "\n" in post["text"]
    assert post["author_id"] == "930000000000001"
    assert post["created_at"] == "2024-02-20T14:03:00+00:00"
    assert post["lang"] == "ar"
    assert post["url"].endswith("/facebook/entity/920000000000001")
    assert post["media"][0]["url"].endswith("demo_boat_0001.jpg")
    assert post["raw"]["surface.name"] == "سفريات الأمل (تجريبي)"
    assert post["raw"]["statistics.reaction_count"] == "46"
    assert posts["920000000000003"]["raw"]["shared_post_id"] == "920000000000001"


def test_csv_bad_rows():
    _, bad = split(MetaSource().records(CSV))
    assert [(b.line, b.field) for b in bad] == [(7, None), (8, "creation_time"), (9, "id")]
    assert "32 fields" in bad[0].reason


def test_api_json_nested_fields():
    posts = by_id(split(MetaSource().records(API))[0])
    post = posts["950000000000001"]
    assert post["platform"] == "instagram"
    assert post["author_id"] == "970000000000001" and post["author_handle"] == "yolculuk_demo"
    assert post["raw"]["statistics"] == {"like_count": 15, "comment_count": 4, "views": None}
    assert posts["950000000000002"]["text"] == "" and posts["950000000000002"]["media"][0]["type"] == "video"


def test_api_json_bad_posts():
    _, bad = split(MetaSource().records(API))
    assert [b.field for b in bad] == ["data[2].text", "data[3].id"]
    lines = API.read_text(encoding="utf-8").splitlines()
    assert '"950000000000003"' in lines[bad[0].line - 1]


def test_platform_option_wins():
    posts = split(MetaSource(platform="instagram").records(CSV))[0]
    assert {r.data["platform"] for r in posts} == {"instagram"}


def test_comments(tmp_path):
    path = tmp_path / "comments.jsonl"
    comment = {"id": "980000000000001", "text": "كم السعر؟", "creation_time": "2024-03-03T10:00:00+0000",
               "post_id": "950000000000001", "parent_id": None,
               "owner": {"id": "970000000000009", "username": "asker_demo", "name": "Asker", "type": "profile"}}
    path.write_text(json.dumps(comment, ensure_ascii=False) + "\n")
    assert MetaSource.sniff(path, path.read_bytes())
    (rec,) = split(MetaSource().records(path))[0]
    assert rec.data["author_id"] == "970000000000009" and rec.data["author_handle"] == "asker_demo"
    assert rec.data["conversation_id"] == rec.data["reply_to"] == "950000000000001"
