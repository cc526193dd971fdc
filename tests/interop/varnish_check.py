#!/usr/bin/env python3
"""Interop: real Varnish, with the shipped deploy/varnish/herald.vcl, in front of the
release binary, which purges it by surrogate key from its change log.

Checks: a second poll is a hit that Herald never sees; a write to a section shows
through Varnish within 1 s in that section's feeds, the site's and the tag's,
while another section's feed stays a hit; a retraction leaves the edge within 1 s;
a scheduled article reaches the edge within 1 s of its time; with Varnish stopped
during writes, the purges happen once it is back; with Herald stopped, Varnish
still answers the feeds it holds.

usage: python3 tests/interop/varnish_check.py target/release/herald
"""
import datetime, json, os, sys, tempfile, time, urllib.request

import harness
from varnish import Varnish

TOKEN = "varnish-token"
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "target/release/herald")
passed = failed = 0
SECTION = "/feeds/category/kinh-te/atom.xml"
OTHER = "/feeds/category/the-thao/rss.xml"


def check(cond, what):
    global passed, failed
    passed, failed = (passed + 1, failed) if cond else (passed, failed + 1)
    print(("ok:   " if cond else "FAIL: ") + what, flush=True)


def api(base, method, path, body=None):
    req = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(),
                                 method=method, headers={"Authorization": f"Bearer {TOKEN}",
                                                         "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return r.status


def article(id_, category="kinh-te", published=None):
    published = published or datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)
    return {"id": id_, "url": f"https://news.example.vn/{id_}.html", "title": f"Tin {id_} qua bộ đệm",
            "category": category, "tags": ["Lào Cai"], "published": published.isoformat()}


def herald_requests(base, route):
    """Requests Herald answered on `route` (any status), from its own metrics."""
    text = urllib.request.urlopen(base + "/metrics").read().decode()
    return sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines()
               if l.startswith("herald_http_requests_total{") and f'route="{route}"' in l)


def push_count(base, result):
    text = urllib.request.urlopen(base + "/metrics").read().decode()
    return sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines()
               if l.startswith("herald_push_total{") and 'job="purge"' in l and f'result="{result}"' in l)


def edge_shows(v, path, needle, present=True, within=1.0):
    """Whether, within `within` seconds, the edge's `path` does (or does not) contain
    `needle`; returns (ok, seconds taken)."""
    started = time.time()
    while True:
        status, _, body = v.request("GET", path)
        if status == 200 and ((needle.encode() in body) == present):
            return True, time.time() - started
        if time.time() - started > within:
            return False, time.time() - started
        time.sleep(0.02)


work = tempfile.mkdtemp(prefix="herald-varnish-")
port = harness.free_port()
vport = harness.free_port()
env = {"HERALD_API_TOKENS": TOKEN, "HERALD_CDN__PURGE": f"varnish=http://127.0.0.1:{vport}",
       "HERALD_CDN__KEY_HEADERS": "xkey", "HERALD_PUSH__COALESCE_MS": "50",
       "HERALD_PUSH__BACKOFF_INITIAL_MS": "100", "HERALD_PUSH__BACKOFF_MAX_MS": "300"}
data = os.path.join(work, "data")
proc, base = harness.start(binary, env, data=data, port=port)
v = Varnish(port, work, port=vport)
try:
    v.start()
    route = "/feeds/category/{slug}/{file}"
    status, h1, _ = v.request("GET", SECTION)
    seen = herald_requests(base, route)
    status2, h2, _ = v.request("GET", SECTION)
    check(status == status2 == 200 and h2.get("x-cache") == "HIT", f"second poll is a hit ({h2.get('x-cache')})")
    check(herald_requests(base, route) == seen, "Herald saw one request for the two polls")
    check("xkey" not in h2 and "surrogate-control" not in h2, "surrogate headers stay at the edge")
    v.request("GET", OTHER)
    for path in ["/feeds/atom.xml", "/feeds/tag/l%C3%A0o%20cai/rss.xml"]:
        v.request("GET", path)

    api(base, "PUT", "/api/articles/qua-bo-dem", article("qua-bo-dem"))
    for path in [SECTION, "/feeds/atom.xml", "/feeds/tag/l%C3%A0o%20cai/rss.xml"]:
        ok, took = edge_shows(v, path, "qua-bo-dem")
        check(ok, f"a write shows at the edge in {path} within 1 s ({took:.2f} s)")
    _, h, _ = v.request("GET", OTHER)
    check(h.get("x-cache") == "HIT", f"another section's feed stays a hit ({h.get('x-cache')})")

    api(base, "DELETE", "/api/articles/qua-bo-dem")
    ok, took = edge_shows(v, SECTION, ":article:qua-bo-dem<", present=False)
    check(ok, f"a retraction leaves the edge within 1 s ({took:.2f} s)")

    due = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2)
    api(base, "PUT", "/api/articles/hen-gio", article("hen-gio", published=due))
    ok, _ = edge_shows(v, SECTION, "hen-gio", present=True, within=0.5)
    check(not ok, "a scheduled article is not at the edge before its time")
    while datetime.datetime.now(datetime.timezone.utc) < due:
        time.sleep(0.01)
    ok, took = edge_shows(v, SECTION, "hen-gio")
    check(ok, f"a scheduled article reaches the edge within 1 s of its time ({took:.2f} s)")

    # Varnish down during writes: the purges fail, are retried, and land once it is back.
    v.stop()
    failed_before = push_count(base, "failed")
    ok_before = push_count(base, "ok")
    api(base, "PUT", "/api/articles/luc-vang", article("luc-vang"))
    deadline = time.time() + 5
    while push_count(base, "failed") == failed_before and time.time() < deadline:
        time.sleep(0.05)
    check(push_count(base, "failed") > failed_before, "a purge to a stopped Varnish fails and is counted")
    v.start()
    deadline = time.time() + 5
    while push_count(base, "ok") == ok_before and time.time() < deadline:
        time.sleep(0.05)
    check(push_count(base, "ok") > ok_before, "the purge is retried and lands once Varnish is back")
    ok, _ = edge_shows(v, SECTION, "luc-vang")
    check(ok, "the edge shows the write made while it was down")

    # Herald down: the edge answers what it holds.
    v.request("GET", SECTION)
    v.request("GET", SECTION)
    harness.stop(proc)
    time.sleep(2.5)  # the probe marks the backend sick; grace then covers the wait
    status, h, body = v.request("GET", SECTION)
    check(status == 200 and b"luc-vang" in body, f"with Herald stopped the edge still answers ({status}, {h.get('x-cache')})")
finally:
    v.stop()
    if proc.poll() is None:
        harness.stop(proc)
print(f"varnish interop: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
