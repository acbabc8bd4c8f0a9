import json

from marsad.ingest.telegram import TelegramSource
from marsad.normalize.post import to_post

from tests.ingest.sample import FIXTURES, by_id, split

CHANNEL = FIXTURES / "telegram_channel_result.json"
ACCOUNT = FIXTURES / "telegram_account_result.json"


def test_channel_messages_map_to_posts():
    src = TelegramSource()
    good, _ = split(src.records(CHANNEL))
    posts = by_id(good)
    first = posts["1500000001:2"]
    # text given as a list of strings and entity objects is joined in order
    assert first["text"].startswith("رحلات أسبوعية من زوارة")
    assert "@rahalat_demo_01" in first["text"] and "+218 91 000 0001" in first["text"]
    assert {e["type"] for e in first["raw"]["entities"]} == {"mention", "phone", "link"}
    assert first["platform"] == "telegram" and first["conversation_id"] == "1500000001"
    assert first["author_id"] == "channel1500000001"
    # created_at from date_unixtime (UTC), not the exporting computer's local "date"
    assert first["created_at"] == "2024-01-05T10:00:00+00:00"
    reply = posts["1500000001:4"]
    assert reply["reply_to"] == "1500000001:2"
    assert reply["raw"]["forwarded_from"] == "Sea Watch News (demo)"
    photo = posts["1500000001:3"]
    assert photo["text"] == "" and photo["media"][0]["path"].endswith("photos/photo_3@05-01-2024_12-05-00.jpg")
    assert photo["raw"]["edited"] == "2024-01-05T10:07:30+00:00"
    assert posts["1500000001:5"]["media"][0]["missing"].startswith("(File not included")
    assert posts["1500000001:13"]["raw"]["entities"] == [
        {"type": "text_link", "text": "ici", "href": "https://example.org/demo-offre"}]
    assert posts["1500000001:13"]["raw"]["author"] == "مشرف ٢"  # the channel post's signature
    assert posts["1500000001:12"]["text"].startswith("متى الرحلة القادمة؟")  # a poll's question and answers


def test_service_messages_are_counted_not_bad():
    src = TelegramSource()
    good, bad = split(src.records(CHANNEL))
    assert src.skipped["telegram service"] == 2
    assert all(r.data["id"] not in ("1500000001:1", "1500000001:9") for r in good)
    assert all("service" not in b.reason for b in bad)


def test_bad_messages_are_reported_with_line_field_and_reason():
    _, bad = split(TelegramSource().records(CHANNEL))
    found = {(b.field, b.reason.split(":")[0]) for b in bad}
    assert ("text", "must be a string or a list of strings and entity objects, got int") in found
    assert ("id", "message id missing or not a number/string") in found
    assert ("date_unixtime", "not epoch seconds") in found
    broken = next(b for b in bad if "invalid JSON" in b.reason)
    lines = CHANNEL.read_text(encoding="utf-8").splitlines()
    assert lines[broken.line - 1].strip() == "{" and '"id": 8' in lines[broken.line]
    assert b'"id": 8' in broken.raw


def test_reader_resumes_after_a_broken_message():
    good, _ = split(TelegramSource().records(CHANNEL))
    ids = [r.data["id"] for r in good]
    assert "1500000001:10" in ids and "1500000001:13" in ids  # after message 8 (broken)


def test_control_character_escapes_written_by_telegram_desktop_are_read():
    posts = by_id(split(TelegramSource().records(CHANNEL))[0])
    assert posts["1500000001:10"]["text"] == "السطر الأول\x0bالسطر الثاني"


def test_raw_bytes_are_the_message_as_written():
    good, _ = split(TelegramSource().records(CHANNEL))
    rec = next(r for r in good if r.data["id"] == "1500000001:4")
    assert json.loads(rec.raw)["forwarded_from"] == "Sea Watch News (demo)"
    assert rec.raw in CHANNEL.read_bytes()


def test_full_account_export_reads_every_chat_including_left_ones():
    src = TelegramSource()
    good, bad = split(src.records(ACCOUNT))
    posts = by_id(good)
    assert set(posts) == {"1600000001:101", "1600000001:102", "1600000001:103", "1600000001:104",
                          "700000003:1", "700000003:2", "1500000100:7"}
    assert posts["1600000001:102"]["reply_to"] == "1600000001:101"
    assert {"type": "email", "text": "demo.contact@example.org"} in posts["1600000001:102"]["raw"]["entities"]
    assert posts["1600000001:104"]["text"] == "Demo Driver +90 555 000 0000"  # a contact card
    assert posts["1500000100:7"]["author_id"] == "channel1500000100"  # a channel post without "from"
    assert posts["700000003:2"]["media"][0]["type"] == "voice_message"
    assert [(b.field, b.reason) for b in bad] == [("messages", "must be a list of messages")]
    assert src.skipped["telegram service"] == 1


def test_url_needs_the_public_username():
    posts = by_id(split(TelegramSource().records(CHANNEL))[0])
    assert posts["1500000001:2"]["url"] is None
    named = by_id(split(TelegramSource(usernames={"1500000001": "@rahalat_demo"}).records(CHANNEL))[0])
    assert named["1500000001:2"]["url"] == "https://t.me/rahalat_demo/2"


def test_small_reads_give_the_same_records():
    """Messages split across read boundaries are reassembled exactly."""
    whole = [(r.line, r.data, r.raw) if hasattr(r, "data") else (r.line, r.reason)
             for r in TelegramSource().records(ACCOUNT)]
    tiny = [(r.line, r.data, r.raw) if hasattr(r, "data") else (r.line, r.reason)
            for r in TelegramSource(read_size=7).records(ACCOUNT)]
    assert tiny == whole


def test_truncated_export_keeps_what_was_read_and_reports_the_cut(tmp_path):
    data = CHANNEL.read_bytes()
    cut = tmp_path / "result.json"
    cut.write_bytes(data[: data.index(b'"id": 5,')])
    good, bad = split(TelegramSource().records(cut))
    assert [r.data["id"] for r in good] == ["1500000001:2", "1500000001:3", "1500000001:4"]
    assert "truncated" in bad[-1].reason


def test_not_an_export(tmp_path):
    odd = tmp_path / "result.json"
    odd.write_text("[1, 2, 3]")
    _, bad = split(TelegramSource().records(odd))
    assert len(bad) == 1 and "not a Telegram Desktop export" in bad[0].reason


def test_good_records_become_posts():
    for rec in split(TelegramSource().records(ACCOUNT))[0]:
        post = to_post(rec, detect_lang=False)
        assert post.platform == "telegram" and post.raw["chat"]["id"]
