#!/usr/bin/env python3
"""Interop: ultimate-sitemap-parser (PyPI, not ours) reads Herald's sitemaps.

Against the release binary with the example articles and a few of the last hours:
the Google News sitemap's stories with their publication, language, date and title;
the archive's index, every monthly sitemap it lists, each page's lastmod and images,
all equal to what was stored.

usage: python3 tests/interop/sitemap_check.py target/release/herald
"""
import collections, datetime, json, logging, os, sys, urllib.request

from usp.fetch_parse import SitemapFetcher
from usp.objects.sitemap import InvalidSitemap
from usp.web_client.requests_client import RequestsWebClient

import harness

TOKEN = "sitemap-token"
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "target/release/herald")
passed = failed = 0
errors = []


class Collect(logging.Handler):
    """usp never raises on bad input; it logs. Any error it logs is a failure."""
    def emit(self, record):
        if record.levelno >= logging.ERROR:
            errors.append(record.getMessage())


logging.getLogger("usp").addHandler(Collect())


def check(cond, what):
    global passed, failed
    passed, failed = (passed + 1, failed) if cond else (passed, failed + 1)
    if not cond:
        print("FAIL:", what)


def fetch(url):
    client = RequestsWebClient()
    client.set_timeout((2, 10))
    return SitemapFetcher(url=url, recursion_level=0, web_client=client).sitemap()


examples = [json.loads(l) for l in open(harness.EXAMPLES, encoding="utf-8") if l.strip()]
port = harness.free_port()
base = f"http://127.0.0.1:{port}"
proc, _ = harness.start(binary, {"HERALD_API_TOKENS": TOKEN, "HERALD_SITE__BASE_URL": base}, port=port)
try:
    now = datetime.datetime.now(datetime.timezone.utc)
    recent = []
    for i in range(3):
        doc = {"id": f"moi-{i}", "url": f"https://news.example.vn/moi-{i}.html", "title": f"Tin mới {i}: lũ & sạt lở",
               "category": "thoi-su", "published": (now - datetime.timedelta(hours=i + 1)).isoformat(timespec="seconds"),
               "images": [{"url": f"https://news.example.vn/moi-{i}.jpg"}]}
        req = urllib.request.Request(f"{base}/api/articles/{doc['id']}", data=json.dumps(doc).encode(), method="PUT",
                                     headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
        urllib.request.urlopen(req).read()
        recent.append(doc)

    news = fetch(f"{base}/sitemaps/news.xml")
    check(not isinstance(news, InvalidSitemap), f"news sitemap: {getattr(news, 'reason', '')}")
    pages = {p.url: p for p in news.pages}
    check(set(pages) == {d["url"] for d in recent}, f"news sitemap urls {sorted(pages)}")
    for d in recent:
        story = pages.get(d["url"]) and pages[d["url"]].news_story
        check(story is not None, f"{d['url']}: no news story")
        if story:
            check(story.title == d["title"], f"{d['url']}: title {story.title!r}")
            check(story.publication_name == "Báo Herald", f"{d['url']}: name {story.publication_name!r}")
            check(story.publication_language == "vi", f"{d['url']}: language {story.publication_language!r}")
            check(story.publish_date == datetime.datetime.fromisoformat(d["published"]), f"{d['url']}: date {story.publish_date}")

    index = fetch(f"{base}/sitemap.xml")
    check(not isinstance(index, InvalidSitemap), f"index: {getattr(index, 'reason', '')}")
    stored = {a["url"]: a for a in examples}
    stored.update({d["url"]: d for d in recent})
    by_month = collections.Counter(datetime.datetime.fromisoformat(a["published"]).astimezone(datetime.timezone.utc).strftime("%Y-%m")
                                   for a in stored.values())
    subs = list(index.sub_sitemaps)
    check(sorted(s.url.rsplit("/", 1)[1] for s in subs) == sorted(f"{m}.xml" for m in by_month),
          f"index lists {[s.url for s in subs]} for months {sorted(by_month)}")
    seen = {}
    for s in subs:
        check(not isinstance(s, InvalidSitemap), f"{s.url}: {getattr(s, 'reason', '')}")
        for p in s.pages:
            seen[p.url] = p
        month = s.url.rsplit("/", 1)[1][:-4]
        check(len(list(s.pages)) == by_month[month], f"{s.url}: {len(list(s.pages))} pages, {by_month[month]} stored")
    check(set(seen) == set(stored), "every article is in its month")
    for url, a in stored.items():
        p = seen.get(url)
        if p is None:
            continue
        want = datetime.datetime.fromisoformat(a.get("updated") or a["published"]).astimezone(datetime.timezone.utc)
        check(p.last_modified == want, f"{url}: lastmod {p.last_modified} vs {want}")
        images = [i["url"] for i in a.get("images", [])]
        check([i.loc for i in (p.images or [])] == images, f"{url}: images {p.images}")
    check(not errors, f"usp logged errors: {errors}")
    print(f"sitemap interop (ultimate-sitemap-parser): {passed} passed, {failed} failed")
finally:
    harness.stop(proc)
sys.exit(1 if failed else 0)
