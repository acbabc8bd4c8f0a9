"""Evidence: every stored item sealed into the hash-chained log, and bundles anyone can check.

**Sealing.** ``seal`` takes the stored posts not yet sealed, in groups of ``SEAL_BATCH``.
For each post it writes an ``evidence`` row: the SHA-256 of the raw bytes as captured
(``posts.sha256``, computed at ingest), the capture time, and ``content_sha256``, the
SHA-256 of the stored item's canonical JSON (so an edit to a stored post is detectable
too). The group's rows are digested (SHA-256 over their canonical lines) and that digest
is appended to the audit log as one ``evidence.seal`` entry: from then on, changing any
sealed fact breaks either the digest or the chain.

**Bundles.** ``export`` seals what is new, then writes a folder:

    items.jsonl       the items in scope, one canonical JSON line each (hash = content_sha256)
    evidence.jsonl    the evidence rows of every seal that covers an item in scope
    audit_log.jsonl   the whole hash chain, genesis to head
    findings.jsonl    what the detector said about each item (not sealed: re-detection changes it)
    media.jsonl       media hashes of the items (SHA-256, MD5, PDQ); never media bytes
    manifest.json     scope, counts, the chain head, and each file's SHA-256 and size
    SHA256SUMS        ``sha256sum -c`` format, every file above including the manifest
    README.txt        how to check the bundle by hand

``verify_bundle`` checks it offline with no database: file hashes (naming the file that
differs), the chain, the manifest's head, every seal's digest, and every item against its
sealed hash. ``docs/evidence.md`` gives the same checks with ``sha256sum`` and ``jq``.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from sqlalchemy import and_, select, tuple_
from sqlalchemy.engine import Connection, Engine

from marsad import __version__
from marsad.errors import InputError
from marsad.review import audit
from marsad.store.schema import findings, posts
from marsad.store.tables_media import media
from marsad.store.tables_review import evidence, referral_items

FORMAT = "marsad-evidence/1"
SEAL_BATCH = 5000
ITEM_FIELDS = ("platform", "id", "author_id", "author_handle", "created_at", "lang", "text", "url",
               "conversation_id", "reply_to", "media", "messages", "raw", "sha256", "source", "line")
EVIDENCE_FIELDS = ("platform", "post_id", "sha256", "content_sha256", "captured_at", "source", "line")
FILES = ("items.jsonl", "evidence.jsonl", "audit_log.jsonl", "findings.jsonl", "media.jsonl", "README.txt",
         "manifest.json")
README = """marsad evidence bundle ({format})

Check it without marsad (Debian/Ubuntu: coreutils and jq):

  1. Files:  sha256sum -c SHA256SUMS
     Then compare the SHA-256 of SHA256SUMS itself with the value recorded when the
     bundle was handed over (custody note, referral letter):  sha256sum SHA256SUMS
  2. Chain:  every line of audit_log.jsonl hashes to its "hash" and names the previous
     line's hash as "prev_hash" (the first names 64 zeros):
       prev=0000000000000000000000000000000000000000000000000000000000000000
       while IFS= read -r line; do
         got=$(printf '%s' "$line" | jq -j '[.prev_hash,.at,.actor,.action,.subject,.details] | join("\\u001f")' | sha256sum | cut -c1-64)
         want=$(printf '%s' "$line" | jq -r .hash); p=$(printf '%s' "$line" | jq -r .prev_hash)
         [ "$got" = "$want" ] && [ "$p" = "$prev" ] || echo "BROKEN at id $(printf '%s' "$line" | jq .id)"
         prev=$want
       done < audit_log.jsonl
     The last hash must equal manifest.json "audit"."head".
  3. Items:  the SHA-256 of each line of items.jsonl (without its newline) is that item's
     "content_sha256" in evidence.jsonl; each seal's evidence lines hash to the "digest" in
     its audit_log.jsonl entry. `marsad evidence verify DIR` runs all of this at once.

The raw bytes' SHA-256 ("sha256") lets a holder of the original capture file check that
record against it.
"""


def _text_time(value) -> str | None:
    """Times as text, UTC, microseconds: the one spelling that is hashed."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    dt = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def item_record(row) -> dict:
    """The stored post as sealed and exported: its fields plus the capture time."""
    m = row._mapping if hasattr(row, "_mapping") else row
    rec = {f: m[f] for f in ITEM_FIELDS}
    rec["created_at"] = _text_time(rec["created_at"])
    rec["captured_at"] = _text_time(m["ingested_at"])
    return rec


def evidence_line(ev: dict) -> str:
    return audit.canonical({f: ev[f] for f in EVIDENCE_FIELDS})


def digest(lines: Iterable[str]) -> str:
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8") + b"\n")
    return h.hexdigest()


# ---- sealing ---------------------------------------------------------------------------
def seal(engine: Engine, *, actor: str, batch: int = SEAL_BATCH) -> dict:
    """Seal every stored post not yet sealed; one audit entry per ``batch`` new posts.

    One pass over the posts in primary-key order (keyset paging, so each step is an index
    range scan however large the store), skipping what is already sealed."""
    sealed, seals, last = 0, [], None
    while True:
        with engine.begin() as conn:
            query = (select(posts, evidence.c.id.label("sealed_as"))
                     .outerjoin(evidence, and_(evidence.c.platform == posts.c.platform,
                                               evidence.c.post_id == posts.c.id))
                     .order_by(posts.c.platform, posts.c.id).limit(batch))
            if last is not None:
                query = query.where(tuple_(posts.c.platform, posts.c.id) > last)
            rows = conn.execute(query).all()
            if not rows:
                break
            last = (rows[-1].platform, rows[-1].id)
            new = [r for r in rows if r.sealed_as is None]
            if not new:
                continue
            evs = []
            for r in new:
                rec = item_record(r)
                evs.append({"platform": r.platform, "post_id": r.id, "sha256": r.sha256,
                            "content_sha256": sha256_text(audit.canonical(rec)),
                            "captured_at": rec["captured_at"], "source": r.source, "line": r.line})
            d = digest(evidence_line(e) for e in evs)
            entry = audit.append(conn, actor, "evidence.seal", f"evidence:{len(evs)}",
                                 {"count": len(evs), "digest": d,
                                  "first": [evs[0]["platform"], evs[0]["post_id"]],
                                  "last": [evs[-1]["platform"], evs[-1]["post_id"]]})
            conn.execute(evidence.insert(), [e | {"seal_id": entry["id"]} for e in evs])
            sealed += len(evs)
            seals.append(entry["id"])
    return {"sealed": sealed, "seals": seals}


def check_store(conn: Connection) -> dict:
    """The live store's checks: the chain, every seal's digest, and every sealed post
    against its stored row (an edited post shows up here)."""
    chain = audit.verify_report(conn)
    problems = [] if chain["ok"] else [{"table": "audit_log", "id": chain["first_bad_id"],
                                        "error": "hash chain broken here"}]
    seals = {e["id"]: json.loads(e["details"]) for e in audit.entries(conn, action="evidence.seal")}
    by_seal: dict[int, list[str]] = {}
    for ev in conn.execution_options(yield_per=2000).execute(select(evidence).order_by(evidence.c.id)):
        by_seal.setdefault(ev.seal_id, []).append(evidence_line(ev._mapping))
    for seal_id, lines in by_seal.items():
        if seal_id not in seals or seals[seal_id]["digest"] != digest(lines):
            problems.append({"table": "evidence", "seal_id": seal_id, "error": "rows differ from their seal"})
    changed = 0
    query = select(posts, evidence.c.content_sha256).join(
        evidence, and_(evidence.c.platform == posts.c.platform, evidence.c.post_id == posts.c.id))
    for r in conn.execution_options(yield_per=2000).execute(query):
        if sha256_text(audit.canonical(item_record(r))) != r.content_sha256:
            changed += 1
            if changed <= 20:
                problems.append({"table": "posts", "post": f"{r.platform}/{r.id}",
                                 "error": "stored post differs from what was sealed"})
    return {"ok": not problems, "entries": chain["entries"], "head": chain["head"],
            "seals": len(by_seal), "problems": problems}


# ---- export ----------------------------------------------------------------------------
def _scope_query(*, platform=None, since=None, until=None, label=None, referral_id=None):
    query = select(posts).order_by(posts.c.platform, posts.c.id)
    if platform:
        query = query.where(posts.c.platform == platform)
    if since is not None:
        query = query.where(posts.c.created_at >= since)
    if until is not None:
        query = query.where(posts.c.created_at < until)
    if label:
        query = query.join(findings, and_(findings.c.platform == posts.c.platform,
                                          findings.c.post_id == posts.c.id)).where(findings.c.label == label)
    if referral_id is not None:
        query = query.join(referral_items, and_(referral_items.c.post_platform == posts.c.platform,
                                                referral_items.c.post_id == posts.c.id)).where(
            referral_items.c.referral_id == referral_id)
    return query


def _write_jsonl(path: Path, lines: Iterable[str]) -> int:
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for line in lines:
            fh.write(line + "\n")
            n += 1
    return n


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def export(engine: Engine, out_dir: str | Path, *, actor: str, platform: str | None = None,
           since=None, until=None, label: str | None = None, referral_id: int | None = None) -> dict:
    """Write a bundle of the items in scope (default: every stored item) to ``out_dir``."""
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise InputError(f"{out} is not empty: a bundle goes into a new folder", field="out")
    out.mkdir(parents=True, exist_ok=True)
    sealed = seal(engine, actor=actor)
    scope = {"platform": platform, "from": _text_time(since), "to": _text_time(until), "label": label,
             "referral_id": referral_id}
    counts = {}
    with engine.connect() as conn:
        keys, seal_ids = [], set()
        ev_by_key = {}
        items = []
        for r in conn.execute(_scope_query(platform=platform, since=since, until=until, label=label,
                                           referral_id=referral_id)):
            items.append(audit.canonical(item_record(r)))
            keys.append((r.platform, r.id))
        for i in range(0, len(keys), 400):
            chunk = keys[i:i + 400]
            for ev in conn.execute(select(evidence).where(tuple_(evidence.c.platform, evidence.c.post_id).in_(chunk))):
                ev_by_key[(ev.platform, ev.post_id)] = ev
                seal_ids.add(ev.seal_id)
        counts["items.jsonl"] = _write_jsonl(out / "items.jsonl", items)
        ev_rows = conn.execute(select(evidence).where(evidence.c.seal_id.in_(sorted(seal_ids)))
                               .order_by(evidence.c.id)) if seal_ids else []
        counts["evidence.jsonl"] = _write_jsonl(out / "evidence.jsonl", (
            audit.canonical({"id": e.id, "seal_id": e.seal_id} | {f: e._mapping[f] for f in EVIDENCE_FIELDS})
            for e in ev_rows))
        head = None
        def chain():
            nonlocal head
            for e in audit.entries(conn):
                head = e["hash"]
                yield audit.canonical({f: e[f] for f in audit.FIELDS})
        counts["audit_log.jsonl"] = _write_jsonl(out / "audit_log.jsonl", chain())
        counts["findings.jsonl"] = _write_jsonl(out / "findings.jsonl", _findings_lines(conn, keys))
        counts["media.jsonl"] = _write_jsonl(out / "media.jsonl", _media_lines(conn, keys))
    (out / "README.txt").write_text(README.format(format=FORMAT), encoding="utf-8")
    manifest = {"format": FORMAT, "created_at": audit.now_text(), "created_by": actor,
                "tool": f"marsad {__version__}", "scope": scope, "items": counts["items.jsonl"],
                "sealed_now": sealed["sealed"], "audit": {"entries": counts["audit_log.jsonl"], "head": head},
                "files": {name: {"sha256": file_sha256(out / name), "bytes": (out / name).stat().st_size,
                                 "lines": counts.get(name)} for name in FILES if name != "manifest.json"}}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                       encoding="utf-8")
    sums = "".join(f"{file_sha256(out / name)}  {name}\n" for name in FILES)
    (out / "SHA256SUMS").write_text(sums, encoding="utf-8")
    with engine.begin() as conn:
        audit.append(conn, actor, "evidence.export", f"bundle:{out.name}",
                     {"items": manifest["items"], "head": head, "sha256sums": sha256_text(sums), "scope": scope})
    return manifest | {"dir": str(out), "sha256sums": sha256_text(sums)}


def _findings_lines(conn: Connection, keys: list[tuple[str, str]]) -> Iterable[str]:
    for i in range(0, len(keys), 400):
        chunk = keys[i:i + 400]
        rows = conn.execute(select(findings).where(tuple_(findings.c.platform, findings.c.post_id).in_(chunk))
                            .order_by(findings.c.platform, findings.c.post_id))
        for f in rows:
            yield audit.canonical({"platform": f.platform, "post_id": f.post_id, "label": f.label,
                                   "risk": f.risk, "scores": f.scores, "indicators": f.indicators,
                                   "detector": f.detector, "detected_at": _text_time(f.detected_at)})


def _media_lines(conn: Connection, keys: list[tuple[str, str]]) -> Iterable[str]:
    for i in range(0, len(keys), 400):
        chunk = keys[i:i + 400]
        rows = conn.execute(select(media).where(tuple_(media.c.platform, media.c.post_id).in_(chunk))
                            .order_by(media.c.platform, media.c.post_id, media.c.media_index))
        for m in rows:
            yield audit.canonical({"platform": m.platform, "post_id": m.post_id, "media_index": m.media_index,
                                   "sha256": m.sha256, "md5": m.md5, "pdq": m.pdq, "quality": m.quality,
                                   "sensitive": bool(m.sensitive), "hashed_at": _text_time(m.hashed_at)})


# ---- offline verification --------------------------------------------------------------
def _read_sums(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        digest_hex, _, name = line.partition("  ")
        if len(digest_hex) != 64 or not name:
            raise ValueError(f"not a sha256sum line: {line[:80]!r}")
        out[name.lstrip("*")] = digest_hex.lower()
    return out


def _jsonl(path: Path) -> Iterable[tuple[int, str, dict]]:
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            yield n, line, json.loads(line)


def verify_bundle(path: str | Path) -> dict:
    """Check a bundle offline. ``ok`` is False and ``problems`` names each file (and line)
    that differs from what was sealed, hashed or listed."""
    root = Path(path)
    problems: list[dict] = []

    def bad(file: str, error: str, line: int | None = None) -> None:
        problems.append({"file": file, "line": line, "error": error})

    # 1. File hashes, cross-checked between SHA256SUMS and the manifest so that the
    #    file actually damaged is the one named.
    try:
        sums = _read_sums(root / "SHA256SUMS")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        sums = {}
        bad("SHA256SUMS", f"unreadable: {exc}")
    try:
        manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        listed = {k: v["sha256"] for k, v in manifest["files"].items()}
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        manifest, listed = {}, {}
        bad("manifest.json", f"unreadable: {exc}")
    actual = {name: file_sha256(root / name) for name in FILES if (root / name).is_file()}
    for name in FILES:
        if name not in actual:
            bad(name, "missing")
            continue
        s, m, a = sums.get(name), listed.get(name), actual[name]
        if name == "manifest.json":
            if s is not None and s != a and not any(p["file"] == "manifest.json" for p in problems):
                bad("manifest.json", "SHA-256 differs from its line in SHA256SUMS (one of the two was changed)")
            continue
        if a == s and (a == m or not listed):
            continue
        if a == m and s is not None and s != a:
            bad("SHA256SUMS", f"its line for {name} differs from the manifest and the file")
        elif a == s and m is not None:
            bad("manifest.json", f"its entry for {name} differs from SHA256SUMS and the file")
        else:
            bad(name, "SHA-256 differs from SHA256SUMS and manifest.json")
    extra = sorted(p.name for p in root.iterdir() if p.name not in FILES and p.name != "SHA256SUMS")
    for name in extra:
        bad(name, "not part of the bundle (not listed in SHA256SUMS)")

    # 2. The chain, and its head against the manifest.
    chain_rows, seals = [], {}
    try:
        for n, _, e in _jsonl(root / "audit_log.jsonl"):
            chain_rows.append(e | {"_line": n})
            if e.get("action") == "evidence.seal":
                seals[e["id"]] = json.loads(e["details"])
        ok, bad_id, entries, head = audit.check_chain(chain_rows)
        if not ok:
            line = next(r["_line"] for r in chain_rows if r["id"] == bad_id)
            bad("audit_log.jsonl", f"hash chain broken at entry {bad_id}", line)
        elif manifest and manifest.get("audit", {}).get("head") != head:
            bad("manifest.json", "audit head differs from the last entry of audit_log.jsonl")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        entries, head = 0, None
        bad("audit_log.jsonl", f"unreadable: {exc}")

    # 3. Seals: each seal's evidence lines digest to what its chain entry says.
    sealed_hash: dict[tuple[str, str], tuple[str, str]] = {}
    try:
        groups: dict[int, list[str]] = {}
        for n, _, ev in _jsonl(root / "evidence.jsonl"):
            groups.setdefault(ev["seal_id"], []).append(evidence_line(ev))
            sealed_hash[(ev["platform"], ev["post_id"])] = (ev["content_sha256"], ev["sha256"])
        for seal_id, lines in groups.items():
            if seal_id not in seals:
                bad("evidence.jsonl", f"seal {seal_id} is not in the audit log")
            elif seals[seal_id]["digest"] != digest(lines) or seals[seal_id]["count"] != len(lines):
                bad("evidence.jsonl", f"rows of seal {seal_id} differ from the sealed digest")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        bad("evidence.jsonl", f"unreadable: {exc}")

    # 4. Items against their sealed hashes.
    items = 0
    try:
        for n, line, rec in _jsonl(root / "items.jsonl"):
            items += 1
            want = sealed_hash.get((rec.get("platform"), rec.get("id")))
            if want is None:
                bad("items.jsonl", "item has no sealed evidence row", n)
            elif sha256_text(line) != want[0] or rec.get("sha256") != want[1]:
                bad("items.jsonl", f"item {rec.get('platform')}/{rec.get('id')} differs from its sealed hash", n)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        bad("items.jsonl", f"unreadable: {exc}")

    # One damaged byte can show up in several checks; name each file once, first reason first.
    seen, unique = set(), []
    for p in problems:
        if p["file"] not in seen:
            seen.add(p["file"])
            unique.append(p)
    return {"ok": not problems, "problems": unique, "items": items, "audit_entries": entries, "head": head,
            "sha256sums": file_sha256(root / "SHA256SUMS") if (root / "SHA256SUMS").is_file() else None,
            "checked_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
