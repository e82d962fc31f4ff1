#!/usr/bin/python3
"""Synthetic licence-plate crop generator for the lpr-edge plate-text recogniser.

Written for this project. Renders state-like US plates (and some EU-style plates) with
PIL from system fonts, then degrades them the way in-vehicle camera crops are degraded.
Everything is driven by a numpy Generator, so output is a pure function of the seed.

Label = main plate characters only (0-9A-Z). Separators (space, dash, dot, emblem, sticker),
stacked or trailing small characters, wheelchair symbols, stickers, state names and slogans are
NOT part of the label.

CLI:
  synth.py --out DIR --n 200 --seed 1            # random plates -> DIR/*.png + DIR/labels.csv
  synth.py --out DIR --text ABC123 --text 7XYZ88  # given texts (clean-ish, for tests)
  synth.py --out DIR --n 16 --grid               # also writes DIR/grid.png contact sheet
"""
from __future__ import annotations

import argparse
import glob
import io
import math
import os
import re
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# SYNTH_SIDE_GLYPHS=0: no glyphs beside the main characters that the label leaves out (stacked
# letters, small trailing characters, the wheelchair symbol), to see what learning to skip them
# costs (models/plate-rec.md, "Without the glyphs beside the characters"). Default: drawn.
SIDE_GLYPHS = os.environ.get("SYNTH_SIDE_GLYPHS", "1") != "0"
LETTERS = ALPHABET[10:]
DIGITS = ALPHABET[:10]

# ----------------------------------------------------------------------------- fonts
_FONT_DIRS = ["/usr/share/fonts", "/usr/local/share/fonts", os.path.expanduser("~/.fonts")]
# plate-like main-character fonts (condensed / DIN / gothic sans); matched on file basename
_MAIN_RE = re.compile(
    r"^(DejaVuSansCondensed-Bold|DejaVuSansCondensed|DejaVuSans-Bold|DejaVuSansMono-Bold|"
    r"LiberationSansNarrow-(Bold|Regular)|LiberationSans-Bold|LiberationMono-Bold|"
    r"NimbusSansNarrow-(Bold|Regular)|NimbusSans-Bold|RobotoCondensed-(Bold|Medium|Regular)|"
    r"Roboto-(Medium|Bold)|OSP-DIN|BebasNeue-(Bold|Regular|Book)|routed-gothic(-narrow)?|"
    r"B612Mono-(Bold|Regular)|B612-Bold|FreeSansBold|NotoSansDisplay-(Bold|Regular)|NotoSans-Bold)"
    r"\.(ttf|otf)$"
)
# fonts for state names / slogans (anything Latin: serif, italic, script ...)
_DECO_RE = re.compile(
    r"^(DejaVu(Sans|Serif)[A-Za-z-]*|Liberation(Sans|Serif)[A-Za-z-]*|Nimbus(Sans|Roman)[A-Za-z-]*|"
    r"C059-[A-Za-z]*|P052-[A-Za-z]*|Z003-[A-Za-z]*|URWBookman-[A-Za-z]*|URWGothic-[A-Za-z]*|"
    r"Roboto[A-Za-z-]*|Noto(Sans|Serif)(Display)?-[A-Za-z]*|Free(Sans|Serif)[A-Za-z]*|"
    r"BebasNeue-[A-Za-z]*|OSP-DIN|routed-gothic[a-z-]*)\.(ttf|otf)$"
)
_EU_RE = re.compile(r"^(OSP-DIN|DejaVuSansCondensed-Bold|RobotoCondensed-(Medium|Regular)|"
                    r"NimbusSansNarrow-Regular|LiberationSansNarrow-Regular|routed-gothic-narrow)\.(ttf|otf)$")


@lru_cache(maxsize=1)
def font_lists():
    files = []
    for d in _FONT_DIRS:
        files += glob.glob(os.path.join(d, "**", "*.ttf"), recursive=True)
        files += glob.glob(os.path.join(d, "**", "*.otf"), recursive=True)
    byname = {}
    for f in sorted(files):
        byname.setdefault(os.path.basename(f), f)  # dedupe same font in several dirs
    names = sorted(byname)
    main = [byname[n] for n in names if _MAIN_RE.match(n)]
    deco = [byname[n] for n in names if _DECO_RE.match(n)]
    eu = [byname[n] for n in names if _EU_RE.match(n)]
    if not main:
        raise RuntimeError("no plate fonts found; install scripts/train/APT_PACKAGES")
    return main, (deco or main), (eu or main)


@lru_cache(maxsize=256)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


@lru_cache(maxsize=8192)
def _glyph(path: str, ch: str) -> Image.Image:
    """Tight 'L' mask of one character rendered at 96 px (rescaled later)."""
    f = _font(path, 96)
    l, t, r, b = f.getbbox(ch)
    im = Image.new("L", (max(1, r - l + 4), max(1, b - t + 4)), 0)
    ImageDraw.Draw(im).text((2 - l, 2 - t), ch, font=f, fill=255)
    bb = im.getbbox()
    return im.crop(bb) if bb else im


# ----------------------------------------------------------------------------- text
STATES = [
    "ALABAMA", "ALASKA", "ARIZONA", "ARKANSAS", "California", "COLORADO", "Connecticut", "DELAWARE",
    "FLORIDA", "GEORGIA", "Hawaii", "IDAHO", "ILLINOIS", "INDIANA", "IOWA", "KANSAS", "Kentucky",
    "LOUISIANA", "Maine", "Maryland", "Massachusetts", "MICHIGAN", "Minnesota", "MISSISSIPPI",
    "MISSOURI", "MONTANA", "NEBRASKA", "NEVADA", "New Hampshire", "NEW JERSEY", "NEW MEXICO",
    "NEW YORK", "NORTH CAROLINA", "NORTH DAKOTA", "OHIO", "OKLAHOMA", "OREGON", "PENNSYLVANIA",
    "Rhode Island", "South Carolina", "SOUTH DAKOTA", "TENNESSEE", "TEXAS", "UTAH", "Vermont",
    "VIRGINIA", "WASHINGTON", "WEST VIRGINIA", "WISCONSIN", "WYOMING", "DISTRICT OF COLUMBIA",
]
SLOGANS = [
    "SUNSHINE STATE", "Land of Lincoln", "EMPIRE STATE", "Live Free or Die", "Famous Potatoes",
    "Grand Canyon State", "America's Dairyland", "First in Flight", "Wild, Wonderful",
    "Preserve the Trust", "Sportsman's Paradise", "The Lone Star State", "LAND OF ENCHANTMENT",
    "Constitution State", "10,000 lakes", "Green Mountain State", "visitPA.com", "Centennial",
    "Native America", "Explore Minnesota", "myflorida.com", "In God We Trust", "Vacationland",
    "CELEBRATING STATEHOOD", "Great Faces. Great Places.", "The Great Lakes State", "Pure Michigan",
    "Ocean State", "Garden State", "Evergreen State", "Treasure State", "Silver State",
    "Beehive State", "Peach State", "Volunteer State", "Show Me State", "Hoosier State",
    "The First State", "Bluegrass State", "TAXATION WITHOUT REPRESENTATION", "Aloha State",
    "BIG SKY COUNTRY", "Discover Oklahoma", "Pacific Wonderland", "Wonderful", "Heart of Dixie",
    "Natural State", "Colorful Colorado", "Life Elevated", "Greatest Snow on Earth", "DEALER",
]
COUNTIES = ["CLARK", "MADISON", "JEFFERSON", "FRANKLIN", "WASHINGTON", "JACKSON", "LINCOLN",
            "MARION", "MONROE", "GREENE", "WARREN", "UNION", "COUNTY", "TRANSPORTER", "TRUCK", "TRAILER"]
SEPARATORS = ["space", "dash", "dot", "emblem", "sticker", "none"]
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
EU_CODES = ["D", "NL", "F", "I", "E", "B", "A", "PL", "CZ", "SK", "SLO", "HR", "P", "L", "GB", "RO", "H", "S", "FIN", "DK"]


def rand_us_text(rng: np.random.Generator) -> tuple[str, list[int]]:
    """Random main characters; returns (text, group split points)."""
    n = int(rng.choice([2, 3, 4, 5, 6, 7, 8], p=[0.01, 0.03, 0.07, 0.12, 0.30, 0.33, 0.14]))
    mode = rng.random()
    if mode < 0.55 and n >= 4:  # structured: letters block + digits block (either order)
        k = int(rng.integers(1, n))
        a = "".join(rng.choice(list(LETTERS), k))
        d = "".join(rng.choice(list(DIGITS), n - k))
        r = rng.random()
        if r < 0.45:
            s = a + d
        elif r < 0.8:
            s = d + a
        else:  # digit + letters + digits (e.g. 5ABC123)
            k2 = int(rng.integers(1, max(2, n - 1)))
            s = "".join(rng.choice(list(DIGITS), 1)) + a[: max(1, min(k, n - 2))]
            s = s + "".join(rng.choice(list(DIGITS), n - len(s)))
            s = s[:n]
            del k2
    elif mode < 0.8:  # uniform random alphanumeric
        s = "".join(rng.choice(list(ALPHABET), n))
    else:  # letter-heavy vanity
        pool = LETTERS * 4 + DIGITS
        s = "".join(rng.choice(list(pool), n))
    s = list(s)
    if rng.random() < 0.18 and n >= 3:  # repeated characters (LLL333, 5555, BB9...)
        i = int(rng.integers(0, n - 1))
        run = int(rng.integers(2, min(4, n - i) + 1))
        for j in range(i + 1, i + run):
            s[j] = s[i]
    s = "".join(s)
    splits: list[int] = []
    if n >= 4 and rng.random() < 0.75:
        # split where letters/digits change if possible, otherwise in the middle
        cands = [i for i in range(1, n) if s[i - 1].isdigit() != s[i].isdigit()]
        splits.append(int(rng.choice(cands)) if cands else n // 2 + int(rng.integers(-1, 1)))
        if n >= 7 and rng.random() < 0.12:
            other = [i for i in range(2, n - 1) if abs(i - splits[0]) >= 2]
            if other:
                splits.append(int(rng.choice(other)))
        splits.sort()
    return s, splits


def rand_eu_text(rng: np.random.Generator) -> tuple[str, list[int]]:
    r = rng.random()
    L = lambda k: "".join(rng.choice(list(LETTERS), k))  # noqa: E731
    D = lambda k: "".join(rng.choice(list(DIGITS), k))  # noqa: E731
    if r < 0.3:  # German: M AB 1234
        a, b, c = L(int(rng.integers(1, 4))), L(int(rng.integers(1, 3))), D(int(rng.integers(1, 5)))
        return a + b + c, [len(a), len(a) + len(b)]
    if r < 0.55:  # AB-123-CD (F, I, HR ...)
        a, b, c = L(2), D(3), L(2)
        return a + b + c, [2, 5]
    if r < 0.7:  # NL-style 12-ABC-3
        a, b, c = D(2), L(3), D(1)
        return a + b + c, [2, 5]
    if r < 0.85:  # AB12 CDE / 1ABC234
        if rng.random() < 0.5:
            a, b = L(2) + D(2), L(3)
        else:
            a, b = D(1) + L(3), D(3)
        return a + b, [len(a)]
    s = "".join(rng.choice(list(ALPHABET), int(rng.integers(4, 9))))
    return s, ([len(s) // 2] if rng.random() < 0.5 else [])


# ----------------------------------------------------------------------------- colours
def _rc(rng, lo=0, hi=255):
    return tuple(int(x) for x in rng.integers(lo, hi + 1, 3))


def _jitter(rng, c, amt=25):
    return tuple(int(np.clip(v + rng.integers(-amt, amt + 1), 0, 255)) for v in c)


LIGHT_BG = [(250, 250, 248), (240, 244, 250), (255, 236, 120), (250, 215, 60), (225, 235, 245),
            (235, 235, 225), (245, 240, 220), (210, 230, 250), (230, 245, 230), (250, 225, 225)]
DARK_BG = [(20, 35, 90), (15, 15, 18), (30, 70, 40), (110, 20, 30), (40, 40, 45), (20, 60, 120)]
DARK_FG = [(15, 30, 110), (10, 10, 12), (20, 80, 40), (120, 20, 30), (160, 25, 25), (30, 30, 60), (0, 70, 110)]
LIGHT_FG = [(250, 250, 250), (250, 215, 60), (235, 200, 120), (240, 240, 200)]


def _gradient(w, h, c1, c2, vertical=True):
    t = np.linspace(0, 1, h if vertical else w, dtype=np.float32)
    t = t[:, None] if vertical else t[None, :]
    t = np.broadcast_to(t, (h, w))[..., None]
    a = np.array(c1, np.float32)
    b = np.array(c2, np.float32)
    return Image.fromarray((a * (1 - t) + b * t).astype(np.uint8), "RGB")


def _background(rng, w, h, base, dark):
    r = rng.random()
    if r < 0.35:
        im = Image.new("RGB", (w, h), _jitter(rng, base, 12))
    elif r < 0.75:
        c2 = _jitter(rng, base, 70) if rng.random() < 0.6 else (_rc(rng, 120, 255) if not dark else _rc(rng, 0, 110))
        im = _gradient(w, h, _jitter(rng, base, 10), c2, vertical=rng.random() < 0.75)
    else:  # sky-ish top to white bottom or the reverse
        top = _rc(rng, 100, 255) if not dark else _rc(rng, 0, 90)
        im = _gradient(w, h, top, _jitter(rng, base, 10), vertical=True)
        if rng.random() < 0.5:
            im = im.transpose(Image.FLIP_TOP_BOTTOM)
    d = ImageDraw.Draw(im, "RGBA")
    # graphics-like scenery: mountains / hills / sun / big logo blobs, low-ish contrast
    for _ in range(int(rng.integers(0, 4))):
        kind = rng.random()
        col = _rc(rng, 0, 255) + (int(rng.integers(30, 150)),)
        if kind < 0.4:  # mountain / hill silhouette along the bottom
            n = int(rng.integers(3, 9))
            xs = np.sort(rng.uniform(0, w, n))
            ys = rng.uniform(h * 0.45, h * 0.95, n)
            pts = [(0, h)] + [(float(x), float(y)) for x, y in zip(xs, ys)] + [(w, h)]
            d.polygon(pts, fill=col)
        elif kind < 0.7:
            cx, cy, rr = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(h * 0.1, h * 0.6)
            d.ellipse([cx - rr, cy - rr * rng.uniform(0.6, 1.2), cx + rr, cy + rr], fill=col)
        elif kind < 0.85:  # stripe band
            y0 = rng.uniform(0, h)
            d.rectangle([0, y0, w, y0 + rng.uniform(3, h * 0.2)], fill=col)
        else:  # random polygon "logo"
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            pts = [(float(cx + rng.uniform(-h * 0.4, h * 0.4)), float(cy + rng.uniform(-h * 0.4, h * 0.4))) for _ in range(int(rng.integers(3, 8)))]
            d.polygon(pts, fill=col)
    if rng.random() < 0.3:  # fine texture / print noise
        a = np.asarray(im).astype(np.int16)
        a = a + rng.normal(0, rng.uniform(2, 10), (h, w, 1)).astype(np.int16)
        im = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    return im


def _fit_text(draw, text, font_path, box_w, box_h):
    size = max(6, int(box_h))
    f = _font(font_path, size)
    l, t, r, b = draw.textbbox((0, 0), text, font=f)
    if r - l > box_w:
        size = max(6, int(size * box_w / max(1, r - l)))
        f = _font(font_path, size)
        l, t, r, b = draw.textbbox((0, 0), text, font=f)
    return f, (l, t, r, b)


def _draw_text_centered(im, rng, text, font_path, cx, cy, box_w, box_h, fill):
    d = ImageDraw.Draw(im)
    f, (l, t, r, b) = _fit_text(d, text, font_path, box_w, box_h)
    x = cx - (r - l) / 2 - l
    y = cy - (b - t) / 2 - t
    d.text((x, y), text, font=f, fill=fill)


def _paste_mask(im, mask, x, y, color):
    layer = Image.new("RGB", mask.size, color)
    im.paste(layer, (int(round(x)), int(round(y))), mask)


def _emblem(rng, size_w, size_h, color):
    """Small separator emblem (state shape / circle / star / heart), returns RGBA."""
    im = Image.new("RGBA", (max(2, int(size_w)), max(2, int(size_h))), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    w, h = im.size
    k = rng.random()
    if k < 0.3:  # filled disc with a contrasting centre (never a bare ring that looks like O/0)
        d.ellipse([0, 0, w - 1, h - 1], fill=color + (255,))
        d.polygon([(w * 0.5, h * 0.15), (w * 0.8, h * 0.75), (w * 0.2, h * 0.75)], fill=_rc(rng) + (255,))
    elif k < 0.55:  # star
        cx, cy, R = w / 2, h / 2, min(w, h) / 2
        pts = []
        for i in range(10):
            a = -math.pi / 2 + i * math.pi / 5
            rr = R if i % 2 == 0 else R * 0.42
            pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
        d.polygon(pts, fill=color + (255,))
    else:  # blob-like "state outline"
        n = int(rng.integers(5, 10))
        ang = np.sort(rng.uniform(0, 2 * math.pi, n))
        rad = rng.uniform(0.55, 1.0, n)
        pts = [(w / 2 + w / 2 * r * math.cos(a), h / 2 + h / 2 * r * math.sin(a)) for a, r in zip(ang, rad)]
        d.polygon(pts, fill=(color if rng.random() < 0.6 else _rc(rng)) + (255,))
    return im


def _access_symbol(rng, h):
    """The International Symbol of Access (a wheelchair user), as printed on disability plates
    beside the characters: an 'L' mask, h tall, sometimes white on a filled square."""
    h = max(8, int(h))
    w = int(h * rng.uniform(0.75, 0.95))
    im = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(im)
    t = max(2, int(h * rng.uniform(0.08, 0.12)))  # stroke width
    lean = rng.uniform(-0.05, 0.1) * w
    d.ellipse([0.5 * w - 0.1 * h + lean, 0.02 * h, 0.5 * w + 0.1 * h + lean, 0.22 * h], fill=255)  # head
    hip = (0.48 * w, 0.62 * h)
    d.line([(0.52 * w + lean, 0.28 * h), hip], fill=255, width=t)  # back
    d.line([(0.5 * w + lean * 0.7, 0.4 * h), (0.8 * w, 0.4 * h)], fill=255, width=t)  # arm
    d.line([hip, (0.8 * w, 0.62 * h), (0.92 * w, 0.95 * h)], fill=255, width=t)  # seat and leg
    r = 0.3 * h  # the wheel: an open arc around the hip, the gap where the legs are
    cx, cy = 0.4 * w, 0.68 * h
    d.arc([cx - r, cy - r, cx + r, cy + r], start=int(rng.uniform(-40, -10)), end=int(rng.uniform(250, 280)), fill=255, width=t)
    if rng.random() < 0.4:  # white on a filled square: the square is the mask, the figure a hole
        sq = Image.new("L", (int(w * 1.2), int(h * 1.1)), 255)
        sq.paste(0, (int(w * 0.1), int(h * 0.05)), im)
        return sq
    return im


def _sticker(rng, w, h):
    im = Image.new("RGB", (max(4, int(w)), max(4, int(h))), _rc(rng, 0, 255))
    d = ImageDraw.Draw(im)
    txt = rng.choice(MONTHS) if rng.random() < 0.5 else "%02d" % int(rng.integers(0, 100))
    fc = (0, 0, 0) if sum(im.getpixel((0, 0))) > 380 else (255, 255, 255)
    _draw_text_centered(im, rng, txt, rng.choice(font_lists()[1]), im.size[0] / 2, im.size[1] / 2, im.size[0] * 0.9, im.size[1] * 0.75, fc)
    if rng.random() < 0.5:
        d.rectangle([0, 0, im.size[0] - 1, im.size[1] - 1], outline=_rc(rng))
    return im


def _glyph_row(rng, text, splits, font_path, char_h, cond, spacing_px):
    """Layout main characters. Returns list of ('g', mask) / ('sep', kind, width) and total width."""
    items = []
    for i, ch in enumerate(text):
        if i in splits:
            items.append(("sep",))
        g = _glyph(font_path, ch)
        gw = max(1, int(round(g.size[0] * char_h / g.size[1] * cond)))
        items.append(("g", g.resize((gw, int(char_h)), Image.BILINEAR)))
    return items


# ----------------------------------------------------------------------------- plates
def render_us(rng, text=None, splits=None, clean=False, separator=None):
    W, H = 320, 160
    if text is None:
        text, splits = rand_us_text(rng)
    splits = splits or []
    dark = (not clean) and rng.random() < 0.16
    base = DARK_BG[int(rng.integers(len(DARK_BG)))] if dark else LIGHT_BG[int(rng.integers(len(LIGHT_BG)))]
    im = _background(rng, W, H, base, dark) if not clean else Image.new("RGB", (W, H), (245, 245, 240))
    fg = (LIGHT_FG if dark else DARK_FG)[int(rng.integers(len(LIGHT_FG if dark else DARK_FG)))]
    fg = _jitter(rng, fg, 20)
    main_f, deco_f, _ = font_lists()

    # top / bottom text
    top_h = rng.uniform(0.12, 0.24) * H
    if clean or rng.random() < 0.88:
        st = str(rng.choice(STATES))
        if rng.random() < 0.3:
            st = st.upper()
        col = _jitter(rng, fg, 60) if rng.random() < 0.5 else (_rc(rng, 0, 160) if not dark else _rc(rng, 150, 255))
        _draw_text_centered(im, rng, st, str(rng.choice(deco_f)), W / 2 + rng.uniform(-20, 20), top_h / 2 + rng.uniform(1, 6),
                            W * rng.uniform(0.4, 0.85), top_h, col)
    if not clean and rng.random() < 0.75:
        txt = str(rng.choice(SLOGANS + COUNTIES + STATES))
        bh = rng.uniform(0.08, 0.18) * H
        col = _jitter(rng, fg, 60) if rng.random() < 0.5 else (_rc(rng, 0, 160) if not dark else _rc(rng, 150, 255))
        _draw_text_centered(im, rng, txt, str(rng.choice(deco_f)), W / 2 + rng.uniform(-25, 25), H - bh / 2 - rng.uniform(2, 8),
                            W * rng.uniform(0.35, 0.85), bh, col)

    # main characters
    fpath = str(rng.choice(main_f))
    char_h = rng.uniform(0.40, 0.56) * H
    cond = rng.uniform(0.55, 1.05)
    gap = rng.uniform(0.02, 0.14) * char_h
    if separator is not None:
        sep_kind = separator
    elif clean:  # test fixtures: the separators they have always had
        sep_kind = rng.choice(["space", "dash", "dot", "emblem", "none"], p=[0.35, 0.25, 0.08, 0.22, 0.10])
    else:  # "sticker": a registration decal between the character groups (e.g. Missouri)
        sep_kind = rng.choice(SEPARATORS, p=[0.31, 0.22, 0.08, 0.2, 0.11, 0.08])
    items = _glyph_row(rng, text, splits, fpath, char_h, cond, gap)
    stacked = None
    if not clean and rng.random() < 0.12 and SIDE_GLYPHS:
        stacked = "".join(rng.choice(list(LETTERS), int(rng.integers(2, 4))))
    # small characters right of the main ones (a year, a type code), not part of the plate number
    suffix = None
    if not clean and rng.random() < 0.08 and SIDE_GLYPHS:
        suffix = "".join(rng.choice(list(DIGITS if rng.random() < 0.6 else LETTERS), int(rng.integers(1, 3))))
    # a disability plate's wheelchair symbol, as tall as the characters, left or right of them
    access = None
    if not clean and stacked is None and suffix is None and rng.random() < 0.07 and SIDE_GLYPHS:
        access = (_access_symbol(rng, char_h * rng.uniform(0.75, 1.05)), "left" if rng.random() < 0.5 else "right")
    sep_w = {"space": 0.45, "dash": 0.55, "dot": 0.35, "emblem": 0.75, "sticker": 0.6, "none": 0.05}[str(sep_kind)] * char_h
    if sep_kind == "emblem" and not clean:  # some states' emblems are as large as a character (e.g. Arizona)
        sep_w = rng.uniform(0.6, 1.2) * char_h
    # characters from edge to edge, so the plate's border or frame is right beside the first and last
    wide = not clean and stacked is None and suffix is None and access is None and len(text) > 4 and rng.random() < 0.2
    if wide:
        items = _glyph_row(rng, text, splits, fpath, char_h, cond * 1.4, gap)

    def total_width(items, gap, sep_w):
        return sum(it[1].size[0] for it in items if it[0] == "g") + gap * (len(items) - 1) + sum(sep_w for it in items if it[0] == "sep")

    max_w = W * (0.86 - 0.14 * (stacked is not None) - 0.12 * (suffix is not None)) if len(text) > 2 else W * 0.6
    if access is not None:
        max_w -= access[0].size[0] + 2 * gap
    if wide:
        max_w = W * rng.uniform(0.92, 0.97)
    tw = total_width(items, gap, sep_w)
    if tw > max_w or wide:  # condense to fit (or, for edge-to-edge characters, widen to fill)
        s = min(max_w / tw, 1.5)
        items = [("g", it[1].resize((max(1, int(it[1].size[0] * s)), it[1].size[1]), Image.BILINEAR)) if it[0] == "g" else it for it in items]
        gap *= s
        sep_w *= s
        tw = total_width(items, gap, sep_w)
    cy = H * rng.uniform(0.47, 0.56)
    x = (W - tw) / 2 + rng.uniform(-0.06, 0.06) * (W - tw)
    if stacked is not None:
        x = max(x, W * 0.2)
    if access is not None:  # room for the symbol on its side
        room = access[0].size[0] + 2 * gap + 0.03 * W
        x = max(x, room) if access[1] == "left" else min(x, W - room - tw)
    y = cy - char_h / 2
    emboss = (not clean) and rng.random() < 0.35
    shadow = tuple(int(v * 0.45) for v in fg) if not dark else (0, 0, 0)
    x_start = x
    for it in items:
        if it[0] == "g":
            m = it[1]
            if emboss:
                _paste_mask(im, m, x + 1.5, y + 1.5, shadow)
            _paste_mask(im, m, x, y, fg)
            x += m.size[0] + gap
        else:
            if sep_kind == "dash":
                dw, dh = sep_w * 0.7, max(2, char_h * rng.uniform(0.06, 0.12))
                ImageDraw.Draw(im).rectangle([x + sep_w * 0.15, cy - dh / 2, x + sep_w * 0.15 + dw, cy + dh / 2], fill=fg)
            elif sep_kind == "dot":
                r = max(1.5, char_h * 0.06)
                ImageDraw.Draw(im).ellipse([x + sep_w / 2 - r, cy - r, x + sep_w / 2 + r, cy + r], fill=fg)
            elif sep_kind == "emblem":
                e = _emblem(rng, sep_w * 0.9, char_h * rng.uniform(0.4, 1.0 if sep_w > char_h * 0.8 else 0.85), fg if rng.random() < 0.5 else _rc(rng))
                im.paste(e, (int(x + sep_w * 0.05), int(cy - e.size[1] / 2)), e)
            elif sep_kind == "sticker":
                dh = char_h * rng.uniform(0.3, 0.7)
                im.paste(_sticker(rng, sep_w * 0.75, dh), (int(x + sep_w * 0.12), int(cy - dh / 2 + rng.uniform(-0.15, 0.15) * char_h)))
            x += sep_w + gap
    line_x0, line_x1 = x_start, x - gap
    if stacked is not None:  # small stacked characters left of the main text (not in label)
        sh = char_h / len(stacked) * 0.9
        sx = x_start - sh * 0.9 - gap * 2
        for k, ch in enumerate(stacked):
            g = _glyph(fpath, ch)
            gm = g.resize((max(1, int(g.size[0] * sh / g.size[1] * 0.8)), max(1, int(sh))), Image.BILINEAR)
            _paste_mask(im, gm, sx, y + k * char_h / len(stacked), fg)
        line_x0 = min(line_x0, sx)
    if suffix is not None:  # small characters after the main text, top- or bottom-aligned (not in label)
        sh = char_h * rng.uniform(0.3, 0.5)
        sy = y if rng.random() < 0.5 else y + char_h - sh
        sx = line_x1 + gap * rng.uniform(1, 3)
        for ch in suffix:
            g = _glyph(fpath, ch)
            gm = g.resize((max(1, int(g.size[0] * sh / g.size[1] * cond)), max(1, int(sh))), Image.BILINEAR)
            _paste_mask(im, gm, sx, sy, fg)
            sx += gm.size[0] + gap * 0.5
        line_x1 = max(line_x1, sx)
    if access is not None:  # not in the label; a detector merges it into the line
        sym, side = access
        sy = cy - sym.size[1] / 2 + rng.uniform(-0.05, 0.05) * char_h
        colour = fg if rng.random() < 0.6 else _rc(rng, 0, 160) if not dark else _rc(rng, 150, 255)
        if side == "left":
            sx = x_start - 2 * gap - sym.size[0]
            line_x0 = sx
        else:
            sx = line_x1 + 2 * gap
            line_x1 = sx + sym.size[0]
        _paste_mask(im, sym, sx, sy, colour)
    # the character line as a text detector finds it on a full frame, small side characters
    # included because a detector merges them into the line (see degrade's line_crop)
    im.info["line"] = (line_x0, y, line_x1, y + char_h)

    if not clean:
        # stickers / decals in corners or beside the characters
        for _ in range(int(rng.choice([0, 1, 2, 3], p=[0.3, 0.35, 0.25, 0.1]))):
            sw, sh = rng.uniform(0.08, 0.17) * W, rng.uniform(0.1, 0.2) * H
            pos = rng.random()
            if wide:  # top corners only: elsewhere it would cover a character
                sx = rng.choice([rng.uniform(0.01, 0.06) * W, W - sw - rng.uniform(0.01, 0.06) * W])
                sy = rng.uniform(0.01, 0.08) * H
            elif pos < 0.7:  # corners
                sx = rng.choice([rng.uniform(0.01, 0.06) * W, W - sw - rng.uniform(0.01, 0.06) * W])
                sy = rng.choice([rng.uniform(0.01, 0.08) * H, H - sh - rng.uniform(0.01, 0.08) * H])
            else:  # bottom beside chars
                sx = rng.choice([rng.uniform(0.0, 0.08) * W, W - sw - rng.uniform(0, 0.08) * W])
                sy = cy + char_h * rng.uniform(0.0, 0.5) - sh / 2
            im.paste(_sticker(rng, sw, sh), (int(sx), int(sy)))
        d = ImageDraw.Draw(im)
        if rng.random() < 0.6:  # bolts
            bc = _rc(rng, 90, 230)
            r = rng.uniform(3, 7)
            for bx in (0.2 * W, 0.8 * W):
                for by in ([0.09 * H] if rng.random() < 0.6 else [0.09 * H, 0.91 * H]):
                    bx2, by2 = bx + rng.uniform(-6, 6), by + rng.uniform(-3, 3)
                    d.ellipse([bx2 - r, by2 - r, bx2 + r, by2 + r], fill=bc, outline=(40, 40, 40))
        if rng.random() < 0.4:  # plate border line
            m = rng.uniform(2, 7)
            d.rounded_rectangle([m, m, W - m, H - m], radius=int(rng.uniform(3, 15)), outline=fg if rng.random() < 0.5 else _rc(rng), width=int(rng.integers(1, 4)))
        if rng.random() < 0.3:  # dealer / licence frame
            fc = _rc(rng, 0, 80) if rng.random() < 0.6 else _rc(rng, 150, 230)
            t = int(rng.uniform(3, 12))
            d.rectangle([0, 0, W - 1, H - 1], outline=fc, width=t)
            if rng.random() < 0.5:  # bottom band with dealer text covering the slogan
                bh = int(rng.uniform(0.1, 0.18) * H)
                d.rectangle([0, H - bh, W, H], fill=fc)
                tc = (250, 250, 250) if sum(fc) < 300 else (10, 10, 10)
                _draw_text_centered(im, rng, str(rng.choice(["AUTO MALL", "HONDA OF CITY", "TOYOTA", "FORD", "CHEVROLET", "www.dealer.com", "ALUMNI", "GO TEAM"])),
                                    str(rng.choice(deco_f)), W / 2, H - bh / 2, W * 0.6, bh * 0.8, tc)
    return im, text


def render_eu(rng, text=None, splits=None, clean=False):
    W, H = 416, 92
    if text is None:
        text, splits = rand_eu_text(rng)
    splits = splits or []
    yellow = rng.random() < 0.2
    base = (250, 205, 30) if yellow else (245, 245, 245)
    im = Image.new("RGB", (W, H), _jitter(rng, base, 10))
    d = ImageDraw.Draw(im)
    band = rng.random() < 0.85
    bw = int(W * rng.uniform(0.07, 0.1)) if band else 0
    if band:
        d.rectangle([0, 0, bw, H], fill=_jitter(rng, (20, 50, 160), 20))
        cx, cy, R = bw / 2, H * 0.3, bw * 0.3
        for i in range(12):
            a = i * math.pi / 6
            px, py = cx + R * math.cos(a), cy + R * math.sin(a)
            d.ellipse([px - 1.5, py - 1.5, px + 1.5, py + 1.5], fill=(250, 210, 0))
        _draw_text_centered(im, rng, str(rng.choice(EU_CODES)), font_lists()[2][0], cx, H * 0.75, bw * 0.85, H * 0.3, (250, 250, 250))
    if rng.random() < 0.9:
        d.rectangle([1, 1, W - 2, H - 2], outline=(10, 10, 10), width=int(rng.integers(1, 4)))
    fpath = str(rng.choice(font_lists()[2]))
    char_h = rng.uniform(0.62, 0.78) * H
    cond = rng.uniform(0.6, 0.95)
    gap = rng.uniform(0.03, 0.12) * char_h
    sep_kind = rng.choice(["space", "dash", "emblem"], p=[0.55, 0.25, 0.2])
    items = _glyph_row(rng, text, splits, fpath, char_h, cond, gap)
    sep_w = {"space": 0.4, "dash": 0.5, "emblem": 0.55}[str(sep_kind)] * char_h
    tw = sum(it[1].size[0] for it in items if it[0] == "g") + gap * (len(items) - 1) + sep_w * sum(1 for it in items if it[0] == "sep")
    max_w = (W - bw) * 0.9
    if tw > max_w:
        s = max_w / tw
        items = [("g", it[1].resize((max(1, int(it[1].size[0] * s)), it[1].size[1]), Image.BILINEAR)) if it[0] == "g" else it for it in items]
        gap *= s
        sep_w *= s
        tw = max_w
    x = bw + (W - bw - tw) / 2
    cy = H * rng.uniform(0.48, 0.53)
    y = cy - char_h / 2
    fg = (10, 10, 10)
    im.info["line"] = (x, y, x + tw, y + char_h)
    for it in items:
        if it[0] == "g":
            _paste_mask(im, it[1], x, y, fg)
            x += it[1].size[0] + gap
        else:
            if sep_kind == "dash":
                d.rectangle([x + sep_w * 0.2, cy - char_h * 0.05, x + sep_w * 0.8, cy + char_h * 0.05], fill=fg)
            elif sep_kind == "emblem":
                e = _emblem(rng, sep_w * 0.8, sep_w * 0.8, _rc(rng))
                im.paste(e, (int(x + sep_w * 0.1), int(cy - e.size[1] / 2 - char_h * 0.15)), e)
                if rng.random() < 0.5:
                    e2 = _emblem(rng, sep_w * 0.7, sep_w * 0.7, _rc(rng))
                    im.paste(e2, (int(x + sep_w * 0.15), int(cy + char_h * 0.05)), e2)
            x += sep_w + gap
    if not clean and rng.random() < 0.4:  # bolts
        for bx in (0.25 * W, 0.75 * W):
            r = rng.uniform(2, 4)
            d.ellipse([bx - r, H * 0.12 - r, bx + r, H * 0.12 + r], fill=_rc(rng, 100, 220))
    return im, text


# ----------------------------------------------------------------------------- degradations
def _perspective_coeffs(src, dst):
    """Coefficients for PIL PERSPECTIVE mapping output (dst) -> input (src) points."""
    A, B = [], []
    for (x, y), (u, v) in zip(dst, src):
        A.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        A.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        B += [u, v]
    return np.linalg.solve(np.array(A, np.float64), np.array(B, np.float64)).tolist()


def _apply_perspective(c, x, y):
    """A point through PIL perspective coefficients (as _perspective_coeffs returns them)."""
    d = c[6] * x + c[7] * y + 1
    return (c[0] * x + c[1] * y + c[2]) / d, (c[3] * x + c[4] * y + c[5]) / d


def _motion_blur(a, rng):
    L = max(2, int(round(a.shape[1] * rng.uniform(0.01, 0.035))))
    ang = rng.uniform(0, math.pi) if rng.random() < 0.4 else rng.uniform(-0.25, 0.25)
    acc = np.zeros_like(a, dtype=np.float32)
    for k in range(L):
        t = k - (L - 1) / 2
        dx, dy = int(round(t * math.cos(ang))), int(round(t * math.sin(ang)))
        acc += np.roll(np.roll(a, dy, axis=0), dx, axis=1)
    return acc / L


def degrade(rng, plate: Image.Image, out_w: int, out_h: int, strength: float = 1.0, line_crop: bool = False) -> np.ndarray:
    """Place plate in a scene with perspective, crop with variable margins, degrade; return uint8 HxW grey.

    line_crop: crop around the main character line instead of the whole plate (the plate's
    `info["line"]` box), as lpr-edge does on full frames: the text detector finds the character
    line, and the recogniser reads that line plus a small margin, the state name and slogan cut off.
    """
    line = plate.info.get("line") if line_crop else None
    # work at a modest resolution: the output is tiny anyway, and this keeps generation fast
    tw0 = rng.uniform(150, 230)
    if line is not None:
        line = [v * tw0 / plate.size[0] for v in line]
    plate = plate.resize((int(tw0), max(8, int(plate.size[1] * tw0 / plate.size[0]))), Image.BILINEAR)
    pw, ph = plate.size
    pad = int(max(pw, ph) * 0.3)
    scene_col = _rc(rng, 0, 255)
    scene = Image.new("RGB", (pw + 2 * pad, ph + 2 * pad), scene_col)
    if rng.random() < 0.6:
        a = np.asarray(scene).astype(np.float32) + rng.uniform(5, 40) * rng.standard_normal((scene.size[1], scene.size[0], 1), dtype=np.float32)
        scene = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
        scene = scene.filter(ImageFilter.BoxBlur(rng.uniform(0, 4)))
    scene.paste(plate, (pad, pad))
    # random perspective of the plate corners (+ rotation / shear)
    j = 0.07 * strength
    rot = math.radians(rng.normal(0, 3.0 * strength))
    shear = rng.normal(0, 0.08 * strength)
    corners = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float64)
    c = corners - [pw / 2, ph / 2]
    c[:, 0] += shear * c[:, 1]
    R = np.array([[math.cos(rot), -math.sin(rot)], [math.sin(rot), math.cos(rot)]])
    c = c @ R.T
    c += rng.uniform(-j, j, (4, 2)) * [pw, ph]
    # yaw-like foreshortening: one side shorter
    if rng.random() < 0.5:
        f = rng.uniform(0, 0.15 * strength)
        side = rng.choice([0, 1])
        idx = [0, 3] if side == 0 else [1, 2]
        c[idx, 1] *= (1 - f)
    dst = c + [pw / 2 + pad, ph / 2 + pad]
    src = corners + [pad, pad]
    coeffs = _perspective_coeffs(src.tolist(), dst.tolist())
    warped = scene.transform(scene.size, Image.PERSPECTIVE, coeffs, Image.BILINEAR)
    x0, y0 = dst.min(0)
    x1, y1 = dst.max(0)
    bw, bh = x1 - x0, y1 - y0
    # variable margins (can be slightly negative = crop through the frame)
    def m():
        r = rng.random()
        if r < 0.55:
            return rng.uniform(-0.03, 0.05)
        if r < 0.9:
            return rng.uniform(0.0, 0.15)
        return rng.uniform(0.1, 0.3)
    box = (x0 - m() * bw, y0 - m() * bh, x1 + m() * bw, y1 + m() * bh)
    if line is not None:
        # the line's corners through the same perspective (plate -> scene), then a detector-like
        # box around them: a little narrower or wider than the glyphs, a little taller
        fwd = _perspective_coeffs(dst.tolist(), src.tolist())
        lx0, ly0, lx1, ly1 = line
        pts = [_apply_perspective(fwd, px + pad, py + pad) for px, py in ((lx0, ly0), (lx1, ly0), (lx1, ly1), (lx0, ly1))]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        lh = max(ys) - min(ys)
        box = (min(xs) - rng.uniform(-0.05, 0.3) * lh, min(ys) - rng.uniform(0.0, 0.3) * lh,
               max(xs) + rng.uniform(-0.05, 0.3) * lh, max(ys) + rng.uniform(0.0, 0.3) * lh)
    crop = warped.crop(tuple(int(round(v)) for v in box))

    # colour -> grey with random sensor weights, sometimes IR-like
    a = np.asarray(crop).astype(np.float32)
    if rng.random() < 0.15:  # infrared-like: red-heavy, colours collapse, retroreflective bright bg
        w = np.array([rng.uniform(0.6, 1.0), rng.uniform(0.0, 0.3), 0.0])
        g = a @ (w / w.sum())
        g = 255 * (g / 255) ** rng.uniform(0.5, 1.0)
    else:
        w = rng.dirichlet([3, 6, 1.5])
        g = a @ w
    # low resolution: downscale (maybe very small) then upscale
    cw, ch = crop.size
    r = rng.random()
    if r < 0.2:
        tw = rng.uniform(36, 70)
    elif r < 0.6:
        tw = rng.uniform(70, 130)
    else:
        tw = rng.uniform(130, max(131, cw))
    tw = min(tw, cw)
    th = max(8, int(ch * tw / cw))
    gi = Image.fromarray(np.clip(g, 0, 255).astype(np.uint8), "L")
    if rng.random() < 0.3:
        gi = gi.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.4) * strength))
    gi = gi.resize((max(8, int(tw)), th), Image.BILINEAR if rng.random() < 0.5 else Image.BOX)
    a = np.asarray(gi).astype(np.float32)
    if rng.random() < 0.2 * strength:
        a = _motion_blur(a, rng)
    # lighting: contrast / brightness / gamma / low light / shading gradient / glare
    hh, ww = a.shape
    if rng.random() < 0.4:
        gx = np.linspace(rng.uniform(0.7, 1.1), rng.uniform(0.7, 1.1), ww, dtype=np.float32)[None, :]
        gy = np.linspace(rng.uniform(0.7, 1.1), rng.uniform(0.7, 1.1), hh, dtype=np.float32)[:, None]
        a = a * gx * gy
    if rng.random() < 0.1:  # glare blob
        yy, xx = np.mgrid[0:hh, 0:ww]
        cx, cy, s = rng.uniform(0, ww), rng.uniform(0, hh), rng.uniform(0.1, 0.4) * ww
        a = a + rng.uniform(30, 100) * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * s * s))
    contrast = rng.uniform(0.6, 1.15) if rng.random() < 0.85 else rng.uniform(0.4, 0.6)
    mu = a.mean()
    a = (a - mu) * contrast + mu + rng.uniform(-20, 20)
    if rng.random() < 0.6:  # camera auto-exposure: stretch the crop to a random output range
        lo, hi = np.percentile(a, [1, 99])
        olo, ohi = rng.uniform(0, 70), rng.uniform(170, 255)
        a = (a - lo) / max(8.0, hi - lo) * (ohi - olo) + olo
    elif rng.random() < 0.15:  # low light (noise is added after, like a real sensor)
        a = a * rng.uniform(0.35, 0.6)
    a = np.clip(a, 0, 255)
    a = 255 * (a / 255) ** rng.uniform(0.7, 1.4)
    if rng.random() < 0.5:
        a = a + rng.uniform(1, 10) * rng.standard_normal(a.shape, dtype=np.float32)
    a = np.clip(a, 0, 255).astype(np.uint8)
    gi = Image.fromarray(a, "L")
    if rng.random() < 0.4:  # JPEG artefacts
        buf = io.BytesIO()
        gi.save(buf, "JPEG", quality=int(rng.integers(12, 75)))
        buf.seek(0)
        gi = Image.open(buf).convert("L")
    gi = gi.resize((out_w, out_h), Image.BILINEAR)
    return np.asarray(gi, np.uint8)


def sample(rng: np.random.Generator, out_w: int = 128, out_h: int = 32, eu_frac: float = 0.12,
           line_frac: float = 0.0) -> tuple[np.ndarray, str]:
    """One synthetic crop: a whole plate, or with probability line_frac its character line."""
    if rng.random() < eu_frac:
        plate, text = render_eu(rng)
    else:
        plate, text = render_us(rng)
    # no extra draw at line_frac 0: the sets generated before line crops stay byte-identical
    line_crop = line_frac > 0 and rng.random() < line_frac
    return degrade(rng, plate, out_w, out_h, line_crop=line_crop), text


def _gen_chunk(args):
    seed, n, w, h, eu_frac, line_frac = args
    rng = np.random.default_rng(seed)
    X = np.zeros((n, h, w), np.uint8)
    Y = []
    for i in range(n):
        X[i], t = sample(rng, w, h, eu_frac, line_frac)
        Y.append(t)
    return X, Y


def generate(n: int, seed: int, w: int = 128, h: int = 32, eu_frac: float = 0.12, workers: int = 1, chunk: int = 2000,
             line_frac: float = 0.0):
    """Deterministic for a given (n, seed, chunk) regardless of worker count."""
    jobs = [(seed * 100003 + i, min(chunk, n - i * chunk), w, h, eu_frac, line_frac) for i in range((n + chunk - 1) // chunk)]
    if workers > 1:
        import multiprocessing as mp
        with mp.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_gen_chunk, jobs)
    else:
        parts = [_gen_chunk(j) for j in jobs]
    X = np.concatenate([p[0] for p in parts]) if parts else np.zeros((0, h, w), np.uint8)
    Y = [t for p in parts for t in p[1]]
    return X, Y


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--text", action="append", default=[], help="render these exact texts (US layout, clean; with --line-frac > 0 their character line only)")
    ap.add_argument("--width", type=int, default=0, help="resize output to this width (0 = native render size)")
    ap.add_argument("--height", type=int, default=0)
    ap.add_argument("--grid", action="store_true")
    ap.add_argument("--line-frac", type=float, default=0.0, help="share of character-line crops (as on full frames)")
    ap.add_argument("--separator", choices=SEPARATORS, help="with --text: this separator between the character groups")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    rows = []
    imgs = []
    for i, t in enumerate(a.text):
        t = t.upper()
        assert all(c in ALPHABET for c in t), t
        sp = [len(t) // 2] if len(t) >= 5 else []
        plate, _ = render_us(rng, t, sp, clean=True, separator=a.separator)
        if a.line_frac > 0:  # the character line with a detector-like margin, as on full frames
            x0, y0, x1, y1 = plate.info["line"]
            m = 0.12 * (y1 - y0)
            plate = plate.crop((int(x0 - m), int(y0 - m), int(x1 + m), int(y1 + m)))
        if a.width and a.height:
            plate = plate.resize((a.width, a.height), Image.BILINEAR)
        im = plate.convert("L")
        name = "text%02d_%s.png" % (i, t)
        im.save(os.path.join(a.out, name))
        rows.append((name, t))
        imgs.append(im)
    for i in range(a.n):
        w, h = (a.width or 256), (a.height or 64)
        arr, t = sample(rng, w, h, line_frac=a.line_frac)
        im = Image.fromarray(arr, "L")
        name = "synth%05d_%s.png" % (i, t)
        im.save(os.path.join(a.out, name))
        rows.append((name, t))
        imgs.append(im)
    with open(os.path.join(a.out, "labels.csv"), "w") as f:
        f.write("file,plate\n")
        for n_, t in rows:
            f.write("%s,%s\n" % (n_, t))
    if a.grid and imgs:
        cw, ch = 256, 64
        cols = 4
        g = Image.new("L", (cw * cols, ch * ((len(imgs) + cols - 1) // cols)), 0)
        for i, im in enumerate(imgs):
            g.paste(im.resize((cw, ch)), ((i % cols) * cw, (i // cols) * ch))
        g.save(os.path.join(a.out, "grid.png"))
    print("wrote %d images to %s" % (len(rows), a.out))


if __name__ == "__main__":
    main()
