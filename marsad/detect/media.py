"""Media hashing: PDQ (perceptual), SHA-256 and MD5 (exact) for JPEG, PNG, WebP and GIF.

Why hashes only: marsad matches images against hash lists of child-abuse and terrorist
material, and nobody should have to store or look at those images again. The bytes of a
file live only inside ``hash_file``/``hash_bytes``; what leaves is a ``MediaHash``.

Why decoding is guarded: media comes with hostile posts. A file is read only if it is a
regular file under ``MAX_FILE_BYTES``; Pillow may open only the four formats above; an image
over ``MAX_PIXELS`` is refused before its pixels are decoded (decompression bombs, 20k x 20k
"images"); JPEGs are decoded at a reduced DCT scale. Every failure is an ``InputError``
naming the file, so a folder run reports it and goes on, in bounded memory.

Why downscale to 512 px: PDQ reduces every image to 64 x 64 internally; hashing a 512 px
copy gives the same hash to within a few bits and is ~10x faster than a 1024 px original.
The PDQ implementation is ``pdqhash`` (the reference C++ code behind a binding); the hex
form is ThreatExchange's (most significant bit first), so hashes compare with HMA's.

``match_post_media`` is the scan pipeline's per-post call; ``near_duplicate_pairs`` and
``corpus_near_duplicates`` give the network linker accounts that re-post the same image.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import warnings
import weakref
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from PIL import Image, UnidentifiedImageError

from marsad.errors import InputError

FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
EXTENSIONS = {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".gif"}
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_PIXELS = 50_000_000          # ~8k x 6k; larger is refused before decoding
HASH_SIDE = 512                  # longest side an image is reduced to before PDQ
_EXIF_ORIENTATION = 0x0112
_TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
              4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
              6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}
DIHEDRAL = ("original", "rotate90", "rotate180", "rotate270",
            "flipx", "flipy", "flip_plus1", "flip_minus1")


@dataclass(frozen=True, slots=True)
class MediaHash:
    """What marsad keeps of an image: hashes and shape, never pixels."""

    sha256: str
    md5: str
    pdq: str | None
    quality: int | None
    width: int
    height: int
    format: str
    dihedral: tuple[str, ...] = ()   # the 7 other PDQ orientations, when asked for

    def as_dict(self) -> dict:
        out = asdict(self)
        if not self.dihedral:
            out.pop("dihedral")
        return out


def pdq_bits_to_hex(bits: np.ndarray) -> str:
    """pdqhash's 256 bits (most significant first) -> ThreatExchange's 64 hex digits."""
    return bytes(np.packbits(np.asarray(bits, np.uint8))).hex()


def pdq_from_rgb(rgb: np.ndarray, dihedral: bool = False) -> tuple[str, int, tuple[str, ...]]:
    """PDQ of an ``(h, w, 3) uint8`` array: ``(hex, quality, other orientations)``."""
    import pdqhash  # compiled extension; imported on first use

    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    if dihedral:
        hashes, quality = pdqhash.compute_dihedral(rgb)
        hexes = [pdq_bits_to_hex(h) for h in hashes]
        return hexes[0], int(quality), tuple(hexes[1:])
    bits, quality = pdqhash.compute(rgb)
    return pdq_bits_to_hex(bits), int(quality), ()


def _reduced_rgb(img: Image.Image) -> tuple[Image.Image, int]:
    """First frame, EXIF orientation applied, longest side <= HASH_SIDE, RGB; and the
    orientation that was applied."""
    orientation = 1
    try:
        orientation = int(img.getexif().get(_EXIF_ORIENTATION, 1) or 1)
    except Exception:  # a broken EXIF block is not a reason to refuse the picture
        orientation = 1
    if img.format == "JPEG":
        img.draft("RGB", (HASH_SIDE, HASH_SIDE))   # DCT-domain downscale: cheap and small
    if img.mode not in ("RGB", "L"):
        # Palette, alpha, 16-bit, CMYK ... -> RGB before resampling (P can't be averaged).
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if max(img.size) > HASH_SIDE:
        img.thumbnail((HASH_SIDE, HASH_SIDE), Image.Resampling.BOX, reducing_gap=None)
    if img.mode != "RGB":
        img = img.convert("RGB")
    if orientation in _TRANSPOSE:
        img = img.transpose(_TRANSPOSE[orientation])
    return img, orientation


def _too_large(pixels: str) -> str:
    return (f"image is {pixels} pixels, over the {MAX_PIXELS:,}-pixel limit "
            "(decompression-bomb guard); not decoded")


def hash_bytes(data: bytes, source: str | None = None, *, dihedral: bool = False) -> MediaHash:
    """Hash an image held in memory. Raises ``InputError`` (naming ``source``) if the bytes
    are not a JPEG/PNG/WebP/GIF Pillow can decode safely."""
    sha256 = hashlib.sha256(data).hexdigest()
    md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as img:
                width, height = img.size
                fmt = img.format or "?"
                if width * height > MAX_PIXELS:
                    raise InputError(_too_large(f"{width}x{height} = {width * height:,}"),
                                     source=source)
                reduced, orientation = _reduced_rgb(img)
                rgb = np.asarray(reduced)
                if orientation >= 5:   # stored sideways: report the size as displayed
                    width, height = height, width
    except InputError:
        raise
    except UnidentifiedImageError:
        raise InputError("not an image marsad can read (JPEG, PNG, WebP or GIF)",
                         source=source) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refuses before we see the size; its message carries the pixel count.
        m = re.search(r"\((\d+) pixels\)", str(exc))
        raise InputError(_too_large(f"{int(m.group(1)):,}" if m else "too many"),
                         source=source) from None
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError, IndexError, TypeError,
            KeyError, ZeroDivisionError) as exc:
        # Truncated data ("image file is truncated"), corrupt chunks, bad headers.
        raise InputError(f"cannot decode image: {exc}", source=source) from None
    pdq, quality, others = pdq_from_rgb(rgb, dihedral=dihedral)
    return MediaHash(sha256=sha256, md5=md5, pdq=pdq, quality=quality, width=width,
                     height=height, format=fmt, dihedral=others)


def read_media_file(path: str | os.PathLike) -> bytes:
    """The bytes of a regular file no larger than ``MAX_FILE_BYTES``, or ``InputError``."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=str(path)) from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError("not a regular file", source=str(path))
    if st.st_size > MAX_FILE_BYTES:
        raise InputError(f"file is {st.st_size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit",
                         source=str(path))
    try:
        with path.open("rb") as fh:
            return fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=str(path)) from None


def hash_file(path: str | os.PathLike, *, dihedral: bool = False) -> MediaHash:
    """Hash one image file; ``InputError`` names the file if it cannot be read or decoded."""
    return hash_bytes(read_media_file(path), source=str(path), dihedral=dihedral)


def iter_image_paths(paths: Iterable[str | os.PathLike]) -> Iterator[Path]:
    """Files as given, and the image files (by extension) under any folder, sorted."""
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for name in sorted(files):
                    if Path(name).suffix.lower() in EXTENSIONS:
                        yield Path(root) / name
        else:
            yield p


def _hash_one(args: tuple[str, bool]) -> tuple[str, MediaHash | None, str | None]:
    path, dihedral = args
    try:
        return path, hash_file(path, dihedral=dihedral), None
    except InputError as exc:
        return path, None, exc.reason
    except Exception as exc:  # a decoder bug must not stop a folder run
        return path, None, f"cannot hash: {type(exc).__name__}: {exc}"


def hash_files(paths: Iterable[str | os.PathLike], *, jobs: int = 1, dihedral: bool = False
               ) -> Iterator[tuple[str, MediaHash | None, str | None]]:
    """``(path, hash, None)`` or ``(path, None, error)`` per file, in input order.

    ``jobs > 1`` hashes in worker processes (PDQ holds the GIL); memory stays bounded
    because each worker holds at most one decoded, reduced image at a time."""
    work = ((str(p), dihedral) for p in paths)
    if jobs <= 1:
        yield from map(_hash_one, work)
        return
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(_hash_one, work, chunksize=8)



# --- matching posts against hash lists ----------------------------------------------------

_MATCHERS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def matcher_for(engine):
    """The engine's ``HashListMatcher``, kept between posts and refreshed when lists change."""
    from marsad.detect.hashlists import HashListMatcher
    matcher = _MATCHERS.get(engine)
    if matcher is None:
        matcher = _MATCHERS[engine] = HashListMatcher(engine)
    matcher.refresh()
    return matcher


def _item_hash(item, base_dir, dihedral: bool) -> tuple[dict, str | None, tuple[str, ...]]:
    """Hashes of one ``post.media`` entry (file, or hashes the input already gives)."""
    if not isinstance(item, dict):
        return {}, "media entry is not an object", ()
    path = item.get("path")
    given = {"pdq": item.get("pdq"), "sha256": item.get("sha256"), "md5": item.get("md5"),
             "quality": item.get("quality")}
    if path:
        full = Path(path) if Path(path).is_absolute() else Path(base_dir or ".") / path
        try:
            h = hash_file(full, dihedral=dihedral)
        except InputError as exc:
            return given, exc.reason, ()
        return ({"pdq": h.pdq, "sha256": h.sha256, "md5": h.md5, "quality": h.quality,
                 "width": h.width, "height": h.height}, None, h.dihedral)
    if given["pdq"] or given["sha256"] or given["md5"]:
        return given, None, ()
    return given, "no path, pdq or sha256 to match (URLs are not fetched)", ()


def _clean_hex(value, length: int) -> str | None:
    value = (value or "").strip().lower() if isinstance(value, str) else ""
    return value if len(value) == length and all(c in "0123456789abcdef" for c in value) else None


def match_post_media(engine, post, base_dir, *, dihedral: bool = False, now=None) -> list[dict]:
    """Hash each readable media item of ``post``, record ``media`` rows and matches, and
    return the matches that stand as findings-ready dicts
    ``{"list", "category", "distance", "pdq", "media_index", "signal_type", "list_hash"}``.

    ``path`` entries are read relative to ``base_dir`` (the input file's folder); given
    ``pdq``/``sha256`` hashes are used as they are. An unreadable item is recorded with
    its error and skipped. Matches suppressed by a negative list or held by the flood
    guard are recorded but not returned. Nothing but hashes and where the item was seen is
    stored, and a match against a child-abuse or terrorist list marks the item sensitive.
    Re-running the same post records nothing twice and returns the same findings."""
    from sqlalchemy import select

    from marsad.detect.hashlist_formats import SENSITIVE
    from marsad.detect.hashlists import utcnow
    from marsad.store.tables_media import media, media_matches

    if not post.media:
        return []
    matcher = matcher_for(engine)
    now = now or utcnow()
    findings: list[dict] = []
    with engine.begin() as conn:
        for index, item in enumerate(post.media):
            hashes, error, others = _item_hash(item, base_dir, dihedral)
            pdq = _clean_hex(hashes.get("pdq"), 64)
            sha256 = _clean_hex(hashes.get("sha256"), 64)
            md5 = _clean_hex(hashes.get("md5"), 32)
            quality = hashes.get("quality")
            quality = int(quality) if isinstance(quality, (int, float)) else None
            hits = matcher.match(pdq, quality, sha256=sha256, md5=md5, dihedral=others)
            key = {"platform": post.platform, "post_id": post.id, "media_index": index}
            row = conn.execute(select(media.c.id, media.c.sensitive).filter_by(**key)).first()
            values = {"path": item.get("path") if isinstance(item, dict) else None,
                      "url": item.get("url") if isinstance(item, dict) else None,
                      "sha256": sha256, "md5": md5, "pdq": pdq, "quality": quality,
                      "width": hashes.get("width"), "height": hashes.get("height"),
                      "error": error, "hashed_at": now,
                      "sensitive": bool((row and row.sensitive)
                                        or any(h.category in SENSITIVE for h in hits))}
            if row is None:
                media_id = conn.execute(media.insert().values(**key, **values)).inserted_primary_key[0]
            else:
                media_id = row.id
                conn.execute(media.update().where(media.c.id == media_id).values(**values))
            known = {(r.list_id, r.signal_type, r.value): r for r in conn.execute(
                select(media_matches).where(media_matches.c.media_id == media_id))}
            fresh = [h for h in hits if (h.list_id, h.signal_type, h.value) not in known]
            for h in matcher.judge(conn, fresh, now):
                conn.execute(media_matches.insert().values(
                    media_id=media_id, list_id=h.list_id, list_hash_id=h.list_hash_id,
                    signal_type=h.signal_type, value=h.value, distance=h.distance,
                    status=h.status, reason=h.reason, platform=post.platform, post_id=post.id,
                    source=post.source, matched_at=now))
            for h in hits:
                prior = known.get((h.list_id, h.signal_type, h.value))
                status = prior.status if prior is not None else h.status
                if h.kind == "negative" or status != "match":
                    continue
                findings.append({"list": h.list_name, "category": h.category,
                                 "distance": prior.distance if prior is not None else h.distance,
                                 "pdq": pdq, "media_index": index, "signal_type": h.signal_type,
                                 "list_hash": h.value})
    return findings


# --- near-duplicates across the corpus ----------------------------------------------------

def near_duplicate_pairs(items, threshold: int | None = None, min_quality: int | None = None
                         ) -> list[tuple[str, str, str]]:
    """``(account, account, pdq)`` for images within ``threshold`` posted by different
    accounts; ``items`` are ``(account, pdq)`` or ``(account, pdq, quality)``.

    ``pdq`` names the cluster of near-identical images (its smallest hash), so the linker
    can treat it as one shared identifier. Low-quality hashes (flat or tiny images) are
    left out: they are near each other without being the same picture."""
    from marsad import settings
    from marsad.detect.index import PDQIndex

    threshold = settings.get("PDQ_THRESHOLD") if threshold is None else threshold
    min_quality = settings.get("PDQ_MIN_QUALITY") if min_quality is None else min_quality
    accounts: dict[str, set[str]] = {}
    for it in items:
        account, pdq = it[0], _clean_hex(it[1], 64)
        quality = it[2] if len(it) > 2 else None
        if account and pdq and (quality is None or quality >= min_quality):
            accounts.setdefault(pdq, set()).add(account)
    hashes = sorted(accounts)
    if not hashes:
        return []
    index = PDQIndex()
    index.add(hashes, np.arange(len(hashes)))
    qq, ii, _ = index.search(hashes, threshold)
    parent = list(range(len(hashes)))        # union-find names each cluster

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in zip(qq.tolist(), ii.tolist()):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    pairs: set[tuple[str, str, str]] = set()
    for a, b in zip(qq.tolist(), ii.tolist()):
        if a > b:
            continue
        name = hashes[root(a)]
        for x in accounts[hashes[a]]:
            for y in accounts[hashes[b]]:
                if x != y:
                    pairs.add((min(x, y), max(x, y), name))
    return sorted(pairs)


def corpus_near_duplicates(engine, threshold: int | None = None, min_quality: int | None = None
                           ) -> list[tuple[str, str, str]]:
    """``near_duplicate_pairs`` over every hashed image in the store (account =
    ``platform:author_id``, as ``Post.account``)."""
    from sqlalchemy import select

    from marsad.store.schema import posts
    from marsad.store.tables_media import media

    q = (select(posts.c.platform, posts.c.author_id, media.c.pdq, media.c.quality)
         .join(posts, (posts.c.platform == media.c.platform) & (posts.c.id == media.c.post_id))
         .where(media.c.pdq.is_not(None), posts.c.author_id.is_not(None)))
    with engine.connect() as conn:
        items = [(f"{p}:{a}", h, q_) for p, a, h, q_ in conn.execute(q)]
    return near_duplicate_pairs(items, threshold, min_quality)
