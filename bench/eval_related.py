#!/usr/bin/env python3
"""Related-stories quality on a corpus with story clusters (the `story` field), beside
the TF-IDF peer computed on the same rows in the same run.

Usage:
    cargo build --release
    python3 bench/eval_related.py ../shared/corpus/vi_ktlab_mds_clusters.jsonl [--dates real|dense|both]
    python3 bench/eval_related.py CORPUS --url http://127.0.0.1:8080 --token TOKEN

Without --url it starts target/release/herald over a temporary store, once per dating.
It imports the corpus through the API (creating its categories), then, for every
article whose story has 2 or more members, asks for the top 5 related, twice: first
from the index as the imports left it (live), then, when it started Herald itself,
after a restart (the index rebuilt from the store).

Datings (--dates, default both):
  real   each article's own `published`;
  dense  every `published` replaced by a deterministic instant inside one 48-hour
         window (a hash of --seed and the id), so that closeness in time says nothing
         about the story and only the text can rank.

The peer (issue #18): scikit-learn TfidfVectorizer(sublinear_tf=True, lowercase=True)
over "title title summary body", cosine similarity, the article itself excluded. It
uses no dates, so one computation serves both datings. scikit-learn is installed with
pip when missing.

Figures, each for Herald (live, after restart) and the peer:
  nP@5 = hits / min(5, other members of the story), averaged;
  MRR  = mean of 1 / rank of the first same-story result (0 if none).
"""
import argparse, collections, datetime, hashlib, html, json, os, subprocess, sys, tempfile, time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "interop"))
import harness  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("corpus")
p.add_argument("--url", help="a running Herald to import into (one dating only)")
p.add_argument("--token", default="eval-token")
p.add_argument("--binary", default=os.path.join(harness.ROOT, "target/release/herald"))
p.add_argument("--k", type=int, default=5)
p.add_argument("--dates", choices=["real", "dense", "both"], default="both")
p.add_argument("--seed", type=int, default=0, help="seed of the dense dates")
p.add_argument("--batch", type=int, default=1000,
               help="articles per import request (1: one at a time, as a CMS publishes)")
args = p.parse_args()
if args.url and args.dates == "both":
    p.error("--url takes one dating: --dates real or --dates dense")

DENSE_START = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
WINDOW_MS = 48 * 3600 * 1000


def dense_published(id_):
    """A deterministic instant inside the 48 hours from DENSE_START, RFC 3339."""
    h = hashlib.sha256(f"{args.seed}:{id_}".encode()).digest()
    at = DENSE_START + datetime.timedelta(milliseconds=int.from_bytes(h[:8], "little") % WINDOW_MS)
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Authorization": f"Bearer {args.token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


def article(row, dates):
    url = row.get("url") or ""
    if not url.startswith(("http://", "https://")):
        url = f"https://corpus.example/{row['id']}"
    body = row.get("body") or ""
    published = row.get("published") or "2020-01-01T00:00:00Z"
    if dates == "dense":
        published = dense_published(row["id"])
    return {"id": row["id"], "url": url, "title": row["title"], "summary": row.get("summary") or "",
            "content_html": "".join(f"<p>{html.escape(p)}</p>" for p in body.split("\n") if p.strip()),
            "category": row.get("category") or "khac",
            "published": published, "language": row.get("lang") or "vi"}


rows = [json.loads(l) for l in open(args.corpus, encoding="utf-8") if l.strip()]
rows = [r for r in rows if (r.get("title") or "").strip()]
stories = collections.defaultdict(set)
for r in rows:
    if r.get("story"):
        stories[r["story"]].add(r["id"])
queries = [r["id"] for r in rows if r.get("story") and len(stories[r["story"]]) >= 2]
story_of = {r["id"]: r.get("story") for r in rows}


def figures(ranked):
    """(nP@k, MRR) of `ranked`: query id -> result ids, best first."""
    np_sum = rr_sum = 0.0
    for id_ in queries:
        got = ranked[id_][:args.k]
        others = stories[story_of[id_]] - {id_}
        np_sum += sum(1 for g in got if g in others) / min(args.k, len(others))
        rr_sum += next((1 / (rank + 1) for rank, g in enumerate(got) if g in others), 0.0)
    return np_sum / len(queries), rr_sum / len(queries)


def herald(base, label):
    ranked, latencies = {}, []
    for id_ in queries:
        t = time.perf_counter()
        res = call(base, "GET", f"/api/articles/{id_}/related?limit={args.k}")
        latencies.append(time.perf_counter() - t)
        ranked[id_] = [x["id"] for x in res["related"]]
    latencies.sort()
    n = len(latencies)
    np5, mrr = figures(ranked)
    print(f"  Herald, {label}: nP@{args.k} = {np5:.4f}  MRR = {mrr:.4f}  "
          f"(HTTP round trip p50 {latencies[n // 2] * 1000:.2f} ms, p99 {latencies[int(n * 0.99)] * 1000:.2f} ms)",
          flush=True)
    return np5, mrr


def peer():
    """The TF-IDF peer of issue #18, on the same rows and queries."""
    try:
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "scikit-learn"], check=True)
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer

    def text(r):
        title = r.get("title") or ""
        return " ".join([title, title, r.get("summary") or "", r.get("body") or ""])

    # TfidfVectorizer's rows are L2-normalised, so the dot product is the cosine.
    matrix = TfidfVectorizer(sublinear_tf=True, lowercase=True).fit_transform([text(r) for r in rows])
    position = {r["id"]: i for i, r in enumerate(rows)}
    ranked = {}
    for start in range(0, len(queries), 512):
        chunk = queries[start:start + 512]
        rows_at = [position[q] for q in chunk]
        scores = (matrix[rows_at] @ matrix.T).toarray()
        for n, (q, i) in enumerate(zip(chunk, rows_at)):
            scores[n, i] = -np.inf  # the article itself
            best = np.argsort(-scores[n], kind="stable")[:args.k]  # ties: corpus order
            ranked[q] = [rows[j]["id"] for j in best]
    return figures(ranked)


def wait_ready(base):
    """Waits for the related index: a restart builds it while the server already serves,
    and an index that has doubled since its last build is rebuilt (the old one answering
    meanwhile): this waits for that rebuild too, so "live" is the index imports settle on,
    and for every article's related list, which is what then answers."""
    end = time.time() + 300
    while True:
        try:
            with urllib.request.urlopen(base + "/readyz?require=related", timeout=5) as r:
                body = json.load(r)
                if (r.status == 200 and body["parts"]["related"] == "ready"
                        and body.get("related_lists_waiting", 0) == 0):
                    return
        except OSError:
            pass
        if time.time() > end:
            sys.exit(f"{base}: the related index was never ready")
        time.sleep(0.05)


def run(dates):
    """Herald's figures with `dates`: {label: (nP, MRR)}."""
    print(f"{dates} dates:", flush=True)
    out = {}
    if args.url:
        base, proc = args.url.rstrip("/"), None
    else:
        data = tempfile.mkdtemp(prefix="herald-eval-")
        proc, base = harness.start(args.binary, {"HERALD_API_TOKENS": args.token}, import_examples=False, data=data)
    try:
        wait_ready(base)
        for slug in sorted({r.get("category") or "khac" for r in rows}):
            call(base, "PUT", f"/api/categories/{slug}", {"title": slug})
        started = time.time()
        for i in range(0, len(rows), args.batch):
            report = call(base, "POST", "/api/articles", [article(r, dates) for r in rows[i:i + args.batch]])
            for f in report["failed"]:
                print("rejected:", f, file=sys.stderr)
        print(f"  imported {len(rows)} articles in {time.time() - started:.1f} s")
        wait_ready(base)
        out["live"] = herald(base, "live index")
        if proc:
            harness.stop(proc)
            proc, base = harness.start(args.binary, {"HERALD_API_TOKENS": args.token}, import_examples=False,
                                       data=data)
            wait_ready(base)
            out["after restart"] = herald(base, "after restart")
    finally:
        if proc:
            harness.stop(proc)
    return out


print(f"corpus: {os.path.basename(args.corpus)}: {len(rows)} articles, "
      f"{sum(1 for m in stories.values() if len(m) >= 2)} stories of 2 or more, {len(queries)} queries")
if not queries:
    sys.exit("no story has 2 or more members: nothing to measure")
peer_np, peer_mrr = peer()
print(f"peer (TF-IDF cosine, dates unused): nP@{args.k} = {peer_np:.4f}  MRR = {peer_mrr:.4f}", flush=True)
datings = ["real", "dense"] if args.dates == "both" else [args.dates]
results = {d: run(d) for d in datings}

print(f"\n{'dates':<6} {'ranking':<22} {'nP@' + str(args.k):>7} {'MRR':>7}  vs peer")
for d in datings:
    for label, (np5, mrr) in results[d].items():
        print(f"{d:<6} {'Herald, ' + label:<22} {np5:>7.4f} {mrr:>7.4f}  {np5 - peer_np:+.4f}")
    print(f"{d:<6} {'peer':<22} {peer_np:>7.4f} {peer_mrr:>7.4f}")
