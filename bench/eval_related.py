#!/usr/bin/env python3
"""Related-stories quality on a corpus with story clusters (the `story` field).

Usage:
    cargo build --release
    python3 bench/eval_related.py ../shared/corpus/vi_ktlab_mds_clusters.jsonl
    python3 bench/eval_related.py CORPUS --url http://127.0.0.1:8080 --token TOKEN

Without --url it starts target/release/herald over a temporary store. It imports the
corpus through the API (creating its categories), then, for every article whose story
has 2 or more members, asks for the top 5 related, twice: first from the index as
the imports left it (live), then, when it started Herald itself, after a restart
(the index rebuilt from the store). It prints, each time:
  nP@5 = hits / min(5, other members of the story), averaged;
  MRR  = mean of 1 / rank of the first same-story result (0 if none).
"""
import argparse, collections, html, json, os, sys, tempfile, time, urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "interop"))
import harness  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("corpus")
p.add_argument("--url")
p.add_argument("--token", default="eval-token")
p.add_argument("--binary", default=os.path.join(harness.ROOT, "target/release/herald"))
p.add_argument("--k", type=int, default=5)
args = p.parse_args()


def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Authorization": f"Bearer {args.token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


def article(row):
    url = row.get("url") or ""
    if not url.startswith(("http://", "https://")):
        url = f"https://corpus.example/{row['id']}"
    body = row.get("body") or ""
    return {"id": row["id"], "url": url, "title": row["title"], "summary": row.get("summary") or "",
            "content_html": "".join(f"<p>{html.escape(p)}</p>" for p in body.split("\n") if p.strip()),
            "category": row.get("category") or "khac",
            "published": row.get("published") or "2020-01-01T00:00:00Z", "language": row.get("lang") or "vi"}


rows = [json.loads(l) for l in open(args.corpus, encoding="utf-8") if l.strip()]
rows = [r for r in rows if (r.get("title") or "").strip()]
def evaluate(base, label):
    stories = collections.defaultdict(set)
    for r in rows:
        if r.get("story"):
            stories[r["story"]].add(r["id"])
    queries = [(i, s) for s, members in stories.items() if len(members) >= 2 for i in members]
    np_sum = rr_sum = 0.0
    latencies = []
    for id_, story in queries:
        t = time.perf_counter()
        res = call(base, "GET", f"/api/articles/{id_}/related?limit={args.k}")
        latencies.append(time.perf_counter() - t)
        got = [x["id"] for x in res["related"]]
        others = stories[story] - {id_}
        np_sum += sum(1 for g in got if g in others) / min(args.k, len(others))
        rr_sum += next((1 / (rank + 1) for rank, g in enumerate(got) if g in others), 0.0)
    latencies.sort()
    n = len(queries)
    print(f"{label}: {len(rows)} articles, {len(stories)} stories, {n} queries: "
          f"nP@{args.k} = {np_sum / n:.3f}  MRR = {rr_sum / n:.3f}  "
          f"(HTTP round trip p50 {latencies[n // 2] * 1000:.2f} ms, p99 {latencies[int(n * 0.99)] * 1000:.2f} ms)")


def baseline():
    """The reference: plain TF-IDF cosine over title and body words, computed here."""
    import math, re
    docs = {r["id"]: collections.Counter(re.findall(r"\w+", (r["title"] + " " + (r.get("body") or "")).lower()))
            for r in rows}
    df = collections.Counter(t for c in docs.values() for t in c)
    n = len(docs)
    vecs, postings = {}, collections.defaultdict(list)
    for i, c in docs.items():
        v = {t: tf * math.log(n / df[t]) for t, tf in c.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vecs[i] = {t: x / norm for t, x in v.items() if x > 0}
        for t, x in vecs[i].items():
            postings[t].append((i, x))
    stories = collections.defaultdict(set)
    for r in rows:
        if r.get("story"):
            stories[r["story"]].add(r["id"])
    np_sum, count = 0.0, 0
    for story, members in stories.items():
        if len(members) < 2:
            continue
        for q in members:
            scores = collections.Counter()
            for t, x in vecs[q].items():
                for d, y in postings[t]:
                    if d != q:
                        scores[d] += x * y
            top = [d for d, _ in scores.most_common(args.k)]
            np_sum += sum(1 for d in top if d in members) / min(args.k, len(members) - 1)
            count += 1
    print(f"reference, plain TF-IDF cosine on title and body: nP@{args.k} = {np_sum / count:.3f}")


print(f"corpus: {os.path.basename(args.corpus)}")
baseline()
if args.url:
    base = args.url.rstrip("/")
    proc = None
else:
    data = tempfile.mkdtemp(prefix="herald-eval-")
    proc, base = harness.start(args.binary, {"HERALD_API_TOKENS": args.token}, import_examples=False, data=data)
try:
    for slug in sorted({r.get("category") or "khac" for r in rows}):
        call(base, "PUT", f"/api/categories/{slug}", {"title": slug})
    started = time.time()
    for i in range(0, len(rows), 1000):
        report = call(base, "POST", "/api/articles", [article(r) for r in rows[i:i + 1000]])
        for f in report["failed"]:
            print("rejected:", f, file=sys.stderr)
    print(f"imported {len(rows)} articles in {time.time() - started:.1f} s")
    evaluate(base, "live index")
    if proc:
        harness.stop(proc)
        proc, base = harness.start(args.binary, {"HERALD_API_TOKENS": args.token}, import_examples=False, data=data)
        evaluate(base, "after restart")
finally:
    if proc:
        harness.stop(proc)
