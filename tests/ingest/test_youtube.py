from marsad.ingest.youtube import YouTubeSource

from tests.ingest.sample import FIXTURES, by_id, split

THREADS = FIXTURES / "youtube_comment_threads.json"
SEARCH = FIXTURES / "youtube_search_videos.jsonl"


def test_comment_threads_and_their_replies():
    posts = by_id(split(YouTubeSource().records(THREADS))[0])
    top = posts["UgxDemoComment0001AaBbCc"]
    assert top["text"] == "فين نلقاو الرقم ديال الرحلة؟\nبغيت نمشي مع خويا"  # textOriginal, not the HTML
    assert top["author_id"] == "UCdemoUser00000000000001" and top["author_handle"] == "zahra_demo"
    assert top["conversation_id"] == "dQw4Demo001" and top["reply_to"] == "dQw4Demo001"
    assert top["url"] == "https://www.youtube.com/watch?v=dQw4Demo001&lc=UgxDemoComment0001AaBbCc"
    assert top["created_at"] == "2024-02-10T18:00:00+00:00"
    reply = posts["UgxDemoComment0001AaBbCc.9zDemoReply0001"]
    assert reply["reply_to"] == "UgxDemoComment0001AaBbCc"
    old_style = posts["UgxDemoComment0001AaBbCc.9zDemoReply0002"]
    assert old_style["author_handle"] is None and old_style["raw"]["authorDisplayName"] == "Old Style Name"


def test_bad_comments_are_located():
    _, bad = split(YouTubeSource().records(THREADS))
    assert [b.field for b in bad] == ["items[2].snippet.topLevelComment.snippet.publishedAt",
                                      "items[3].snippet.topLevelComment.snippet.textOriginal",
                                      "items[4].snippet.topLevelComment"]
    assert all(b.line > 1 for b in bad)


def test_search_results_are_unescaped_and_channels_skipped():
    src = YouTubeSource()
    good, bad = split(src.records(SEARCH))
    posts = by_id(good)
    found = posts["DemoVid0001"]
    assert found["text"].startswith('جوازات سفر "أصلية" وإقامات - اتصل بنا & اطلب\n\n')
    assert "&quot;" in found["raw"]["snippet"]["title"]  # the snippet as received
    assert found["author_id"] == "UCdemoChannel00000000002"
    assert found["media"] == [{"type": "thumbnail", "url": "https://i.ytimg.com/vi/DemoVid0001/hqdefault.jpg"}]
    assert src.skipped["youtube channel result"] == 1
    video = posts["DemoVid0002"]
    assert video["lang"] == "en" and video["raw"]["statistics"]["viewCount"] == "1200"
    assert video["text"].startswith("Migration: what the smugglers don't tell you\n\n")
    assert [(b.line, b.field) for b in bad] == [(1, "items[2].id"), (3, "error")]
    assert "quota" in bad[1].reason
