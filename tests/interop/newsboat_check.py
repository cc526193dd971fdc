#!/usr/bin/env python3
"""Interop: Debian's newsboat, a real feed reader, subscribes to Herald's feeds.

For each feed, a fresh newsboat cache reloads it; the reader must store every entry,
with the Vietnamese title and the publication time of the source.
"""
import datetime, json, os, sqlite3, subprocess, sys, tempfile, unicodedata

import harness

binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "target/release/herald")
articles = [json.loads(l) for l in open(harness.EXAMPLES, encoding="utf-8") if l.strip()]
passed = failed = 0


def check(cond, what):
    global passed, failed
    passed, failed = (passed + 1, failed) if cond else (passed, failed + 1)
    if not cond:
        print("FAIL:", what)


proc, base = harness.start(binary)
try:
    for path, members in [
        ("/feeds/rss.xml", articles),
        ("/feeds/atom.xml", articles),
        ("/feeds/category/the-thao/rss.xml", [a for a in articles if a["category"] == "the-thao"]),
        ("/feeds/category/kinh-te/atom.xml", [a for a in articles if a["category"] == "kinh-te"]),
    ]:
        home = tempfile.mkdtemp(prefix="newsboat-")
        urls, cache = os.path.join(home, "urls"), os.path.join(home, "cache.db")
        with open(urls, "w") as f:
            f.write(base + path + "\n")
        run = subprocess.run(["newsboat", "-u", urls, "-c", cache, "-x", "reload"],
                             env=dict(os.environ, HOME=home), capture_output=True, text=True, timeout=60)
        check(run.returncode == 0, f"{path}: newsboat exit {run.returncode} {run.stderr}")
        rows = sqlite3.connect(cache).execute("select title, pubDate from rss_item").fetchall()
        check(len(rows) == len(members), f"{path}: {len(rows)} items, expected {len(members)}")
        expected = {unicodedata.normalize("NFC", a["title"]): int(datetime.datetime.fromisoformat(a["published"]).timestamp())
                    for a in members}
        for title, pub in rows:
            check(expected.get(title) == pub, f"{path}: {title!r} at {pub}")
    print(f"newsboat interop: {passed} passed, {failed} failed")
finally:
    harness.stop(proc)
sys.exit(1 if failed else 0)
