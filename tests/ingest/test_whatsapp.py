from marsad.ingest.whatsapp import WhatsAppSource

from tests.ingest.sample import FIXTURES, by_id, split

ANDROID = FIXTURES / "WhatsApp Chat with Rihla Demo.txt"
IOS = FIXTURES / "whatsapp_ios_chat" / "_chat.txt"
A24 = FIXTURES / "whatsapp_android_24h.txt"
CHAT = "WhatsApp Chat with Rihla Demo"


def test_android_12h_messages():
    src = WhatsAppSource()
    posts = by_id(split(src.records(ANDROID))[0])
    first = posts[f"{CHAT}:4"]
    assert first["text"] == ("السلام عليكم، الرحلة القادمة يوم الجمعة\nالسعر 2500 يورو للشخص\n"
                             "الدفع نصف مقدم والباقي عند الوصول")  # continuation lines appended
    assert first["author_id"] == "Demo Admin" and first["platform"] == "whatsapp"
    assert first["created_at"] == "2024-01-05T21:45:00"  # M/D/YY (13 in the second field), 9:45 PM
    assert first["conversation_id"] == CHAT and first["raw"]["local_time"] is True
    assert posts[f"{CHAT}:7"]["author_id"] == "+218 91 000 0002"
    assert posts[f"{CHAT}:8"]["media"] == [{"type": "media", "missing": "omitted from the export"}]
    attached = posts[f"{CHAT}:9"]
    assert attached["media"][0]["path"].endswith("IMG-20240105-WA0003.jpg") and attached["text"] == "صورة القارب"
    edited = posts[f"{CHAT}:12"]
    assert edited["text"] == "Est-ce que c'est sûr ?" and edited["raw"]["edited"] is True


def test_android_system_and_deleted_messages_are_counted():
    src = WhatsAppSource()
    good, _ = split(src.records(ANDROID))
    assert src.skipped["whatsapp system message"] == 4  # encryption, created, joined, subject change
    assert src.skipped["whatsapp deleted message"] == 1
    assert f"{CHAT}:15" not in by_id(good)  # "Karim changed the subject from "old: name" ..."


def test_android_bad_lines():
    _, bad = split(WhatsAppSource().records(ANDROID))
    assert [(b.line, b.field) for b in bad] == [(13, "timestamp"), (14, "timestamp"), (16, None)]
    assert "month must be in 1..12" in bad[0].reason
    assert "hour 25" in bad[1].reason
    assert "line 17 is not UTF-8" in bad[2].reason and b"\xff" in bad[2].raw


def test_ios_lines_with_marks_and_attachments():
    src = WhatsAppSource()
    good, bad = split(src.records(IOS))
    posts = by_id(good)
    chat = "whatsapp_ios_chat/_chat"
    assert set(posts) == {f"{chat}:{n}" for n in (5, 6, 7, 8, 9, 11)}
    assert posts[f"{chat}:5"]["created_at"] == "2023-12-31T21:45:00"
    assert posts[f"{chat}:6"]["media"][0]["path"].endswith("00000012-PHOTO-2023-12-31-21-45-30.jpg")
    assert posts[f"{chat}:7"]["media"] == [{"type": "image", "missing": "omitted from the export"}]
    assert posts[f"{chat}:8"]["media"][0]["name"] == "price_list"
    assert posts[f"{chat}:9"]["text"] == "Merhaba, yer var mı?\nİki kişiyiz, çocuk da var."  # CRLF file
    # a user's words are not taken for a system line ("added", "left" without iOS's mark)
    assert posts[f"{chat}:11"]["text"].startswith("I added you to the list")
    assert src.skipped["whatsapp system message"] == 3
    assert [(b.line, b.field) for b in bad] == [(1, None), (12, "timestamp")]
    assert "no timestamp before it" in bad[0].reason


def test_day_first_inferred_from_the_file():
    posts = by_id(split(WhatsAppSource().records(A24))[0])
    assert posts["whatsapp_android_24h:4"]["created_at"] == "2024-01-01T08:30:00"  # 01/01: order from 31/12


def test_ids_are_stable_across_runs():
    first = [r.data["id"] for r in split(WhatsAppSource().records(ANDROID))[0]]
    again = [r.data["id"] for r in split(WhatsAppSource().records(ANDROID))[0]]
    assert first == again and len(set(first)) == len(first)


def test_month_first_when_only_the_clock_tells(tmp_path):
    path = tmp_path / "chat.txt"
    path.write_text("3/4/24, 9:00 AM - A: hello\n", encoding="utf-8")
    (rec,) = split(WhatsAppSource().records(path))[0]
    assert rec.data["created_at"] == "2024-03-04T09:00:00"
    path.write_text("3/4/24, 09:00 - A: hello\n", encoding="utf-8")
    (rec,) = split(WhatsAppSource().records(path))[0]
    assert rec.data["created_at"] == "2024-04-03T09:00:00"


def test_sniff_needs_a_chat_line(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("just some notes\nnothing else\n")
    assert not WhatsAppSource.sniff(path, path.read_bytes())
    assert WhatsAppSource.sniff(ANDROID, ANDROID.read_bytes()[:65536])
