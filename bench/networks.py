"""Network linking: accuracy on the dev set, and speed and memory at 10k/100k/1M posts.

    .venv/bin/python bench/networks.py [--sizes 10000,100000,1000000] [--skip-dev] [--skip-scale]

Accuracy. The dev posts (/work/shared/data/dev/posts.jsonl + posts_more.jsonl) are read as
`marsad networks` reads them, classified in memory by the default text engine (our entity
extractor, not the files' own `entities`), and linked. Networks are compared with
networks.json: pairwise precision/recall/F1 of account co-membership (a pair of accounts is
positive when both are in one network) and the adjusted Rand index over every account in
the files (an account in no network is its own cluster). The default rules are the
headline; the other rows change one rule each, to show what each rule is for. The "gold
entities" row links the files' own entities instead of ours: the linker's accuracy without
extraction errors. The dev set has no hub identifier, so the "hub stress" rows add a
national hotline to 120 benign singleton accounts' posts, a UNHCR page to 40 and a local
helpline to 20, and link with and without rarity weighting.

Scale. A corpus of N posts / N/5 accounts with planted networks is generated as identifier
sightings directly (phones, handles, wallets, links, image and text clusters, each an
integer) instead of running text extraction N times; extraction speed is measured in
bench/entities.py. Planted: networks of 2-12 accounts (a few of 20-40) whose posts carry
1-2 of their operator's identifiers (the first post the operator's main one, so every
planted network is linkable); singletons with a private number (70%) and handle (30%) on every post; 20 hubs carried by 150-3,000
accounts; per 200,000 accounts 300 mid-frequency identifiers on 11-100 random accounts and
3,000 ad templates (text clues) copied by 2-30 random harmful accounts. The link stage (rarity weights, pair scoring,
components and Leiden, network summaries and evidence) is timed in a fresh process per
size; peak RSS is that process's high-water mark. Results: bench/results/networks.json, .md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

DEV = Path("/work/shared/data/dev")
FILES = [DEV / "posts.jsonl", DEV / "posts_more.jsonl"]
RESULTS = ROOT / "bench" / "results"


# ---- metrics ------------------------------------------------------------------------------
def pair_set(groups: list[list[str]]) -> set[tuple[str, str]]:
    out = set()
    for g in groups:
        g = sorted(set(g))
        out.update((a, b) for i, a in enumerate(g) for b in g[i + 1:])
    return out


def scores(gold: list[list[str]], pred: list[list[str]], universe: set[str]) -> dict:
    from sklearn.metrics import adjusted_rand_score
    G, P = pair_set(gold), pair_set(pred)
    tp = len(G & P)
    p = tp / len(P) if P else 1.0
    r = tp / len(G) if G else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    label = {}
    for kind, groups in (("g", gold), ("p", pred)):
        for i, g in enumerate(groups):
            for a in g:
                label[(kind, a)] = f"{kind}{i}"
    accs = sorted(universe)
    ari = adjusted_rand_score([label.get(("g", a), "s" + a) for a in accs],
                              [label.get(("p", a), "s" + a) for a in accs])
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4), "ari": round(ari, 4),
            "gold_pairs": len(G), "predicted_pairs": len(P), "true_pairs": tp,
            "false_pairs": sorted(P - G)[:20], "missed_pairs": sorted(G - P)[:20]}


# ---- dev accuracy -------------------------------------------------------------------------
def dev(out: dict) -> None:
    from marsad.detect.engine import TextEngine
    from marsad.ingest import read
    from marsad.link import LinkRules, link_corpus
    from marsad.link.corpus import Corpus
    from marsad.link.sources import add_classified
    from marsad.pipeline import batched, posts_from

    bad = []
    posts = list(posts_from(read(FILES), bad.append))
    universe = {json.loads(line).get("author_id") for f in FILES for line in open(f, encoding="utf-8")} - {None}
    gold_doc = json.loads((DEV / "networks.json").read_text(encoding="utf-8"))
    gold = [n["accounts"] for n in gold_doc["networks"]]
    universe |= set(gold_doc.get("singletons", ())) | {a for g in gold for a in g}

    t = time.perf_counter()
    engine = TextEngine.load(quiet=True)
    t_load = time.perf_counter() - t
    t = time.perf_counter()
    found = [f for chunk in batched(posts, 500) for f in engine.predict(chunk)]
    t_classify = time.perf_counter() - t

    # Hub stress: the dev set has no hub identifier, so one variant adds a national hotline
    # to 120 benign posts of different singleton accounts, a UNHCR page to 40 and a local
    # helpline to 20 (as awareness and news pages quote them), keeping everything else.
    members = {a for g in gold for a in g}
    rng = np.random.default_rng(11)
    benign = [i for i, (p, f) in enumerate(zip(posts, found)) if f.label == "benign" and p.author_id not in members]
    by_author = {}
    for i in rng.permutation(benign).tolist():
        by_author.setdefault(posts[i].author_id, i)
    chosen = list(by_author.values())
    hubs = {i: [] for i in chosen[:120]}
    for i in chosen[:120]:
        hubs[i].append(("phones", "+33199001122"))
    for i in chosen[120:160]:
        hubs.setdefault(i, []).append(("urls", "https://www.unhcr.org/help/country"))
    for i in chosen[160:180]:
        hubs.setdefault(i, []).append(("phones", "+218214440000"))

    def run(rules: LinkRules, gold_entities: bool = False, stress: bool = False) -> tuple[dict, float]:
        t0 = time.perf_counter()
        corpus = Corpus(rules)
        for n, (p, f) in enumerate(zip(posts, found)):
            if gold_entities or (stress and n in hubs):
                ents = {k: list(v) for k, v in (p.raw.get("entities") if gold_entities else f.entities).items()}
                for key, value in hubs.get(n, ()) if stress else ():
                    ents.setdefault(key, []).append(value)
                f = type(f)(**{**{k: getattr(f, k) for k in f.__dataclass_fields__}, "entities": ents})
            add_classified(corpus, p, f)
        res = link_corpus(corpus)
        secs = time.perf_counter() - t0
        return {**scores(gold, [n["accounts"] for n in res.networks], universe),
                "networks": len(res.networks), "text_pairs": len(corpus.text_pairs),
                "hubs": len(res.linkage.hubs)}, secs

    default = LinkRules.load()
    variants = [
        ("default rules", default, False),
        ("gold entities (diagnostic)", default, True),
        ("text alone links (text weight 1)", LinkRules.load(weights={"text": 1.0}), False),
        ("text weight 1, no harmful/contact gate", LinkRules.load(weights={"text": 1.0}, text_harmful_only=False,
                                                                  text_contact_check=False), False),
        ("no text clue", LinkRules.load(weights={"text": 0.0}), False),
        ("no rarity weighting (every shared identifier links)", LinkRules.load(rare_accounts=10**9,
                                                                              hub_accounts=10**9), False),
        ("rare_accounts 5", LinkRules.load(rare_accounts=5), False),
        ("no own handles", LinkRules.load(own_handles=False), False),
        ("hub stress: default rules", default, "stress"),
        ("hub stress: no rarity weighting", LinkRules.load(rare_accounts=10**9, hub_accounts=10**9), "stress"),
    ]
    rows = []
    for name, rules, mode in variants:
        r, secs = run(rules, gold_entities=mode is True, stress=mode == "stress")
        rows.append({"variant": name, **r, "link_seconds": round(secs, 3)})
        print(f"{name:55s} P={r['precision']:.4f} R={r['recall']:.4f} F1={r['f1']:.4f} ARI={r['ari']:.4f}",
              file=sys.stderr)
    out["dev"] = {"posts": len(posts), "bad_records": len(bad),
                  "bad_reasons": dict(Counter(b.reason.split(";")[0] for b in bad)),
                  "accounts": len(universe), "gold_networks": len(gold), "gold_pairs": len(pair_set(gold)),
                  "engine_load_seconds": round(t_load, 2), "classify_seconds": round(t_classify, 2),
                  "variants": rows}
    out["neardup"] = neardup_bench([p.text for p in posts])


def neardup_bench(texts: list[str]) -> dict:
    """MinHash/LSH speed on the dev texts and on 100k mutated copies; datasketch alongside
    when it is importable (it is not a dependency)."""
    from marsad.link import neardup
    rng = np.random.default_rng(7)
    res = {}
    t = time.perf_counter()
    pairs = neardup.near_duplicates(texts)
    res["dev_texts"] = len(texts)
    res["dev_seconds"] = round(time.perf_counter() - t, 3)
    res["dev_pairs"] = len(pairs)
    big = []
    for i in range(100_000):
        words = texts[int(rng.integers(len(texts)))].split()
        if words:
            words[int(rng.integers(len(words)))] = str(int(rng.integers(10**6)))
        big.append(" ".join(words))
    t = time.perf_counter()
    sig, ok = neardup.signatures(big)
    t_sig = time.perf_counter() - t
    t = time.perf_counter()
    cand = neardup.candidate_pairs(sig, ok)
    sim = neardup.similarity(sig, cand)
    t_lsh = time.perf_counter() - t
    res.update({"100k_signature_seconds": round(t_sig, 2), "100k_lsh_seconds": round(t_lsh, 2),
                "100k_candidates": int(len(cand)), "100k_pairs_at_0.7": int((sim >= 0.7).sum())})
    try:   # not a dependency: `pip install --target DIR datasketch` and PYTHONPATH=DIR to compare
        from datasketch import MinHash
    except ImportError:
        res["datasketch"] = "not installed"
        return res
    keys = [neardup.text_key(x) for x in texts]
    t = time.perf_counter()
    for k in keys:
        m = MinHash(num_perm=neardup.NUM_PERM)
        m.update_batch([k[i:i + 5].encode() for i in range(len(k) - 4)])
    t_ds = time.perf_counter() - t
    t = time.perf_counter()
    neardup.signatures(texts)
    t_ours = time.perf_counter() - t
    res["datasketch_dev_signature_seconds"] = round(t_ds, 3)
    res["ours_dev_signature_seconds"] = round(t_ours, 3)
    return res


# ---- scale --------------------------------------------------------------------------------
def generate(n_posts: int, seed: int = 1):
    """Planted corpus as a filled ``Corpus`` plus the planted networks (lists of author ids)."""
    from marsad.link.corpus import Account, Corpus

    rng = np.random.default_rng(seed)
    n_acc = n_posts // 5
    corpus = Corpus()
    plats = np.array(["facebook", "instagram", "x", "tiktok", "telegram", "youtube", "whatsapp"])
    acc_plat = rng.integers(0, len(plats), n_acc)
    posts = 1 + rng.geometric(0.25, n_acc)
    posts = np.maximum(1, (posts * n_posts / posts.sum()).round().astype(int))
    # planted networks cover ~8% of accounts
    sizes = []
    budget = int(0.08 * n_acc)
    while budget > 0:
        s = int(rng.choice([2, 3, 3, 4, 4, 5, 6, 8, 12])) if rng.random() > 0.01 else int(rng.integers(20, 41))
        sizes.append(min(s, budget) if budget >= 2 else 2)
        budget -= sizes[-1]
    perm = rng.permutation(n_acc)
    nets, start = [], 0
    for s in sizes:
        nets.append(perm[start:start + s])
        start += s
    net_of = np.full(n_acc, -1)
    for i, members in enumerate(nets):
        net_of[members] = i
    harmful = rng.random(n_acc) < 0.3
    harmful[net_of >= 0] = rng.random(int((net_of >= 0).sum())) < 0.9   # classifier recall ~0.9
    t0 = time.perf_counter()
    for i in range(n_acc):
        acc = Account(str(plats[acc_plat[i]]), f"a{i:07d}", f"h{i:07d}")
        acc.posts = int(posts[i])
        acc.labels = Counter({"migrant_smuggling" if harmful[i] else "benign": int(posts[i])})
        acc.harm = 0.9 if harmful[i] else 0.0
        acc.first = acc.last = 1.7e9 + float(rng.integers(0, 3e7))
        corpus.accounts.append(acc)
        corpus.account_index[(acc.platform, acc.author_id)] = i
    kinds_cycle = ("phone", "handle", "wallet", "url")
    s_acc, s_ident = [], []
    idents = corpus.idents

    def add(kind: str, value: str, accounts) -> None:
        j = idents.add(kind, value)
        s_acc.append(np.asarray(accounts, dtype=np.int32))
        s_ident.append(np.full(len(accounts), j, dtype=np.int32))

    # networks: operator identifiers; every post of a member carries 1-2 of them
    for i, members in enumerate(nets):
        ops = [idents.add(kinds_cycle[k % 4], f"op{i}-{k}") for k in range(int(rng.integers(1, 5)))]
        for a in members:
            n = int(posts[a])
            picks = rng.integers(0, len(ops), size=(n, 2))
            picks[0, 0] = 0          # the operator's main number on the first post: planted = linkable
            two = rng.random(n) < 0.4
            chosen = np.concatenate((picks[:, 0], picks[two, 1]))
            s_acc.append(np.full(len(chosen), a, dtype=np.int32))
            s_ident.append(np.asarray(ops, dtype=np.int32)[chosen])
        if rng.random() < 0.2:   # the same boat photo on part of the network
            add("pdq", f"{i:064x}", members[: max(2, len(members) // 2)])
        if rng.random() < 0.3:
            add("text", f"tpl-net-{i}", members)
    # singletons: a private number on every post of 70% of them, a private handle on 30%
    single = np.flatnonzero(net_of < 0)
    for kind, share in (("phone", 0.7), ("handle", 0.3)):
        has = single[rng.random(len(single)) < share]
        first = len(idents)
        for a in has:
            idents.add(kind, f"+1{a:010d}" if kind == "phone" else f"@own{a}")
        ids = np.arange(first, first + len(has), dtype=np.int32)
        s_acc.append(np.repeat(has, posts[has]).astype(np.int32))
        s_ident.append(np.repeat(ids, posts[has]))
    # hubs, mid-frequency identifiers, ad templates copied across unrelated accounts
    # (counts scale with the corpus so every size has the same density)
    for h in range(20):
        k = min(int(rng.integers(150, 3001)), n_acc // 4)
        add("phone" if h % 2 else "public_url", f"hub{h}", rng.choice(n_acc, k, replace=False))
    for m in range(max(1, n_acc * 300 // 200_000)):
        add("url", f"mid{m}", rng.choice(n_acc, int(rng.integers(11, 101)), replace=False))
    pool = np.flatnonzero(harmful)
    for t in range(max(1, n_acc * 3000 // 200_000)):
        add("text", f"tpl{t}", rng.choice(pool, int(rng.integers(2, 31)), replace=False))
    acc_col = np.concatenate(s_acc)
    ident_col = np.concatenate(s_ident)
    corpus.s_acc.frombytes(acc_col.astype(np.int32).tobytes())
    corpus.s_ident.frombytes(ident_col.astype(np.int32).tobytes())
    corpus.s_post.frombytes(np.full(len(acc_col), -1, dtype=np.int32).tobytes())
    corpus.finished = True
    truth = [[f"a{a:07d}" for a in members] for members in nets]
    return corpus, truth, {"accounts": n_acc, "posts": int(posts.sum()), "sightings": int(len(acc_col)),
                           "identifiers": len(idents), "planted_networks": len(nets),
                           "planted_accounts": int(sum(len(m) for m in nets)),
                           "generate_seconds": round(time.perf_counter() - t0, 2)}


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def scale_child(n_posts: int, variant: str = "") -> dict:
    from marsad.link import LinkRules
    from marsad.link.clusters import account_graph, build_networks, communities
    from marsad.link.graph import link

    corpus, truth, info = generate(n_posts)
    if variant == "no-rarity":          # every shared identifier links, hubs included
        corpus.rules = LinkRules.load(rare_accounts=10**9, hub_accounts=10**9)
    rss_before = _rss_mb()
    times = {}
    t = time.perf_counter()
    acc, ident, _, kinds = corpus.arrays()
    linkage = link(acc, ident, kinds, len(corpus.accounts), corpus.rules)
    times["weights_and_pairs"] = time.perf_counter() - t
    t = time.perf_counter()
    g = account_graph(linkage)
    harmful = np.array([a.harm >= corpus.rules.harmful_risk for a in corpus.accounts], dtype=bool)
    community, component = communities(linkage, corpus.rules, g, harmful)
    times["components_leiden"] = time.perf_counter() - t
    t = time.perf_counter()
    nets = build_networks(corpus, linkage, community, component)
    times["networks_evidence_rank"] = time.perf_counter() - t
    total = sum(times.values())
    universe = {a.author_id for a in corpus.accounts}
    sc = scores(truth, [n["accounts"] for n in nets], universe)
    return {**info, "variant": variant or "default rules", "link_seconds": round(total, 2), "stage_seconds": {k: round(v, 2) for k, v in times.items()},
            "candidate_pairs": linkage.candidate_pairs, "edges": int(len(linkage.src)),
            "hubs": int(len(linkage.hubs)), "networks": len(nets),
            "largest_network": max((len(n["accounts"]) for n in nets), default=0),
            "rss_before_link_mb": round(rss_before, 1), "peak_rss_mb": round(_peak_rss_mb(), 1),
            "planted_precision": sc["precision"], "planted_recall": sc["recall"], "planted_f1": sc["f1"],
            "planted_ari": sc["ari"]}


def store_child(n_posts: int) -> dict:
    """The whole ``marsad networks --db`` path on an SQLite store of ``n_posts`` posts: posts,
    findings and identifier rows written through the store's writer (synthetic texts and
    entities, no classifier), then ``link_store`` timed: the streaming read, near-duplicate
    texts of the harmful posts, linking and summaries."""
    import tempfile

    from marsad.link import link_store
    from marsad.model import Finding, Post
    from marsad.store import writer
    from marsad.store.db import connect

    rng = np.random.default_rng(5)
    vocab = [f"w{i}" for i in range(4000)]
    n_acc = n_posts // 5
    net_of = np.full(n_acc, -1)
    start, k = 0, 0
    while start < int(0.08 * n_acc):
        size = int(rng.choice([2, 3, 3, 4, 4, 5, 6, 8, 12]))
        net_of[start:start + size] = k
        start, k = start + size, k + 1
    owner = rng.integers(0, n_acc, n_posts)
    db = Path(tempfile.mkdtemp()) / "bench.db"
    engine = connect(f"sqlite:///{db}")
    t0 = time.perf_counter()
    batch = []
    for i in range(n_posts):
        a = int(owner[i])
        net = int(net_of[a])
        harmful = net >= 0 or rng.random() < 0.3
        phone = f"+2189{net:08d}" if net >= 0 else f"+1{a:010d}"
        words = " ".join(rng.choice(vocab, 12).tolist())
        text = f"trip {words} call {phone}"
        post = Post(id=f"p{i}", platform="facebook" if a % 2 else "telegram", text=text, author_id=f"a{a}",
                    created_at=f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00Z", sha256="0" * 64)
        f = Finding(id=post.id, label="migrant_smuggling" if harmful else "benign", risk=0.9 if harmful else 0.1,
                    scores={}, lang="en", indicators=(), entities={"phones": [phone], "handles": [], "wallets": [],
                                                                   "prices": [], "places": [], "urls": []})
        batch.append((post, f))
        if len(batch) == 5000 or i == n_posts - 1:
            with engine.begin() as conn:
                writer.insert_posts(conn, [p for p, _ in batch])
                writer.upsert_accounts(conn, [p for p, _ in batch])
                writer.upsert_findings(conn, batch, "bench")
            batch = []
    t_fill = time.perf_counter() - t0
    rss_before = _rss_mb()
    t0 = time.perf_counter()
    res = link_store(engine)
    t_link = time.perf_counter() - t0
    return {"posts": n_posts, "accounts": len(res.corpus.accounts), "fill_seconds": round(t_fill, 1),
            "link_store_seconds": round(t_link, 2), "networks": len(res.networks),
            "text_pairs": len(res.corpus.text_pairs), "rss_before_link_mb": round(rss_before, 1),
            "peak_rss_mb": round(_peak_rss_mb(), 1), "db_mb": round(db.stat().st_size / 2**20, 1)}


def store_scale(out: dict, sizes: list[int]) -> None:
    rows = []
    for n in sizes:
        r = subprocess.run([sys.executable, __file__, "--store-child", str(n)], capture_output=True, text=True)
        if r.returncode:
            raise SystemExit(r.stderr)
        rows.append(json.loads(r.stdout.strip().splitlines()[-1]))
        print(f"store {n:>9,} posts: link_store {rows[-1]['link_store_seconds']} s, "
              f"peak RSS {rows[-1]['peak_rss_mb']} MB", file=sys.stderr)
    out["store"] = rows


def scale(out: dict, sizes: list[int]) -> None:
    rows = []
    for n, variant in [(n, "") for n in sizes] + [(sizes[0], "no-rarity")]:
        r = subprocess.run([sys.executable, __file__, "--scale-child", str(n), "--variant", variant],
                           capture_output=True, text=True)
        if r.returncode:
            raise SystemExit(r.stderr)
        row = json.loads(r.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(f"{n:>9,} posts: link {row['link_seconds']} s, peak RSS {row['peak_rss_mb']} MB, "
              f"F1 {row['planted_f1']}", file=sys.stderr)
    out["scale"] = rows


# ---- report -------------------------------------------------------------------------------
def write_md(out: dict) -> str:
    L = ["# Network linking (bench/networks.py)", "",
         f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()} · {date.today()}", ""]
    d = out.get("dev")
    if d:
        L += ["## Accuracy on the dev set", "",
              f"{d['posts']} posts read ({d['bad_records']} rejected by the reader: {d['bad_reasons']}), "
              f"{d['accounts']} accounts, {d['gold_networks']} gold networks ({d['gold_pairs']} account pairs). "
              f"Classified in memory by the default text engine in {d['classify_seconds']} s "
              f"(engine load {d['engine_load_seconds']} s); identifiers from our extractor.", "",
              "| rules | precision | recall | pairwise F1 | ARI | networks | link s |", "|---|---|---|---|---|---|---|"]
        for r in d["variants"]:
            L.append(f"| {r['variant']} | {r['precision']:.4f} | {r['recall']:.4f} | **{r['f1']:.4f}** | "
                     f"{r['ari']:.4f} | {r['networks']} | {r['link_seconds']} |")
        head = d["variants"][0]
        L += ["", f"Default rules, wrong pairs: {head['false_pairs']}; missed pairs: {head['missed_pairs']}.", ""]
    nd = out.get("neardup")
    if nd:
        L += ["## Near-duplicate texts (MinHash 64 perms, 16 bands x 4 rows, threshold 0.7)", "",
              f"- dev: {nd['dev_texts']} texts in {nd['dev_seconds']} s, {nd['dev_pairs']} near-duplicate pairs",
              f"- 100,000 texts: signatures {nd['100k_signature_seconds']} s, LSH + verification "
              f"{nd['100k_lsh_seconds']} s ({nd['100k_candidates']:,} candidate pairs, "
              f"{nd['100k_pairs_at_0.7']:,} at >= 0.7)"]
        if "datasketch_dev_signature_seconds" in nd:
            L.append(f"- signatures of the dev texts: ours {nd['ours_dev_signature_seconds']} s, datasketch 2.0 "
                     f"MinHash.update_batch {nd['datasketch_dev_signature_seconds']} s (shingling not counted; "
                     "datasketch from a throwaway `pip install --target`, not a dependency)")
        L.append("")
    s = out.get("scale")
    if s:
        L += ["## Scale: link stage on generated identifier sightings", "",
              "Identifiers generated directly (no text extraction); one fresh process per size.", "",
              "| rules | posts | accounts | sightings | candidate pairs | edges | networks | largest | link s | "
              "(pairs / components+Leiden / summaries) | RSS before link | peak RSS | planted F1 | ARI |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in s:
            st = r["stage_seconds"]
            L.append(f"| {r.get('variant', '')} | {r['posts']:,} | {r['accounts']:,} | {r['sightings']:,} | {r['candidate_pairs']:,} | "
                     f"{r['edges']:,} | {r['networks']:,} | {r['largest_network']:,} | **{r['link_seconds']}** | {st['weights_and_pairs']} / "
                     f"{st['components_leiden']} / {st['networks_evidence_rank']} | {r['rss_before_link_mb']} MB | "
                     f"{r['peak_rss_mb']} MB | {r['planted_f1']} | {r['planted_ari']} |")
        L.append("")
    st = out.get("store")
    if st:
        L += ["## The whole `marsad networks --db` path on SQLite", "",
              "Posts, findings and identifier rows written through the store's writer (synthetic texts, "
              "one phone a post, ~30% of posts harmful so their texts go through MinHash); then "
              "`link_store` timed: streaming read, near-duplicate texts, linking, summaries.", "",
              "| posts | accounts | store fill s | link_store s | networks | RSS before | peak RSS | db size |",
              "|---|---|---|---|---|---|---|---|"]
        for r in st:
            L.append(f"| {r['posts']:,} | {r['accounts']:,} | {r['fill_seconds']} | **{r['link_store_seconds']}** | "
                     f"{r['networks']:,} | {r['rss_before_link_mb']} MB | {r['peak_rss_mb']} MB | {r['db_mb']} MB |")
        L.append("")
    return "\n".join(L)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--skip-dev", action="store_true")
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--scale-child", type=int)
    ap.add_argument("--variant", default="")
    ap.add_argument("--store-sizes", default="", help="also time `networks --db` on SQLite stores of these sizes")
    ap.add_argument("--store-child", type=int)
    args = ap.parse_args()
    if args.store_child:
        print(json.dumps(store_child(args.store_child)))
        return
    if args.scale_child:
        print(json.dumps(scale_child(args.scale_child, args.variant)))
        return
    out: dict = {}
    if not args.skip_dev:
        dev(out)
    if not args.skip_scale:
        scale(out, [int(x) for x in args.sizes.split(",")])
    if args.store_sizes:
        store_scale(out, [int(x) for x in args.store_sizes.split(",")])
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "networks.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    merged = {**old, **out}
    for key in ("scale", "store"):   # rows of sizes not re-run this time are kept
        if key in out and key in old:
            def ident(r):
                return (r.get("variant", ""), r["posts"])
            fresh = {ident(r) for r in out[key]}
            merged[key] = sorted([r for r in old[key] if ident(r) not in fresh] + out[key],
                                 key=lambda r: (r.get("variant", "") != "default rules", r["posts"]))
    path.write_text(json.dumps(merged, ensure_ascii=False, indent=1) + "\n")
    (RESULTS / "networks.md").write_text(write_md(merged) + "\n", encoding="utf-8")
    print(write_md(merged))


if __name__ == "__main__":
    main()
