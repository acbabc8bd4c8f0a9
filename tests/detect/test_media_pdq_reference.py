"""Is pdqhash's output PDQ, in ThreatExchange's hex form?

1. The reference test vectors. Meta publishes expected hashes for the images in
   facebook/ThreatExchange ``pdq/data`` (``pdq/python/pdqhashing/tests/pdq_test.py`` and
   ``pdq/cpp/reg_test/expected/out``). Those images are not in this repository (they are
   photographs, and tests here use only synthetic pictures), so the check runs when
   ``MARSAD_PDQ_REFERENCE_DATA`` points at a checkout of ``pdq/data`` and is skipped
   otherwise. Tolerance 16 bits, as in Meta's own test (JPEG decoders differ).

2. Always: an independent re-derivation of the PDQ algorithm from its published
   description (Rec.601 luma; two passes of a centred box filter whose window is
   ceil(old / 128); sampling 64 x 64; 16 x 16 DCT-II without the DC row/column; a bit
   set where the coefficient exceeds the median; bit k in 16-bit word k // 16, words
   printed high to low; quality from summed 64 x 64 gradients). It must agree with
   pdqhash bit for bit, and in quality, on synthetic images of several sizes. That pins
   both the algorithm and the hex bit order that hash lists are shared in.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from marsad.detect.index import hamming
from marsad.detect.media import hash_file, pdq_from_rgb
from tests.fixtures.media.synth import poster

# (path under pdq/data, expected hash) from Meta's pdq/python/pdqhashing/tests/pdq_test.py
REFERENCE = [
    ("misc-images/b.jpg", "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22"),
    ("misc-images/c.png", "e64cc9d91e623842f8d1f1d9a398e78c9f199a3bd87924f2b7e11e0bf061b064"),
    ("misc-images/small.jpg", "0007001f003f003f007f00ff00ff00ff01ff01ff01ff03ff03ff03ff03ff03ff"),
    ("misc-images/wee.jpg", "6227401f601ff4ccafcc9fad4b0d95d371a2eb7265a3285234d228ca94deeb2d"),
    ("reg-test-input/labelme-subset/q0003.jpg",
     "54a977c221d14c1c43ba5e6e21d4a13989a3553f1462611cbb85fda7be83b677"),
    ("reg-test-input/labelme-subset/q0004.jpg",
     "992d44af36d69e6ca6b812585928bac11def254ef5398c6d07466c9abcc65b92"),
    ("reg-test-input/labelme-subset/q0122.jpg",
     "cfb2009ddd21c6dab0046a7745b5984757a8a4535b3377aea2591d32b33ff940"),
    ("reg-test-input/labelme-subset/q0291.jpg",
     "a0fe94f1e5cc1cc8dd855948498dc9243f7ca27336f036d7f212b74bc103c9a7"),
    ("reg-test-input/labelme-subset/q0746.jpg",
     "1049d96239e24d4dca2c55512b8bdb77425f4dbcf575a0a95555aaab5554aaaa"),
    ("reg-test-input/labelme-subset/q1050.jpg",
     "489db672e9190276d452aeab41eba20f02375fe4092d88defdf491a5c55c5f70"),
    ("reg-test-input/labelme-subset/q2821.jpg",
     "b150231ffae4710ffcf4f18bb574b109a576f14bb8543189f8743289f174b109"),
    ("reg-test-input/dih/bridge-1-original.jpg",
     "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22"),
    ("reg-test-input/dih/bridge-2-rotate-90.jpg",
     "38a50efd71c83f429013d68d0ffffc52e34e0e15ada952a9d29684214aa9e5af"),
    ("reg-test-input/dih/bridge-3-rotate-180.jpg",
     "2dadda64b5a142e5d362209057da895ae63b8c7fc277b4b766b319361f893188"),
    ("reg-test-input/dih/bridge-4-rotate-270.jpg",
     "a5f0a457248995e8c9065c275aaa54d8b61ba4bdf8fcfc0387c32f8b0bfc4f05"),
    ("reg-test-input/dih/bridge-5-flipx.jpg",
     "d8f80f31e0f417b00e37f5dd028f980fb36ed12a9662c1e233e64c634e9c64dd"),
    ("reg-test-input/dih/bridge-6-flipy.jpg",
     "0dad259bb1a1bd18d362576556da32a1e63b7380c2374b4866b3c6c91b89ce77"),
    ("reg-test-input/dih/bridge-7-flip-plus-1.jpg",
     "f0a5e10271dcc0bd9c5309720fff018de34ef1e8ada9a956d2967ade1ea91a50"),
    ("reg-test-input/dih/bridge-8-flip-minus-1.jpg",
     "69f05aa8a4996a17c146a2da5aaaab07b61b5b60f8fc07fc83c3d0740bfcb0fa"),
]
REFERENCE_DIR = os.environ.get("MARSAD_PDQ_REFERENCE_DATA")


@pytest.mark.skipif(not REFERENCE_DIR, reason="set MARSAD_PDQ_REFERENCE_DATA to ThreatExchange's "
                                              "pdq/data to check the official test vectors")
@pytest.mark.parametrize("path, expected", REFERENCE, ids=[p for p, _ in REFERENCE])
def test_official_reference_vectors(path, expected):
    assert hamming(hash_file(Path(REFERENCE_DIR) / path).pdq, expected) <= 16


def test_reference_vectors_are_well_formed():
    """The table above is what the skipped test would check: 64 hex digits each, and the
    published rotations of the bridge photo are far from the original, as PDQ says."""
    table = dict(REFERENCE)
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in table.values())
    original = table["reg-test-input/dih/bridge-1-original.jpg"]
    assert table["misc-images/b.jpg"] == original          # the same photo under two names
    for name, h in table.items():
        if "/dih/" in name and not name.endswith("original.jpg"):
            assert hamming(h, original) > 31


# --- independent re-derivation ------------------------------------------------------------

def _box(v: np.ndarray, window: int) -> np.ndarray:
    """Centred running mean with the window clipped at the ends (PDQ's box filter)."""
    n, half = len(v), (window + 2) // 2
    c = np.concatenate([[0.0], np.cumsum(v, dtype=np.float64)])
    lo = np.maximum(0, np.arange(n) - (window - half))
    hi = np.minimum(n, np.arange(n) + half)
    return (c[hi] - c[lo]) / (hi - lo)


def reference_pdq(rgb: np.ndarray) -> tuple[str, int]:
    luma = (rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114)
    luma = luma.astype(np.float32).astype(np.float64)
    h, w = luma.shape
    wy, wx = (h + 127) // 128, (w + 127) // 128
    for _ in range(2):
        luma = np.apply_along_axis(_box, 1, luma, wx)
        luma = np.apply_along_axis(_box, 0, luma, wy)
    rows = ((np.arange(64) + 0.5) * h / 64).astype(int)
    cols = ((np.arange(64) + 0.5) * w / 64).astype(int)
    a = luma[np.ix_(rows, cols)]
    i, j = np.arange(1, 17)[:, None], np.arange(64)[None, :]
    dct = np.sqrt(2 / 64) * np.cos(np.pi / 128 * i * (2 * j + 1))
    b = dct @ a @ dct.T
    bits = (b > np.median(b)).ravel()
    words = [sum(int(bits[16 * wd + k]) << k for k in range(16)) for wd in range(16)]
    a32 = a.astype(np.float32)
    grad = sum(int(np.abs(np.trunc(np.diff(a32, axis=ax) * np.float32(100) / np.float32(255)))
                   .sum()) for ax in (0, 1))
    return "".join(f"{words[wd]:04x}" for wd in reversed(range(16))), min(100, grad // 90)


@pytest.mark.parametrize("seed, size, blur", [(1, (360, 270), 0), (2, (500, 333), 0),
                                              (3, (64, 64), 0), (4, (1000, 200), 0),
                                              (5, (300, 200), 3), (6, (300, 200), 12)])
def test_pdqhash_agrees_with_an_independent_derivation(seed, size, blur):
    img = poster(seed, size)
    if blur:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    rgb = np.ascontiguousarray(np.asarray(img))
    expected_hex, expected_quality = reference_pdq(rgb)
    got_hex, got_quality, _ = pdq_from_rgb(rgb)
    assert got_hex == expected_hex
    assert got_quality == expected_quality


def test_flat_images_have_quality_zero_and_balanced_hashes_otherwise():
    flat = np.full((100, 80, 3), 128, np.uint8)
    assert pdq_from_rgb(flat)[1] == 0
    busy = pdq_from_rgb(np.asarray(poster(12)))[0]
    assert bin(int(busy, 16)).count("1") == 128     # thresholded at the median
    gray = np.asarray(poster(12).convert("L").convert("RGB"))
    assert hamming(pdq_from_rgb(gray)[0], busy) == 0   # PDQ sees luma only


def test_pdqhash_dihedral_matches_hashing_the_turned_image():
    img = poster(13, (320, 320))
    _, _, others = pdq_from_rgb(np.asarray(img), dihedral=True)
    turned = pdq_from_rgb(np.asarray(img.transpose(Image.Transpose.ROTATE_90)))[0]
    assert min(hamming(o, turned) for o in others) <= 16
