#!/usr/bin/env python3
"""Interop: Python feedparser (not ours) polls with RFC 3229 deltas on its own.

feedparser sends `A-IM: feed` with `If-None-Match` whenever it is given the ETag of
its last poll. Against the release binary: the first poll gets the whole feed; after
one new article, the second poll gets 226 with that one entry, which feedparser
reads; a client that sends no A-IM always gets the whole feed; an unchanged feed
gets 304. Also prints the bytes feedparser downloads over 50 polls of a feed that
gains one article between polls, whole feeds against deltas.

usage: python3 tests/interop/feedparser_delta.py target/release/herald [polls]
"""
import datetime, json, os, sys, time, urllib.request

import feedparser

import harness

TOKEN = "delta-token"
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "target/release/herald")
polls = int(sys.argv[2]) if len(sys.argv) > 2 else 50
passed = failed = 0


def check(cond, what):
    global passed, failed
    passed, failed = (passed + 1, failed) if cond else (passed, failed + 1)
    if not cond:
        print("FAIL:", what)


def put(base, i):
    doc = {"id": f"delta-{i}", "url": f"https://news.example.vn/delta-{i}.html",
           "title": f"Tin mới số {i}: mưa lớn ở vùng cao", "summary": "Bản tin.",
           "content_html": "<p>" + "Nội dung bài viết khá dài. " * 40 + "</p>",
           "category": "kinh-te",
           "published": (datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
                         + datetime.timedelta(minutes=i)).isoformat()}
    req = urllib.request.Request(f"{base}/api/articles/delta-{i}", data=json.dumps(doc).encode(),
                                 method="PUT", headers={"Authorization": f"Bearer {TOKEN}",
                                                        "Content-Type": "application/json"})
    urllib.request.urlopen(req).read()


class Counting(urllib.request.BaseHandler):
    """Counts the bytes of every response body feedparser reads."""
    def __init__(self):
        self.bytes = 0

    def http_response(self, req, resp):
        body = resp.read()
        self.bytes += len(body)
        resp.read = lambda *a, _b=[body]: _b.pop() if _b else b""
        return resp


def poll_series(base, url, delta, start):
    """Bytes downloaded over `polls` polls, one new article before each."""
    counter = Counting()
    etag = None
    for i in range(polls):
        put(base, start + i)
        # Readers poll minutes apart, by when the compressed forms are long made.
        time.sleep(0.05)
        kwargs = {"etag": etag} if delta and etag else {}
        d = feedparser.parse(url, handlers=[counter], **kwargs)
        check(not d.bozo, f"poll {i}: bozo {d.get('bozo_exception')}")
        etag = d.get("etag")
    return counter.bytes


proc, base = harness.start(binary, {"HERALD_API_TOKENS": TOKEN})
try:
    url = f"{base}/feeds/category/kinh-te/atom.xml"
    first = feedparser.parse(url)
    check(first.status == 200 and first.etag, f"first poll: {first.get('status')}")
    whole = len(first.entries)
    put(base, 1000)
    second = feedparser.parse(url, etag=first.etag)
    check(second.status == 226, f"second poll: status {second.get('status')}")
    check([e.id.rsplit(':', 1)[-1] for e in second.entries] == ["delta-1000"],
          f"second poll: entries {[e.id for e in second.entries]}")
    check(not second.bozo, f"second poll: bozo {second.get('bozo_exception')}")
    third = feedparser.parse(url, etag=second.etag)
    check(third.status == 304, f"unchanged: status {third.get('status')}")
    # A client without A-IM: the whole feed, whatever it holds.
    req = urllib.request.Request(url, headers={"If-None-Match": first.etag})
    with urllib.request.urlopen(req) as r:
        plain = feedparser.parse(r.read())
        check(r.status == 200 and len(plain.entries) == whole + 1, f"no A-IM: {r.status} {len(plain.entries)}")
    full_bytes = poll_series(base, url, delta=False, start=2000)
    delta_bytes = poll_series(base, url, delta=True, start=3000)
    print(f"feedparser, {polls} polls, one new article between polls: "
          f"whole feeds {full_bytes:,} bytes, deltas {delta_bytes:,} bytes ({delta_bytes / full_bytes:.1%})")
    print(f"feedparser delta interop: {passed} passed, {failed} failed")
finally:
    harness.stop(proc)
sys.exit(1 if failed else 0)
