"""Draw the sample's synthetic images and write the demo hash list.

    .venv/bin/python examples/make_media.py          # (re)draw examples/sample/media/*, print hashes
    .venv/bin/python examples/make_media.py --check  # only print the hashes of the files as they are

The pictures are plain shapes and Latin text (no people, nothing real): a boat under a price
banner of the kind smuggling ads use, the same picture re-posted as a smaller, recompressed
JPEG (what a second account of the same operator posts), a bus for a land route, a fishing
boat for sale (the lawful look-alike) and a "residence card" that is only coloured boxes.

Why a hash list with one picture in it: ``make demo`` imports
``examples/hashlists/smuggling_imagery.csv`` so that the scan shows a media match, both the
exact file and its recompressed re-post (PDQ survives resizing and JPEG), while the boat
for sale stays far from it. The list is written with ``marsad.detect.hashlist_formats.write_hashes``
in ThreatExchange's CSV shape, so it is exactly what ``marsad hashlist import`` reads.

Drawing is deterministic (gradients, shapes and Pillow's bundled font); a different Pillow version
may move a few pixels of the text, which moves the PDQ hash by a few bits, well inside the
match threshold. The committed files are the reference: the hash list is computed from them.
"""
from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
MEDIA = HERE / "sample" / "media"
HASHLIST = HERE / "hashlists" / "smuggling_imagery.csv"
LISTED = ("boat_italy_3000.png",)          # the pictures the demo hash list holds
W, H = 640, 480


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _gradient(top: tuple[int, int, int], bottom: tuple[int, int, int], w: int, h: int) -> np.ndarray:
    t = np.linspace(0.0, 1.0, h)[:, None, None]
    return (np.array(top)[None, None, :] * (1 - t) + np.array(bottom)[None, None, :] * t
            ).repeat(w, axis=1).astype(np.uint8)


def _outlined(draw: ImageDraw.ImageDraw, xy, text: str, size: int, fill, outline=(0, 0, 0)) -> None:
    draw.text(xy, text, font=_font(size), fill=fill, stroke_width=max(2, size // 14), stroke_fill=outline)


def boat_italy() -> Image.Image:
    """Sea, a wooden boat with an outboard engine, a tricolour and 'ITALY 3000 EUR'."""
    img = np.zeros((H, W, 3), np.uint8)
    img[:260] = _gradient((120, 180, 235), (220, 236, 250), W, 260)
    img[260:] = _gradient((30, 90, 150), (10, 40, 90), W, H - 260)
    im = Image.fromarray(img)
    d = ImageDraw.Draw(im)
    for i, y in enumerate(range(280, H, 22)):               # waves
        for x in range(-40 + (i % 2) * 30, W, 60):
            d.arc((x, y, x + 60, y + 16), 200, 340, fill=(200, 225, 245), width=2)
    d.polygon([(120, 300), (520, 300), (470, 370), (170, 370)], fill=(120, 70, 35), outline=(60, 30, 10))
    d.rectangle((130, 292, 510, 302), fill=(230, 230, 220))
    d.rectangle((260, 250, 360, 300), fill=(235, 235, 235), outline=(90, 90, 90), width=3)
    d.rectangle((520, 300, 545, 360), fill=(25, 25, 25))     # outboard engine
    d.rectangle((300, 180, 304, 250), fill=(70, 70, 70))     # flag pole and tricolour
    for k, colour in enumerate(((0, 146, 70), (255, 255, 255), (206, 43, 55))):
        d.rectangle((305 + 22 * k, 180, 327 + 22 * k, 212), fill=colour)
    d.ellipse((540, 30, 600, 90), fill=(255, 220, 90))       # sun
    _outlined(d, (40, 40), "ITALY 3000 EUR", 60, (255, 255, 255))
    _outlined(d, (44, 120), "ZUWARA > LAMPEDUSA", 30, (255, 235, 120))
    _outlined(d, (40, 410), "100% SAFE  -  WHATSAPP", 28, (255, 255, 255))
    return im


def boat_repost(original: Image.Image) -> bytes:
    """The same picture as a second account re-posts it: larger, slightly brighter, JPEG."""
    big = original.resize((960, 720), Image.Resampling.BICUBIC)
    big = Image.fromarray(np.clip(np.asarray(big, np.int16) + 8, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    big.save(buf, "JPEG", quality=62, optimize=False, progressive=False)
    return buf.getvalue()


def bus_germany() -> Image.Image:
    """A coach on a road at dusk with 'GERMANY VIP 4500$'."""
    img = np.zeros((H, W, 3), np.uint8)
    img[:300] = _gradient((250, 170, 90), (120, 80, 140), W, 300)
    img[300:] = _gradient((80, 80, 85), (50, 50, 55), W, H - 300)
    im = Image.fromarray(img)
    d = ImageDraw.Draw(im)
    for x in range(0, W, 90):                                # lane marks
        d.rectangle((x, 395, x + 50, 402), fill=(235, 235, 200))
    d.rounded_rectangle((90, 220, 560, 360), radius=18, fill=(240, 200, 40), outline=(80, 60, 10), width=4)
    for x in range(120, 520, 70):                            # windows
        d.rectangle((x, 240, x + 50, 285), fill=(90, 140, 190), outline=(40, 40, 40), width=2)
    d.rectangle((500, 240, 545, 330), fill=(70, 110, 160))   # door
    for cx in (170, 470):
        d.ellipse((cx - 32, 330, cx + 32, 394), fill=(20, 20, 20))
        d.ellipse((cx - 12, 350, cx + 12, 374), fill=(160, 160, 160))
    _outlined(d, (36, 36), "GERMANY VIP", 60, (255, 255, 255))
    _outlined(d, (36, 110), "4500$  ISTANBUL > WIEN", 34, (255, 240, 150))
    return im


def boat_for_sale() -> Image.Image:
    """A small fishing boat at a quay with 'A VENDRE 15HP' (the lawful look-alike)."""
    img = np.zeros((H, W, 3), np.uint8)
    img[:200] = _gradient((200, 225, 240), (170, 205, 230), W, 200)
    img[200:330] = _gradient((60, 140, 160), (40, 110, 130), W, 130)
    img[330:] = _gradient((205, 190, 160), (180, 165, 135), W, H - 330)
    im = Image.fromarray(img)
    d = ImageDraw.Draw(im)
    for x in range(0, W, 40):                                # quay stones
        d.line((x, 330, x, H), fill=(150, 135, 110), width=2)
    d.polygon([(40, 250), (330, 250), (300, 310), (70, 310)], fill=(250, 250, 250), outline=(20, 60, 120))
    d.rectangle((40, 250, 330, 262), fill=(20, 80, 160))
    d.rectangle((330, 255, 348, 300), fill=(60, 60, 60))     # small outboard
    d.line((150, 250, 150, 150), fill=(90, 60, 30), width=5)  # mast with a net
    for k in range(5):
        d.line((150, 160 + 16 * k, 230, 200 + 10 * k), fill=(120, 110, 90), width=1)
    d.rectangle((380, 60, 610, 190), fill=(255, 255, 255), outline=(200, 30, 30), width=6)
    d.text((400, 80), "A VENDRE", font=_font(40), fill=(200, 30, 30))
    d.text((400, 135), "15HP  9500 DT", font=_font(30), fill=(30, 30, 30))
    return im


def residence_card() -> Image.Image:
    """A card of coloured boxes: 'RESIDENCE PERMIT / 100% ORIGINAL'. No face: a grey box."""
    im = Image.fromarray(_gradient((60, 60, 70), (25, 25, 30), W, H))
    d = ImageDraw.Draw(im)
    d.rounded_rectangle((70, 90, 570, 390), radius=24, fill=(205, 225, 240), outline=(30, 60, 120), width=5)
    d.rectangle((70, 90, 570, 140), fill=(30, 60, 140))
    d.text((95, 100), "RESIDENCE PERMIT", font=_font(30), fill=(255, 215, 0))
    d.rectangle((100, 170, 230, 330), fill=(170, 170, 175), outline=(90, 90, 90), width=2)
    for k, width in enumerate((260, 220, 280, 180, 240)):    # the "fields" of the card
        d.rectangle((260, 175 + 30 * k, 260 + width, 188 + 30 * k), fill=(120, 140, 170))
    _outlined(d, (80, 20), "100% ORIGINAL", 48, (120, 255, 120))
    _outlined(d, (80, 405), "DATABASE REGISTERED", 34, (255, 255, 255))
    return im


def draw_all(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    boat = boat_italy()
    pictures = {"boat_italy_3000.png": boat, "bus_germany_vip.png": bus_germany(),
                "boat_for_sale_15hp.png": boat_for_sale(), "residence_card.png": residence_card()}
    written = []
    for name, im in pictures.items():
        im.save(folder / name, "PNG", optimize=True)
        written.append(folder / name)
    (folder / "boat_italy_3000_repost.jpg").write_bytes(boat_repost(boat))
    written.append(folder / "boat_italy_3000_repost.jpg")
    return written


def write_hashlist(folder: Path, out: Path) -> int:
    from marsad.detect.hashlist_formats import HashRecord, write_hashes
    from marsad.detect.media import hash_file

    records = [HashRecord("pdq", hash_file(folder / name).pdq, ("sample", "sea_crossing", "price_banner"))
               for name in LISTED]
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8", newline="") as fh:
        return write_hashes(records, "te-csv", fh, collab="marsad-sample")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="hash the files as they are; draw nothing")
    args = parser.parse_args(argv)
    from marsad.detect.media import hash_file

    if not args.check:
        draw_all(MEDIA)
        write_hashlist(MEDIA, HASHLIST)
    listed = {name: hash_file(MEDIA / name).pdq for name in LISTED}
    for path in sorted(MEDIA.iterdir()):
        h = hash_file(path)
        near = min((bin(int(h.pdq, 16) ^ int(v, 16)).count("1"), k) for k, v in listed.items())
        print(f"{path.name:30} pdq {h.pdq}  quality {h.quality:3}  "
              f"distance to {near[1]}: {near[0]}")
    print(f"hash list: {HASHLIST.relative_to(HERE.parent)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    raise SystemExit(main())
