#!/usr/bin/env python3
"""Interop: Python feedparser (not ours) reads every partner's feeds.

Starts the release binary with the sample articles and one partner per profile
(generic with summaries and two sections, google-news, msn, flipboard, smartnews),
then for each partner reads its site, section and tag feeds in every format its
profile serves, with the key given each way (Bearer, HTTP Basic, ?key=): no bozo,
the right version, the partner's own self link, and the profile's rules as a
reader sees them. Also: no key, a wrong key and an unknown partner are 401 alike,
and the formats a profile does not serve are 404.

With `--w3c DIR` (an offline W3C Feed Validation Service) it also validates each
document and prints what the validator says; that is not part of CI, since the
validator is on no package registry.
"""
import base64, json, os, subprocess, sys, tempfile, urllib.error, urllib.request

import feedparser

import harness

args = sys.argv[1:]
w3c = None
if "--w3c" in args:
    i = args.index("--w3c")
    w3c = os.path.abspath(args[i + 1])
    del args[i:i + 2]
binary = args[0] if args else os.path.join(harness.ROOT, "target/release/herald")

PARTNERS = {
    "doc-bao": ("generic", 'content = "summary"\nsections = ["kinh-te", "du-lich"]\nitems = 5\n', ["rss.xml", "atom.xml", "feed.json"]),
    "gn": ("google-news", "", ["rss.xml", "atom.xml", "feed.json"]),
    "msn": ("msn", "items = 8\n", ["atom.xml"]),
    "flip": ("flipboard", "", ["rss.xml", "atom.xml", "feed.json"]),
    "sn": ("smartnews", 'description = "Báo tỉnh: tin mới nhất"\n', ["rss.xml"]),
}
config = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
env = {"HERALD_API_TOKENS": "interop", "HERALD_SITE__LOGO": "https://news.example.vn/logo.png"}
for name, (profile, extra, _) in PARTNERS.items():
    config.write(f'[[partners]]\nname = "{name}"\nprofile = "{profile}"\n{extra}\n')
    env[f"HERALD_PARTNER_{name.upper().replace('-', '_')}_KEYS"] = f"key-{name}"
config.close()

passed = failed = 0
w3c_problems = []


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


def get(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def parse_json(body):
    """feedparser 6 has no JSON Feed parser; read it as JSON into the same shape."""
    doc = json.loads(body)
    entries = [feedparser.FeedParserDict(id=i["id"], tags=[feedparser.FeedParserDict(term=t) for t in i.get("tags", [])])
               for i in doc["items"]]
    version = "json11" if doc.get("version") == "https://jsonfeed.org/version/1.1" else ""
    links = [feedparser.FeedParserDict(rel="self", href=doc.get("feed_url"))]
    return feedparser.FeedParserDict(bozo=0, version=version, entries=entries, feed=feedparser.FeedParserDict(links=links))


def validate(path, body):
    with tempfile.NamedTemporaryFile("wb", suffix=".xml", delete=False) as f:
        f.write(body)
    res = subprocess.run(["/usr/bin/python3", "src/demo.py", f.name], cwd=w3c, capture_output=True, text=True)
    lines = [l for l in (res.stdout + res.stderr).splitlines()
             if l.strip() and not l.startswith("Validating") and "Self reference doesn't match" not in l]
    print(f"w3c {path}: {'ok' if not lines else 'PROBLEMS'}")
    for l in lines:
        print("   ", l)
    w3c_problems.extend(lines)


proc, base = harness.start(binary, env, args=["--config", config.name])
try:
    for name, (profile, _, formats) in PARTNERS.items():
        key = f"key-{name}"
        ways = [{"Authorization": f"Bearer {key}"},
                {"Authorization": "Basic " + base64.b64encode(f"{name}:{key}".encode()).decode()},
                "query"]
        for scope in ["", "category/kinh-te/", "tag/c%E1%BA%A7u%20c%E1%BB%91c%20l%E1%BA%BFu/"]:
            for file in ["rss.xml", "atom.xml", "feed.json"]:
                path = f"/partners/{name}/feeds/{scope}{file}"
                if file not in formats:
                    status, _ = get(base + path, ways[0])
                    check(status == 404, f"{path}: {profile} does not serve {file}, got {status}")
                    continue
                bodies = []
                for way in ways:
                    url = base + path + (f"?key={key}" if way == "query" else "")
                    status, body = get(url, None if way == "query" else way)
                    check(status == 200, f"{path} with the key {way if way == 'query' else list(way.values())[0].split()[0]}: {status}")
                    bodies.append(body)
                check(len(set(bodies)) == 1, f"{path}: the same document whichever way the key came")
                ctype = {"rss.xml": "application/rss+xml", "atom.xml": "application/atom+xml",
                         "feed.json": "application/feed+json"}[file]
                d = parse_json(bodies[0]) if file == "feed.json" else feedparser.parse(bodies[0], response_headers={"content-type": ctype})
                text = bodies[0].decode("utf-8")
                check(not d.bozo, f"{path}: bozo {d.get('bozo_exception')}")
                version = {"rss.xml": "rss20", "atom.xml": "atom10", "feed.json": "json11"}[file]
                check(d.version == version, f"{path}: version {d.version}")
                selfs = [l.href for l in d.feed.get("links", []) if l.get("rel") == "self"]
                check(selfs == ["http://localhost:8080" + path], f"{path}: self link {selfs}")
                n = len(d.entries)
                check(n > 0, f"{path}: no entries")
                if profile == "generic":
                    check(n <= 5, f"{path}: {n} entries, more than its 5")
                    check(not any(m in text for m in ("<content:encoded>", "<content ", '"content_html"')), f"{path}: full text in a summary feed")
                    sections = ("Kinh tế", "Du lịch", "kinh-te", "du-lich")
                    check(all(e.tags[0].term in sections for e in d.entries if e.get("tags")), f"{path}: a section it does not take")
                if profile == "msn":
                    check(n <= 8, f"{path}: {n} entries")
                    check(all(e.get("media_content") for e in d.entries), f"{path}: an entry without media:content")
                    check(text.count('<content type="html">') == n, f"{path}: an entry without a body")
                if profile == "flipboard":
                    full = {"rss.xml": "<content:encoded>", "atom.xml": '<content type="html">', "feed.json": '"content_html"'}[file]
                    check(text.count(full) == n, f"{path}: an entry without full text")
                if profile == "smartnews":
                    check(d.namespaces.get("snf") == "http://www.smartnews.be/snf", f"{path}: namespaces {d.namespaces}")
                    check(len(d.feed.subtitle) <= 30, f"{path}: description {d.feed.subtitle!r}")
                    check(len(bodies[0]) < 1_000_000, f"{path}: {len(bodies[0])} bytes")
                if profile == "google-news":
                    check(len(bodies[0]) <= 2_000_000, f"{path}: {len(bodies[0])} bytes")
                if w3c and file != "feed.json":
                    validate(path, bodies[0])
    refusals = [get(base + "/partners/gn/feeds/rss.xml"),
                get(base + "/partners/gn/feeds/rss.xml?key=key-msn"),
                get(base + "/partners/gn/feeds/rss.xml", {"Authorization": "Bearer nope"}),
                get(base + "/partners/nobody/feeds/rss.xml?key=key-gn")]
    check(all(s == 401 for s, _ in refusals), f"refusals: {[s for s, _ in refusals]}")
    check(len({b for _, b in refusals}) == 1, "an unknown partner answers as a wrong key does")
finally:
    harness.stop(proc)
    os.unlink(config.name)
print(f"partner feeds with feedparser: {passed} passed, {failed} failed")
if w3c:
    print(f"w3c feedvalidator: {len(w3c_problems)} lines of errors or warnings")
sys.exit(1 if failed else 0)
