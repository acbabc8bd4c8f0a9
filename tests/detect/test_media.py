"""Hashing images: formats, EXIF orientation, transformed copies, and hostile files."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from marsad.detect.index import hamming
from marsad.detect.media import HASH_SIDE, hash_bytes, hash_file, hash_files, iter_image_paths
from marsad.errors import InputError
from tests.fixtures.media.synth import (encode, exif_rotated_jpeg, png_bomb, poster, transformed,
                                        write_big_png)

MEDIA = Path(__file__).parents[1] / "fixtures" / "media"
ROOT = Path(__file__).parents[2]


def test_hash_gives_pdq_quality_and_exact_hashes():
    data = (MEDIA / "poster1.jpg").read_bytes()
    h = hash_file(MEDIA / "poster1.jpg")
    assert len(h.pdq) == 64 and int(h.pdq, 16) >= 0
    assert h.quality == 100
    assert h.sha256 == hashlib.sha256(data).hexdigest()
    assert h.md5 == hashlib.md5(data).hexdigest()
    assert (h.width, h.height, h.format) == (360, 270, "JPEG")


def test_other_formats_and_gif_first_frame_hash_alike():
    base = hash_file(MEDIA / "poster1.jpg").pdq
    assert hamming(hash_file(MEDIA / "poster1.webp").pdq, base) <= 8
    assert hamming(hash_file(MEDIA / "poster1_anim.gif").pdq, base) <= 8   # frame 1, not 2
    assert hamming(hash_file(MEDIA / "poster2.png").pdq, base) > 64         # a different picture


def test_exif_orientation_is_applied():
    upright = hash_file(MEDIA / "poster1.jpg")
    sideways = hash_file(MEDIA / "poster1_exif6.jpg")   # pixels stored rotated, EXIF says 6
    assert hamming(sideways.pdq, upright.pdq) <= 8
    assert (sideways.width, sideways.height) == (360, 270)
    # Without the EXIF tag the same pixels hash far away: the tag is what made them match.
    from PIL import Image
    raw = Image.open(MEDIA / "poster1_exif6.jpg")
    raw.getexif().clear()
    assert hamming(hash_bytes(encode(raw.convert("RGB"), "PNG")).pdq, upright.pdq) > 64


@pytest.mark.parametrize("kind", ["resize_half", "resize_300", "jpeg_q40", "webp_q50",
                                  "watermark", "crop_1pct"])
def test_transformed_copies_stay_within_the_default_threshold(kind):
    img = poster(7)
    original = hash_bytes(encode(img, "PNG")).pdq
    copy = hash_bytes(encode(transformed(img)[kind].convert("RGB"), "JPEG", quality=85)).pdq
    assert hamming(original, copy) <= 31
    other = hash_bytes(encode(poster(8), "PNG")).pdq
    assert hamming(original, other) > 31


def test_downscaling_before_pdq_changes_the_hash_little():
    import numpy as np
    import pdqhash

    from marsad.detect.media import pdq_bits_to_hex
    img = poster(9, (1600, 1200))
    full = pdq_bits_to_hex(pdqhash.compute(np.asarray(img))[0])
    reduced = hash_bytes(encode(img, "PNG"))
    assert max(1600, 1200) > HASH_SIDE
    assert hamming(full, reduced.pdq) <= 16


def test_dihedral_hashes_match_a_mirrored_repost():
    img = poster(11)
    h = hash_bytes(encode(img, "PNG"), dihedral=True)
    mirrored = hash_bytes(encode(img.transpose(0), "PNG")).pdq   # FLIP_LEFT_RIGHT
    assert len(h.dihedral) == 7
    assert hamming(h.pdq, mirrored) > 31
    assert min(hamming(d, mirrored) for d in h.dihedral) <= 31


@pytest.mark.parametrize("name, message", [
    ("truncated.jpg", "truncated"),
    ("notes.jpg", "not an image"),
    ("bomb.png", "decompression-bomb guard"),
])
def test_bad_files_give_a_clear_error_naming_the_file(name, message):
    with pytest.raises(InputError) as err:
        hash_file(MEDIA / "bad" / name)
    assert message in str(err.value)
    assert name in str(err.value)


def test_huge_image_is_refused_before_decoding(tmp_path):
    big = tmp_path / "huge.png"
    write_big_png(big, 20_000, 20_000)
    with pytest.raises(InputError, match=r"20000x20000|400,000,000 pixels"):
        hash_file(big)


def test_missing_file_and_folder_are_errors(tmp_path):
    with pytest.raises(InputError, match="No such file"):
        hash_file(tmp_path / "nope.jpg")
    with pytest.raises(InputError, match="not a regular file"):
        hash_file(tmp_path)


def test_a_folder_run_reports_each_bad_file_and_goes_on():
    paths = list(iter_image_paths([MEDIA]))
    results = {Path(p).name: (h, e) for p, h, e in hash_files(paths)}
    assert {"truncated.jpg", "notes.jpg", "bomb.png", "poster1.jpg", "poster2.png"} <= set(results)
    assert results["poster1.jpg"][0] is not None and results["poster1.jpg"][1] is None
    for bad in ("truncated.jpg", "notes.jpg", "bomb.png"):
        assert results[bad][0] is None and results[bad][1]
    # Worker processes give the same answers in the same order.
    assert [(p, h, e) for p, h, e in hash_files(paths, jobs=2)] == list(hash_files(paths))


def test_hostile_files_are_handled_in_bounded_memory(tmp_path):
    """A bomb, a 20k x 20k PNG and a real 6k x 4k JPEG, hashed in a fresh process: peak
    memory stays far below what decoding the big ones in full would take (1.2 GB)."""
    write_big_png(tmp_path / "huge.png", 20_000, 20_000)
    (tmp_path / "bomb.png").write_bytes(png_bomb())
    (tmp_path / "big.jpg").write_bytes(encode(poster(3, (6000, 4000), noise=False), "JPEG"))
    code = (
        "import json, re, sys\n"
        "from marsad.detect.media import hash_files\n"
        "out = [(p, e) for p, h, e in hash_files(sys.argv[1:])]\n"
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec from the forking parent
        # (a big pytest process), while VmHWM belongs to this process's own memory.
        "hwm = int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
        "print(json.dumps({'results': out, 'maxrss_mb': hwm / 1024}))\n")
    files = [str(tmp_path / n) for n in ("huge.png", "bomb.png", "big.jpg")]
    proc = subprocess.run([sys.executable, "-c", code, *files], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    report = json.loads(proc.stdout)
    errors = dict(report["results"])
    assert "decompression-bomb guard" in errors[files[0]]
    assert "decompression-bomb guard" in errors[files[1]]
    assert errors[files[2]] is None
    assert report["maxrss_mb"] < 400


def test_cli_hash_prints_one_line_per_image_and_errors_on_stderr(tmp_path):
    from marsad.cli import main
    proc = subprocess.run([sys.executable, "-m", "marsad", "hash", str(MEDIA), "--no-progress"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2
    lines = proc.stdout.splitlines()
    pdq, quality, path = lines[0].split(",", 2)
    assert path.endswith("poster1.jpg") and quality == "100"
    assert pdq == hash_file(MEDIA / "poster1.jpg").pdq
    errors = [json.loads(line) for line in proc.stderr.splitlines()]
    assert {Path(e["file"]).name for e in errors} == {"truncated.jpg", "notes.jpg", "bomb.png"}
    assert main(["hash", str(MEDIA / "poster1.jpg"), "--json"]) == 0


def test_exif_rotated_fixture_is_what_its_generator_makes():
    """The committed fixture is reproducible from the generator (no stray real images)."""
    img = poster(1, (360, 270), noise=False)
    assert hamming(hash_bytes(exif_rotated_jpeg(img)).pdq,
                   hash_file(MEDIA / "poster1_exif6.jpg").pdq) <= 2
