#!/usr/bin/env python3
"""Synthesises N articles from the shared corpus, as JSON Lines on stdout or a file.

    python3 bench/synth.py N [OUT] [--corpus DIR]

How the data is made: rows of ../shared/corpus/*.jsonl (Vietnamese and English, with
and without bodies) are cycled; each copy gets a new id (syn-000001…), a published
time spread one per 10 minutes backwards from 2024-12-31, its body's sentences rotated
by a different amount, one of the default config's categories (from the row's own
category), its category as a tag, and one photo with a caption. Nothing is fetched.
"""
import argparse, datetime, glob, html, json, os, sys, zlib

CATEGORIES = ["thoi-su", "chinh-tri", "kinh-te", "xa-hoi", "van-hoa", "the-thao", "phap-luat", "giao-duc", "y-te", "du-lich"]


def rows(corpus):
    out = []
    for path in sorted(glob.glob(os.path.join(corpus, "*.jsonl"))):
        out += [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
    return [r for r in out if (r.get("title") or "").strip()]


def synthesise(n, corpus):
    base = rows(corpus)
    end = datetime.datetime(2024, 12, 31, tzinfo=datetime.timezone.utc)
    for i in range(n):
        r = base[i % len(base)]
        sentences = [s for s in (r.get("body") or "").split(". ") if s.strip()]
        k = (i // len(base)) % max(1, len(sentences))
        sentences = sentences[k:] + sentences[:k]
        paragraphs = [". ".join(sentences[j:j + 4]) for j in range(0, len(sentences), 4)]
        category = CATEGORIES[zlib.crc32((r.get("category") or "x").encode()) % len(CATEGORIES)]
        aid = f"syn-{i:07d}"
        yield {
            "id": aid,
            "url": f"https://news.example.vn/{category}/{aid}.html",
            "title": r["title"],
            "summary": r.get("summary") or "",
            "content_html": "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs),
            "category": category,
            "tags": [r.get("category") or "tin"],
            "authors": [{"name": r.get("source") or "Phóng viên"}],
            "published": (end - datetime.timedelta(minutes=10 * i)).isoformat().replace("+00:00", "Z"),
            "images": [{"url": f"https://news.example.vn/img/{aid}.jpg", "caption": r["title"][:120],
                        "width": 1200, "height": 800, "mime": "image/jpeg"}],
            "language": r.get("lang") or "vi",
        }


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("n", type=int)
    p.add_argument("out", nargs="?")
    p.add_argument("--corpus", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "corpus"))
    a = p.parse_args()
    f = open(a.out, "w", encoding="utf-8") if a.out else sys.stdout
    for art in synthesise(a.n, a.corpus):
        f.write(json.dumps(art, ensure_ascii=False) + "\n")
