"""Write the bundled sample (examples/sample/) and its answer key from examples/sample_src/.

    .venv/bin/python examples/make_sample.py           # rewrite examples/sample/* and sample_truth.json
    .venv/bin/python examples/make_sample.py --out DIR # write somewhere else (the tests compare)

Why generated: the same ~300 hand-written posts appear in six export formats, each with its
own ids, clocks and structure (Telegram message ids and text-entity lists, X snowflake ids
with t.co links and an ``includes.users`` table, WhatsApp ids that are line numbers, ...).
Writing those by hand would let the answer key drift from the files; here both come from
one source, the YAML files in ``sample_src/``, which hold every text as a literal with the
label its author meant. Nothing is random: re-running gives byte-identical files.

The answer key (``sample_truth.json``) lives outside ``sample/`` so that a scan of the
sample never reads it. It holds, per post (keyed ``platform:id`` as marsad stores it), the
intended label, subtype, language and dialect; per export file, the adapter that should
read it and the posts per platform; and the planted networks as marsad account keys
(``platform:author_id``).
"""
from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import json
import re
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SRC = HERE / "sample_src"
SAMPLE = HERE / "sample"
TRUTH = HERE / "sample_truth.json"

FILES = {  # output file (relative to sample/) -> (source, adapter that must read it)
    "facebook_instagram.jsonl": ("facebook_instagram.yaml", "jsonl"),
    "telegram/result.json": ("telegram.yaml", "telegram"),
    "x_search.json": ("x.yaml", "x"),
    "tiktok_videos.json": ("tiktok.yaml", "tiktok"),
    "meta_content_library.csv": ("meta_content_library.yaml", "meta"),
    "WHATSAPP": ("whatsapp.yaml", "whatsapp"),   # name depends on the group: see whatsapp()
}


def _load(name: str) -> dict:
    with open(SRC / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _when(value: str) -> datetime:
    return datetime.strptime(str(value), "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc)


def _n(key: str, mod: int) -> int:
    """A stable number from a string (for counts and ids that must look varied)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:6], "big") % mod


def _truth(post: dict, file: str, platform: str, account: str) -> dict:
    out = {"file": file, "platform": platform, "account": account, "label": post["label"],
           "subtype": post["sub"], "lang": post["lang"]}
    if post.get("dialect"):
        out["dialect"] = post["dialect"]
    return out


def _dump_json(data, indent) -> str:
    return json.dumps(data, ensure_ascii=False, indent=indent) + "\n"


# -- canonical JSONL (Facebook, Instagram) --------------------------------------------------

def canonical(src: dict, file: str):
    accounts, posts = src["accounts"], src["posts"]
    lines, truth, keys, refs = [], {}, {}, {}
    for i, p in enumerate(posts):
        a = accounts[p["acct"]]
        when = _when(p["at"])
        parent = refs.get(p.get("reply"))
        if a["platform"] == "facebook":
            if parent:
                obj = parent["id"].split("_")[1]
                pid = f"{obj}_{1000000000000000 + _n(p['text'], 10**15)}"
                url = f"{parent['url']}?comment_id={pid.split('_')[1]}"
            else:
                pid = f"{a['id']}_{122100000000000000 + i * 7919}"
                url = f"https://www.facebook.com/{a['handle']}/posts/{pid.split('_')[1]}"
        else:
            if parent:
                pid = str(17900000000000000 + _n(p["text"], 10**14))
                url = f"{parent['url']}c/{pid}/"
            else:
                pid = f"{3600000000000000000 + i * 104729}_{a['id']}"
                code = base64.urlsafe_b64encode(int(pid.split("_")[0]).to_bytes(8, "big")).decode().rstrip("=")
                url = f"https://www.instagram.com/p/{code}/"
        rec = {"id": pid, "platform": a["platform"], "author_id": a["id"], "author_handle": a["handle"],
               "created_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "url": url, "text": p["text"]}
        if p.get("media"):
            rec["media"] = [{"type": "photo", "path": f"media/{m}"} for m in p["media"]]
        if parent:
            rec["conversation_id"] = parent["id"]
            rec["reply_to"] = parent["id"]
        if p.get("ref"):
            refs[p["ref"]] = rec
        lines.append(json.dumps(rec, ensure_ascii=False))
        account = f"{a['platform']}:{a['id']}"
        truth[f"{a['platform']}:{pid}"] = _truth(p, file, a["platform"], account)
        keys[p["acct"]] = account
    return {file: "\n".join(lines) + "\n"}, truth, keys


# -- Telegram Desktop export ----------------------------------------------------------------

_TG_ENTITY = re.compile(
    r"(?P<link>https?://\S+|\b(?:t\.me|wa\.me)/\S+)"
    r"|(?P<mention>(?<![\w/.@])@[A-Za-z0-9_]{4,32})"
    r"|(?P<hashtag>(?<!\w)#[^\s#]+)"
    r"|(?P<phone>\+\d{1,3}(?:[ .]\d{2,4}){2,5}\b)")
MISSING_FILE = "(File not included. Change data exporting settings to download.)"


def _tg_text(text: str):
    """Telegram Desktop's two views of a text: ``text`` (a string, or a list of strings and
    entity objects when the text has links, mentions, hashtags or phone numbers) and
    ``text_entities`` (every run typed, plain runs included)."""
    parts, runs, pos = [], [], 0
    for m in _TG_ENTITY.finditer(text):
        if m.start() > pos:
            parts.append(text[pos:m.start()])
            runs.append({"type": "plain", "text": text[pos:m.start()]})
        ent = {"type": m.lastgroup, "text": m.group()}
        parts.append(ent)
        runs.append(dict(ent))
        pos = m.end()
    if pos < len(text):
        parts.append(text[pos:])
        runs.append({"type": "plain", "text": text[pos:]})
    if all(isinstance(x, str) for x in parts):
        return text, ([{"type": "plain", "text": text}] if text else [])
    return parts, runs


def telegram(src: dict, file: str):
    chat, accounts = src["chat"], src["accounts"]
    sign = 1 if chat["utc_offset"][0] == "+" else -1
    hh, mm = chat["utc_offset"][1:].split(":")
    offset = timedelta(hours=int(hh), minutes=int(mm)) * sign
    events = sorted(src["events"], key=lambda e: _when(e["at"]))   # stable: file order on ties
    messages, truth, keys, refs = [], {}, {}, {}
    for n, e in enumerate(events, 1):
        when = _when(e["at"])
        head = {"id": n, "type": "service" if "service" in e else "message",
                "date": (when + offset).strftime("%Y-%m-%dT%H:%M:%S"), "date_unixtime": str(int(when.timestamp()))}
        if "service" in e:
            a = accounts[e["actor"]]
            msg = {**head, "actor": a["name"], "actor_id": a["id"], "action": e["service"]}
            if e["service"] == "create_group":
                msg.update(title=e["title"], members=[a["name"]])
            elif e["service"] == "pin_message":
                msg["message_id"] = refs[e["pin"]]
            elif e["service"] == "join_group_by_link":
                msg["inviter"] = "Group"
            msg.update(text="", text_entities=[])
            messages.append(msg)
            continue
        a = accounts[e["acct"]]
        msg = {**head, "from": a["name"], "from_id": a["id"]}
        if e.get("forwarded_from"):
            msg["forwarded_from"] = e["forwarded_from"]
        if e.get("reply"):
            msg["reply_to_message_id"] = refs[e["reply"]]
        if e.get("photo_missing"):
            msg.update(photo=MISSING_FILE, width=1280, height=960)
        msg["text"], msg["text_entities"] = _tg_text(e["text"])
        messages.append(msg)
        if e.get("ref"):
            refs[e["ref"]] = n
        account = f"telegram:{a['id']}"
        truth[f"telegram:{chat['id']}:{n}"] = _truth(e, file, "telegram", account)
        keys[e["acct"]] = account
    export = {"name": chat["name"], "type": chat["type"], "id": chat["id"], "messages": messages}
    return {file: _dump_json(export, 1)}, truth, keys


# -- X API v2 search response ---------------------------------------------------------------

_X_EPOCH_MS = 1288834974657
_URL = re.compile(r"https?://\S+|\b(?:t\.me|wa\.me)/\S+")
_HASHTAG = re.compile(r"(?<!\w)#([^\s#]+)")
_MENTION = re.compile(r"(?<![\w/.@])@([A-Za-z0-9_]{1,15})\b")


def _tco(url: str) -> str:
    return "https://t.co/" + base64.b32encode(hashlib.sha256(url.encode()).digest()).decode()[:10].lower()


def _x_entities(text: str) -> tuple[str, dict]:
    """X shortens every link to t.co in ``text``; ``entities`` keep where and what it was."""
    urls, out, pos = [], [], 0
    for m in _URL.finditer(text):
        out.append(text[pos:m.start()])
        short = _tco(m.group())
        start = sum(map(len, out))
        expanded = m.group() if m.group().startswith("http") else f"https://{m.group()}"
        urls.append({"start": start, "end": start + len(short), "url": short, "expanded_url": expanded,
                     "display_url": re.sub(r"^https?://", "", m.group())[:28]})
        out.append(short)
        pos = m.end()
    out.append(text[pos:])
    text = "".join(out)
    ents: dict = {}
    tags = [{"start": m.start(), "end": m.end(), "tag": m.group(1)} for m in _HASHTAG.finditer(text)]
    mentions = [{"start": m.start(), "end": m.end(), "username": m.group(1)} for m in _MENTION.finditer(text)]
    for key, value in (("hashtags", tags), ("mentions", mentions), ("urls", urls)):
        if value:
            ents[key] = value
    return text, ents


def x(src: dict, file: str):
    accounts = src["accounts"]
    tweets, truth, keys = [], {}, {}
    for seq, p in enumerate(src["posts"]):
        a = accounts[p["acct"]]
        when = _when(p["at"])
        tid = str(((int(when.timestamp() * 1000) - _X_EPOCH_MS) << 22) + (seq << 12) + _n(p["text"], 4096))
        text, ents = _x_entities(p["text"])
        tweet = {"id": tid, "text": text, "author_id": a["id"], "created_at": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                 "lang": p["lang"] if p["lang"] != "ku" else "und", "conversation_id": tid,
                 "edit_history_tweet_ids": [tid], "possibly_sensitive": False,
                 "public_metrics": {"retweet_count": _n(tid + "r", 40), "reply_count": _n(tid + "c", 25),
                                    "like_count": _n(tid + "l", 400), "quote_count": _n(tid + "q", 5),
                                    "bookmark_count": _n(tid + "b", 12), "impression_count": _n(tid + "i", 20000)}}
        if ents:
            tweet["entities"] = ents
        tweets.append((when, tweet))
        account = f"x:{a['id']}"
        truth[f"x:{tid}"] = _truth(p, file, "x", account)
        keys[p["acct"]] = account
    tweets = [t for _, t in sorted(tweets, key=lambda wt: (wt[0], wt[1]["id"]), reverse=True)]   # newest first
    used = {t["author_id"] for t in tweets}
    users = []
    for key, a in accounts.items():
        if a["id"] not in used:
            continue
        user = {"id": a["id"], "name": a["name"], "username": a["username"],
                "created_at": f"20{15 + _n(a['id'], 10):02d}-0{1 + _n(a['id'] + 'm', 9)}-1{_n(a['id'] + 'd', 9)}T10:00:00.000Z",
                "verified": False,
                "public_metrics": {"followers_count": _n(a["id"] + "f", 30000), "following_count": _n(a["id"] + "g", 900),
                                   "tweet_count": 20 + _n(a["id"] + "t", 5000), "listed_count": _n(a["id"] + "l", 40)}}
        if a.get("location"):
            user["location"] = a["location"]
        users.append(user)
    response = {"data": tweets, "includes": {"users": users},
                "meta": {"newest_id": tweets[0]["id"], "oldest_id": tweets[-1]["id"], "result_count": len(tweets)}}
    return {file: _dump_json(response, 2)}, truth, keys


# -- TikTok Research API video query ------------------------------------------------------------

def tiktok(src: dict, file: str):
    accounts = src["accounts"]
    videos, truth, keys = [], {}, {}
    for seq, p in enumerate(src["posts"]):
        a = accounts[p["acct"]]
        when = _when(p["at"])
        vid = (int(when.timestamp()) << 32) + (seq << 16) + _n(p["text"], 65536)
        v = {"id": vid, "create_time": int(when.timestamp()), "username": a["username"], "region_code": a["region"],
             "video_description": p["text"], "hashtag_names": [m.group(1) for m in _HASHTAG.finditer(p["text"])],
             "voice_to_text": p.get("voice", ""), "music_id": 7000000000000000000 + _n(p["text"] + "m", 10**17),
             "like_count": _n(p["text"] + "l", 9000), "comment_count": _n(p["text"] + "c", 300),
             "share_count": _n(p["text"] + "s", 500), "view_count": 100 + _n(p["text"] + "v", 90000),
             "video_duration": 8 + _n(p["text"] + "d", 80)}
        videos.append((when, v))
        account = f"tiktok:{a['username']}"
        truth[f"tiktok:{vid}"] = _truth(p, file, "tiktok", account)
        keys[p["acct"]] = account
    videos = [v for _, v in sorted(videos, key=lambda wv: (wv[0], wv[1]["id"]), reverse=True)]
    response = {"data": {"videos": videos, "cursor": len(videos), "has_more": False, "search_id": src["search_id"]},
                "error": {"code": "ok", "message": "", "log_id": "20260301120000A1B2C3D4E5F6G7H8I9"}}
    return {file: _dump_json(response, 2)}, truth, keys


# -- Meta Content Library CSV download ----------------------------------------------------------

MCL_COLUMNS = ["id", "creation_time", "modified_time", "text", "lang", "content_type", "is_branded_content",
               "match_type", "mcl_url", "multimedia", "post_owner.type", "post_owner.id", "post_owner.name",
               "post_owner.username", "surface.type", "surface.id", "surface.name", "statistics.like_count",
               "statistics.love_count", "statistics.wow_count", "statistics.haha_count", "statistics.sad_count",
               "statistics.angry_count", "statistics.care_count", "statistics.reaction_count",
               "statistics.comment_count", "statistics.share_count", "statistics.views",
               "statistics.views_date_last_refreshed", "shared_post_id"]


def meta_content_library(src: dict, file: str):
    accounts, surfaces = src["accounts"], src["surfaces"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(MCL_COLUMNS)
    truth, keys = {}, {}
    for i, p in enumerate(sorted(src["posts"], key=lambda q: _when(q["at"]))):
        a = accounts[p["acct"]]
        s = surfaces[p["surface"]] if p.get("surface") else {"id": a["id"], "type": a["type"], "name": a["name"]}
        when = _when(p["at"]).strftime("%Y-%m-%dT%H:%M:%S+0000")
        pid = str(1220000000000000 + i * 1000003 + _n(p["text"], 1000))
        r = {k: _n(pid + k, m) for k, m in (("like", 300), ("love", 40), ("wow", 5), ("haha", 20), ("sad", 15),
                                            ("angry", 10), ("care", 5), ("comment", 80), ("share", 60))}
        w.writerow([pid, when, when, p["text"], p["lang"], "status", "False", "1",
                    f"https://www.facebook.com/transparency-tools/content-library/dataset/{src['dataset']}/facebook/entity/{pid}",
                    "", a["type"], a["id"], a["name"], "", s["type"], s["id"], s["name"],
                    r["like"], r["love"], r["wow"], r["haha"], r["sad"], r["angry"], r["care"],
                    sum(r[k] for k in ("like", "love", "wow", "haha", "sad", "angry", "care")),
                    r["comment"], r["share"], "", "", ""])
        account = f"facebook:{a['id']}"
        truth[f"facebook:{pid}"] = _truth(p, file, "facebook", account)
        keys[p["acct"]] = account
    return {file: "\ufeff" + buf.getvalue()}, truth, keys


# -- WhatsApp chat export (Android) -------------------------------------------------------------

def whatsapp(src: dict, _file: str):
    accounts = src["accounts"]
    file = f"WhatsApp Chat with {src['chat']}.txt"
    stem = Path(file).stem
    lines, truth, keys = [], {}, {}
    for e in sorted(src["events"], key=lambda ev: _when(ev["at"])):
        stamp = _when(e["at"]).strftime("%d/%m/%Y, %H:%M")
        if "system" in e:
            lines.append(f"{stamp} - {e['system']}")
            continue
        a = accounts[e["acct"]]
        if e.get("deleted"):
            lines.append(f"{stamp} - {a['name']}: This message was deleted")
            continue
        first = len(lines) + 1
        body = "<Media omitted>" if e.get("media_omitted") else e["text"]
        lines.extend(f"{stamp} - {a['name']}: {body}".split("\n"))
        account = f"whatsapp:{a['name']}"
        truth[f"whatsapp:{stem}:{first}"] = _truth(e, file, "whatsapp", account)
        keys[e["acct"]] = account
    return {file: "\n".join(lines) + "\n"}, truth, keys


WRITERS = {"jsonl": canonical, "telegram": telegram, "x": x, "tiktok": tiktok, "meta": meta_content_library,
           "whatsapp": whatsapp}


# -- all together -------------------------------------------------------------------------------

def build() -> tuple[dict[str, str], dict]:
    """``({path relative to sample/: text}, answer key)``."""
    outputs: dict[str, str] = {}
    posts: dict[str, dict] = {}
    account_keys: dict[str, str] = {}
    files: dict[str, dict] = {}
    for name, (source, adapter) in FILES.items():
        written, truth, keys = WRITERS[adapter](_load(source), name)
        (path, text), = written.items()
        outputs[path] = text
        clash = set(posts) & set(truth)
        if clash:
            raise SystemExit(f"duplicate post keys: {sorted(clash)[:3]}")
        posts.update(truth)
        account_keys.update(keys)
        files[path] = {"adapter": adapter, "posts": len(truth),
                       "platforms": dict(sorted(Counter(t["platform"] for t in truth.values()).items()))}
    nets = _load("networks.yaml")

    def resolve(group: list[dict]) -> list[dict]:
        out = []
        for net in group:
            missing = [k for k in net["accounts"] if k not in account_keys]
            if missing:
                raise SystemExit(f"{net['id']}: accounts without posts: {missing}")
            accounts = [account_keys[k] for k in net["accounts"]]
            out.append({"id": net["id"], "name": net["name"], "harm": net["harm"], "accounts": accounts,
                        "platforms": sorted({a.split(":", 1)[0] for a in accounts}),
                        "shared": net["shared"], "forms": net["forms"],
                        "posts": sum(1 for t in posts.values() if t["account"] in accounts)})
        return out

    networks, lookalikes = resolve(nets["networks"]), resolve(nets["benign_networks"])
    for net in networks + lookalikes:
        for key in net["accounts"]:
            for t in posts.values():
                if t["account"] == key:
                    t["network"] = net["id"]
    counts = {"posts": len(posts),
              "platforms": dict(Counter(t["platform"] for t in posts.values()).most_common()),
              "labels": dict(Counter(t["label"] for t in posts.values()).most_common()),
              "languages": dict(Counter(t["lang"] for t in posts.values()).most_common()),
              "arabic_dialects": dict(Counter(t.get("dialect") for t in posts.values()
                                              if t["lang"] == "ar").most_common())}
    truth = {"about": "Answer key of examples/sample/: the label each post was written to carry, and the "
                      "networks planted in it. Generated by examples/make_sample.py; do not edit by hand.",
             "counts": counts, "files": files, "networks": networks, "benign_networks": lookalikes,
             "posts": dict(sorted(posts.items()))}
    return outputs, truth


def write(out: Path, truth_path: Path) -> dict:
    outputs, truth = build()
    for rel, text in outputs.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    with open(truth_path, "w", encoding="utf-8", newline="") as fh:
        fh.write(_dump_json(truth, 1))
    return truth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=SAMPLE, help="folder for the exports (default: examples/sample)")
    parser.add_argument("--truth", type=Path, default=None, help="answer key path (default: beside --out's parent)")
    args = parser.parse_args(argv)
    truth_path = args.truth or (TRUTH if args.out == SAMPLE else args.out.parent / "sample_truth.json")
    truth = write(args.out, truth_path)
    c = truth["counts"]
    print(f"{c['posts']} posts: {c['platforms']}\nlabels: {c['labels']}\nlanguages: {c['languages']}\n"
          f"arabic dialects: {c['arabic_dialects']}\nnetworks: "
          + ", ".join(f"{n['id']} ({len(n['accounts'])} accounts)" for n in truth["networks"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
