#!/usr/bin/env python3
"""Runs the W3C Feed Validation Service (offline copy) over every kind of feed.

Not part of CI: the validator is not on a package registry. Usage:
    python3 tests/interop/w3c_validate.py /path/to/feedvalidator target/release/herald
It starts Herald with the sample articles plus edge cases (hostile text, no images, a
category paged over several pages, an empty category), saves each feed to a file and
validates it with errors and warnings shown. The validator's "Self reference doesn't
match document location" is an artefact of validating a file, and is ignored.
"""
import json, os, subprocess, sys, tempfile, urllib.request

import harness

validator, binary = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
proc, base = harness.start(binary, {"HERALD_FEEDS__ITEMS": "30", "HERALD_API_TOKENS": "w3c"})
try:
    edge = [{"id": "hostile", "url": "https://news.example.vn/x?a=1&b=2", "category": "xa-hoi",
             "title": "A & B <script>alert(1)</script> ]]> 😀 \u0001 Ba\u0303o",
             "summary": "x ]]> y & z", "content_html": "<p>]]> & emoji 😀</p>",
             "published": "2024-12-06T09:00:00+07:00", "tags": ["Thử & nghiệm"]},
            {"id": "bare", "url": "https://news.example.vn/bare", "category": "xa-hoi",
             "title": "Chỉ có tiêu đề", "published": "2024-12-05T09:00:00+07:00"}]
    edge += [{"id": f"p{i}", "url": f"https://news.example.vn/p{i}", "category": "phap-luat",
              "title": f"Tin số {i}", "summary": "Tóm tắt.", "content_html": "<p>Nội dung.</p>",
              "published": f"2024-11-{1 + i // 10:02d}T{i % 10:02d}:00:00Z",
              "images": [{"url": f"https://news.example.vn/{i}.jpg", "caption": "Ảnh", "length": 1000,
                          "mime": "image/jpeg", "width": 10, "height": 10}]} for i in range(70)]
    req = urllib.request.Request(base + "/api/articles", data=json.dumps(edge).encode(), method="POST",
                                 headers={"Authorization": "Bearer w3c"})
    urllib.request.urlopen(req).read()
    paths = ["/feeds/rss.xml", "/feeds/atom.xml", "/feeds/rss.xml?page=2", "/feeds/atom.xml?page=2",
             "/feeds/category/xa-hoi/rss.xml", "/feeds/category/xa-hoi/atom.xml",
             "/feeds/category/phap-luat/rss.xml?page=2", "/feeds/category/phap-luat/atom.xml?page=3",
             "/feeds/category/giao-duc/rss.xml", "/feeds/tag/th%E1%BB%AD%20%26%20nghi%E1%BB%87m/atom.xml",
             "/feeds/tag/b%C3%A3o%20s%E1%BB%91%203/rss.xml"]
    # An empty category: one the config declares but no sample article uses.
    req = urllib.request.Request(base + "/api/categories/trong", data=json.dumps({"title": "Trống"}).encode(), method="PUT",
                                 headers={"Authorization": "Bearer w3c"})
    urllib.request.urlopen(req).read()
    paths += ["/feeds/category/trong/rss.xml", "/feeds/category/trong/atom.xml"]
    # Retractions: RFC 6721 tombstones in the Atom feeds of every scope the article
    # was in, one with a reason and one without. The validator predates RFC 6721:
    # its "Use of unknown namespace" for that namespace is expected, and allowed.
    for doc, reason in [({"id": "rut", "url": "https://news.example.vn/rut", "category": "xa-hoi",
                          "title": "Tin bị gỡ", "published": "2024-12-04T09:00:00+07:00",
                          "tags": ["Gỡ bài"]}, "Thông tin sai & chưa kiểm chứng <b>"),
                        ({"id": "rut2", "url": "https://news.example.vn/rut2", "category": "xa-hoi",
                          "title": "Tin bị gỡ 2", "published": "2024-12-03T09:00:00+07:00"}, None)]:
        req = urllib.request.Request(base + f"/api/articles/{doc['id']}", data=json.dumps(doc).encode(), method="PUT",
                                     headers={"Authorization": "Bearer w3c"})
        urllib.request.urlopen(req).read()
        body = json.dumps({"reason": reason}).encode() if reason else None
        req = urllib.request.Request(base + f"/api/articles/{doc['id']}", data=body, method="DELETE",
                                     headers={"Authorization": "Bearer w3c"})
        urllib.request.urlopen(req).read()
    paths += ["/feeds/atom.xml", "/feeds/category/xa-hoi/atom.xml", "/feeds/tag/g%E1%BB%A1%20b%C3%A0i/atom.xml"]
    problems = 0
    out = tempfile.mkdtemp(prefix="herald-feeds-")
    for i, path in enumerate(paths):
        name = os.path.join(out, f"{i}.xml")
        with open(name, "wb") as f:
            f.write(urllib.request.urlopen(base + path).read())
        res = subprocess.run(["/usr/bin/python3", "src/demo.py", name], cwd=validator, capture_output=True, text=True)
        lines = [l for l in (res.stdout + res.stderr).splitlines()
                 if l.strip() and not l.startswith("Validating") and "Self reference doesn't match" not in l
                 and "Use of unknown namespace: http://purl.org/atompub/tombstones/1.0" not in l]
        print(f"{path}: {'ok' if not lines else 'PROBLEMS'}")
        for l in lines:
            print("   ", l)
        problems += len(lines)
    print(f"w3c feedvalidator: {len(paths)} feeds, {problems} errors or warnings")
finally:
    harness.stop(proc)
sys.exit(1 if problems else 0)
