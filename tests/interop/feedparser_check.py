#!/usr/bin/env python3
"""Interop: Python feedparser (not ours) reads every feed of the release binary.

Starts `herald serve --import examples/articles.jsonl` on a free port with 10 items per
page, then checks each site, category and tag feed in RSS, Atom and JSON Feed: no
bozo, the right version, the right entries (following next links), titles with
diacritics equal to the source, published_parsed equal to the stored instant, and the
media and caption present.
"""
import datetime, json, os, sys, unicodedata, urllib.request

import feedparser

import harness

binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "target/release/herald")
articles = [json.loads(l) for l in open(harness.EXAMPLES, encoding="utf-8") if l.strip()]
by_id = {a["id"]: a for a in articles}
passed = failed = 0

def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)

def utc_tuple(rfc3339):
    t = datetime.datetime.fromisoformat(rfc3339).astimezone(datetime.timezone.utc)
    return t.timetuple()[:6]

def nfc(s):
    return unicodedata.normalize("NFC", s).strip()

proc, base = harness.start(binary, {"HERALD_FEEDS__ITEMS": "10"})
try:

    def fetch(url):
        with urllib.request.urlopen(url) as r:
            return r.read()

    def parse_json(url):
        """feedparser 6 has no JSON Feed parser; read it as JSON into the same shape."""
        doc = json.loads(fetch(url))
        entries = [feedparser.FeedParserDict(
            id=i["id"], title=i["title"],
            published_parsed=datetime.datetime.fromisoformat(i["date_published"].replace("Z", "+00:00")).utctimetuple())
            for i in doc["items"]]
        version = "json11" if doc.get("version") == "https://jsonfeed.org/version/1.1" else ""
        return feedparser.FeedParserDict(bozo=0, version=version, entries=entries, feed={}), doc.get("next_url")

    def walk(path, fmt):
        """Entries of every page, following the feed's next links."""
        url, entries, versions = base + path, [], set()
        while url:
            if fmt == "json":
                d, next_url = parse_json(url)
                nxt = [next_url] if next_url else []
            else:
                d = feedparser.parse(fetch(url))
                nxt = [l["href"] for l in d.feed.get("links", []) if l.get("rel") == "next"]
            check(not d.bozo, f"{url}: bozo {d.get('bozo_exception')}")
            versions.add(d.version)
            entries += d.entries
            url = nxt[0].replace("http://localhost:8080", base) if nxt else None
        return entries, versions

    scopes = [("/feeds", lambda a: True)]
    for slug in sorted({a["category"] for a in articles}):
        scopes.append((f"/feeds/category/{slug}", lambda a, s=slug: a["category"] == s))
    tag = "bão số 3"
    scopes.append(("/feeds/tag/" + urllib.request.quote(tag), lambda a: tag in [t.lower() for t in a.get("tags", [])]))

    for prefix, member in scopes:
        expected = {a["id"] for a in articles if member(a)}
        for fmt, file, version in [("rss", "rss.xml", "rss20"), ("atom", "atom.xml", "atom10"), ("json", "feed.json", "json11")]:
            entries, versions = walk(f"{prefix}/{file}", fmt)
            check(versions == {version}, f"{prefix}/{file}: version {versions}")
            ids = [e.id.rsplit(":article:", 1)[-1] for e in entries]
            check(set(ids) == expected and len(ids) == len(expected), f"{prefix}/{file}: entries {len(ids)} vs {len(expected)}")
            for e, id_ in zip(entries, ids):
                src = by_id.get(id_)
                if src is None:
                    continue
                check(e.title == nfc(src["title"]), f"{prefix}/{file} {id_}: title {e.title!r}")
                check(tuple(e.published_parsed)[:6] == utc_tuple(src["published"]), f"{prefix}/{file} {id_}: published")
                if fmt != "json" and src.get("images"):
                    img = src["images"][0]
                    check(any(m.get("url") == img["url"] for m in e.get("media_content", [])), f"{prefix}/{file} {id_}: media_content")
                    caption = img.get("caption")
                    body = e.content[0].value if e.get("content") else ""
                    check(caption is None or f"<figcaption>{nfc(caption)}</figcaption>" in body, f"{prefix}/{file} {id_}: caption")
    print(f"feedparser interop: {passed} passed, {failed} failed")
finally:
    harness.stop(proc)
sys.exit(1 if failed else 0)
