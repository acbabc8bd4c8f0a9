"""The text engine: lexicon indicators + entities + harm model -> the ``classify`` contract.

``TextEngine.load()`` returns the engine for the shipped corpus and lexicons. The model is
trained by the project from its own corpus on first use (a few seconds) and cached under
``$MARSAD_MODEL_DIR`` (default ``~/.cache/marsad``) keyed by the corpus, lexicon and code
fingerprint, so editing a lexicon or adding a corpus file retrains automatically and
nothing is ever downloaded.
"""
from __future__ import annotations

import ctypes
import gc
import sys
import threading
from contextlib import contextmanager
from operator import attrgetter
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import yaml

from marsad.detect.base import Detector
from marsad.detect.corpus import CORPUS_DIR, corpus_files, fingerprint, read_corpus
from marsad.detect.features import feature_matrix
from marsad.detect.harms import HarmModel
from marsad.detect.lexicon import LEXICON_DIR, Lexicon, to_indicators
from marsad.detect.textbatch import TextBatch
from marsad.model import Finding, Indicator, Post
from marsad.settings import model_dir

POLICY = Path(__file__).parent / "policy.yaml"
_CODE = [Path(__file__).parent / n for n in ("features.py", "harms.py", "lexicon.py", "textbatch.py")]
BATCH = 1000      # posts analysed together: big enough to amortise numpy calls, small enough for memory
_LOCK = threading.Lock()
_CACHE: dict[tuple, "TextEngine"] = {}


def extract_many(texts: Sequence[str], langs: Sequence[str | None]):
    from marsad.detect.entities import extract_many
    return extract_many(texts, langs)


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3      # glibc's malloc.h


def _keep_freed_memory() -> bool:
    """Ask glibc to serve allocations up to 64 MB from its heap, and to keep up to 256 MB of
    freed heap mapped. Why: a batch's arrays (folded characters, offsets, hashes: ~20 MB for
    1,000 posts) were each mapped fresh and unmapped when freed, and every page was then
    faulted in and zeroed again by the kernel: ~4 µs a post, half the folding pass. Process-wide
    like ``gc.freeze``; memory the process once used stays with it (it is used again by the
    next batch). Elsewhere than glibc this does nothing."""
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, 64 << 20)) and bool(mallopt(_M_TRIM_THRESHOLD, 256 << 20))



@contextmanager
def _collector_paused():
    """The cyclic garbage collector off while one batch is analysed. A batch builds ~50
    small objects a post (matches, spans, entity lists) and keeps them until its findings are
    made; none is in a cycle, so reference counting frees them all, but their number set off
    collections that cost ~10% of ``predict`` (measured with the process's long-lived objects
    already frozen, see ``load``). Left as found: a caller that turned it off keeps it off."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class TextEngine(Detector):
    name = "text"
    version = "1"

    def __init__(self, lexicon: Lexicon, model: HarmModel, policy: dict, model_id: str = ""):
        self.lexicon, self.model, self.policy = lexicon, model, policy
        self.model_id = model_id
        self.labels = list(model.classes_)

    @property
    def tag(self) -> str:
        return f"{self.name}@{self.version}:{self.model_id}"

    # ---- construction -------------------------------------------------------------
    @classmethod
    def load(cls, corpus_dirs: Sequence[Path] = (CORPUS_DIR,), lexicon_dir: Path = LEXICON_DIR,
             cache: Path | None = None, quiet: bool = False) -> "TextEngine":
        key = (tuple(map(str, corpus_dirs)), str(lexicon_dir), str(cache))
        with _LOCK:
            if key in _CACHE:
                return _CACHE[key]
            files = corpus_files(corpus_dirs) + sorted(Path(lexicon_dir).glob("*.yaml")) + [POLICY] + _CODE
            model_id = fingerprint(files)
            path = (cache or model_dir()) / f"harms-{model_id}.npz"
            lexicon = Lexicon(lexicon_dir)
            if path.exists():
                model = HarmModel.load(path)
            else:
                if not quiet:
                    print(f"marsad: training the text model from {len(corpus_files(corpus_dirs))} "
                          f"corpus files (once; cached in {path.parent})", file=sys.stderr)
                model = train(read_corpus(corpus_dirs), lexicon)
                model.save(path, {"model_id": model_id})
            engine = cls(lexicon, model, yaml.safe_load(POLICY.read_text(encoding="utf-8")), model_id)
            engine.predict([Post(id="warm-up", platform="other", text="warm up +218 91 234 5678 3000€ zuwara")])
            # phonenumbers reads a region's metadata the first time a number is tried there:
            # mid-batch, ~0.5 ms a region, on hundreds of first posts (and then never frozen).
            import phonenumbers
            phonenumbers.PhoneMetadata.load_all()
            _CACHE[key] = engine
            # The lexicon, gazetteer and phone metadata live as long as the process: taking them
            # out of the garbage collector's generations keeps full collections (triggered by
            # the many small objects a batch makes) from walking them again and again.
            gc.freeze()
            _keep_freed_memory()
            return engine

    # ---- prediction ---------------------------------------------------------------
    def predict(self, posts: Sequence[Post]) -> list[Finding]:
        out: list[Finding] = []
        for i in range(0, len(posts), BATCH):
            chunk = posts[i:i + BATCH]
            with _collector_paused():
                hits, extractions, X = analyse(self.lexicon, [p.text for p in chunk], [p.lang for p in chunk],
                                               self.model.n_features)
                out += self._decide_batch(chunk, hits, extractions, self.model.predict_proba(X))
                # Freed here, not when the next batch rebinds them: the collector's first pass
                # after the pause walks every object the batch left alive.
                del hits, extractions, X
        return out

    def _decide_batch(self, posts: Sequence[Post], hits, extractions, probs: np.ndarray) -> list[Finding]:
        """Findings of a batch: the likeliest harm and its threshold are picked for all posts
        at once; per post only the indicator check and the objects remain."""
        labels = self.labels
        harms = [j for j, l in enumerate(labels) if l != "benign"]
        n = len(posts)
        if harms:
            best = np.asarray(harms)[np.argmax(probs[:, harms], axis=1)]     # first of equals, as max()
            default = self.policy.get("default_threshold", 0.5)
            thresholds = self.policy.get("thresholds", {})
            limit = np.array([thresholds.get(l, default) for l in labels])[best]
            top = probs[np.arange(n), best]
            unexplained_ok = self.policy.get("without_indicator")
            sure = top >= (unexplained_ok if unexplained_ok is not None else np.inf)
            over = (top >= limit).tolist()
            best_label = [labels[j] for j in best.tolist()]
            sure = sure.tolist()
        else:
            over = [False] * n
        benign = labels.index("benign") if "benign" in labels else None
        risks = (1.0 - probs[:, benign] if benign is not None else np.ones(n)).tolist()
        out = []
        for i, (post, h, ex, row) in enumerate(zip(posts, hits, extractions, probs.tolist())):
            label = "benign"
            risk = risks[i]
            if over[i] and (sure[i] or any(x.entry.label == best_label[i] for x in h)):
                label = best_label[i]
            elif risk > 0.49:
                risk = 0.49
            out.append(self._finding(post, label, risk, dict(zip(labels, row)), h, ex))
        return out

    def _finding(self, post: Post, label: str, risk: float, scores: dict, hits, ex) -> Finding:
        shown = [h for h in hits if h.entry.label in (label, "benign")] if label != "benign" else hits
        indicators: list[Indicator] = to_indicators(post.text, shown)
        if ex.checksums:
            indicators += ex.checksums
        if len(indicators) > 1:
            indicators.sort(key=attrgetter("start", "end"))
        return Finding(id=post.id, label=label, risk=risk, scores=scores, lang=post.lang,
                       indicators=tuple(indicators), entities=ex.entities, platform=post.platform,
                       routes=tuple(ex.routes))


def analyse(lexicon: Lexicon, texts: Sequence[str], langs: Sequence[str | None], n_features: int):
    """(lexicon hits, entity extractions, feature matrix) of a batch of texts: the one place
    both training and prediction compute them, so they cannot drift apart."""
    tb = TextBatch(list(texts))
    hits = lexicon.match_batch(tb)
    extractions = extract_many(texts, langs)
    flags = [entity_flags(ex) for ex in extractions]
    return hits, extractions, feature_matrix(tb, hits, flags, n_features)


def entity_flags(ex) -> tuple[str, ...]:
    """Which kinds of identifier a post has (model features: presence, not values), in the
    order of ENTITY_KINDS (an extraction's entities dict is built in that order)."""
    flags = tuple([k for k, v in ex.entities.items() if v])
    return flags + ("routes",) if ex.routes else flags


def train(rows: Iterable[dict], lexicon: Lexicon, **params) -> HarmModel:
    """Fit the harm model on corpus rows (text, label, optional weight).

    Classes are balanced on the summed row weights (scikit-learn's "balanced" counts rows), so
    a big set of extra rows given a small ``weight`` adds its variety without swamping the
    corpus: 30k of a platform's ordinary posts at weight 0.06 count as 1.8k rows."""
    rows = list(rows)
    model = HarmModel(class_weight=None, **params)
    _, _, X = analyse(lexicon, [r["text"] for r in rows], [r.get("lang") for r in rows], model.n_features)
    labels = np.array([r["label"] for r in rows])
    weights = np.array([float(r.get("weight", 1.0)) for r in rows])
    classes = sorted(set(labels.tolist()))
    for lab in classes:
        m = labels == lab
        weights[m] *= len(rows) / (len(classes) * weights[m].sum())
    return model.fit(X, labels, sample_weight=weights)
