"""Telling the world, measured: a write until it is fresh at the edge (real Varnish
with the shipped VCL, purged by surrogate key), a WebSub fan-out to 1,000 local
subscribers of one section, and feeds served through Varnish against nginx serving
the same bytes."""
import datetime, hashlib, hmac, json, os, statistics, threading, time
import http.server, socketserver, urllib.parse, urllib.request

from common import TOKEN, WORK, get, harness, medians, ms, put, record, section, start_nginx, wrk
from varnish import Varnish

SECTION = "/feeds/category/kinh-te/rss.xml"


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


def article(aid, category="kinh-te"):
    return {"id": aid, "url": f"https://news.example.vn/{aid}", "title": f"Tin nhanh {aid}",
            "summary": "Tóm tắt.", "content_html": "<p>Nội dung.</p>", "category": category,
            "published": now()}


def with_varnish(data, env):
    """Herald over `data` with `env`, behind a Varnish whose purges it sends."""
    port, vport = harness.free_port(), harness.free_port()
    env = dict(env, HERALD_API_TOKENS=TOKEN, HERALD_CDN__PURGE=f"varnish=http://127.0.0.1:{vport}",
               HERALD_CDN__KEY_HEADERS="xkey")
    proc, base = harness.start(harness.ROOT + "/target/release/herald", env, import_examples=False,
                               data=data, port=port)
    vdir = os.path.join(WORK, f"varnish-{vport}")
    os.makedirs(vdir, exist_ok=True)
    v = Varnish(port, vdir, port=vport)
    v.start()
    return proc, base, v


def edge_freshness(data, writes=200):
    section(f"8. Write to fresh at the edge: PUT, then poll the section feed through Varnish ({writes} writes)")
    proc, base, v = with_varnish(data, {})
    edge = f"http://127.0.0.1:{v.port}"
    try:
        get(edge + SECTION)
        took = []
        for i in range(writes):
            aid = f"edge-{i}"
            t = time.perf_counter()
            put(base, article(aid))
            marker = f":article:{aid}<".encode()
            while True:
                _, _, body = get(edge + SECTION)
                if marker in body:
                    break
                if time.perf_counter() - t > 5:
                    raise SystemExit(f"{aid} never reached the edge")
                time.sleep(0.001)
            took.append((time.perf_counter() - t) * 1000)
            time.sleep(0.02)
        took.sort()
        p50, p99 = took[len(took) // 2], took[int(len(took) * 0.99) - 1]
        record("edge", f"write to fresh through Varnish: p50, p99 over {writes} writes",
               f"{p50:.1f} ms, {p99:.1f} ms", f"max {took[-1]:.1f} ms",
               "ok" if p99 < 100 else "p99 above the 100 ms goal")
    finally:
        v.stop()
        harness.stop(proc)


class Subscribers(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """1,000 subscribers on one port, one callback path each: they echo the
    challenge, check each delivery's signature, and note when it came."""
    daemon_threads = True
    request_queue_size = 1024

    def __init__(self, n):
        super().__init__(("127.0.0.1", 0), Handler)
        self.secrets = {f"/cb/{i}": f"bi-mat-{i}".encode() for i in range(n)}
        self.verified, self.delivered, self.bad = set(), {}, 0
        self.lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        with self.server.lock:
            self.server.verified.add(url.path)
        body = q.get("hub.challenge", "").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        secret = self.server.secrets.get(self.path, b"")
        want = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        ok = hmac.compare_digest(want, self.headers.get("X-Hub-Signature", ""))
        with self.server.lock:
            if ok:
                self.server.delivered.setdefault(self.path, time.perf_counter())
            else:
                self.server.bad += 1
        self.send_response(204 if ok else 400)
        self.send_header("Content-Length", "0")
        self.end_headers()


def subscribe(base, topic, callback, secret):
    form = urllib.parse.urlencode({"hub.mode": "subscribe", "hub.topic": topic, "hub.callback": callback,
                                   "hub.secret": secret}).encode()
    with urllib.request.urlopen(urllib.request.Request(base + "/websub", data=form)) as r:
        assert r.status == 202, r.status


def fanout(data, n=1000):
    section(f"9. WebSub fan-out: {n} local subscribers of one section, signed fat pings from Herald's hub")
    subs = Subscribers(n)
    threading.Thread(target=subs.serve_forever, daemon=True).start()
    env = {"HERALD_API_TOKENS": TOKEN, "HERALD_WEBSUB__HUB": "true", "HERALD_WEBSUB__ALLOW_PRIVATE_CALLBACKS": "true",
           "HERALD_WEBSUB__MAX_PENDING_PER_HOST": str(n), "HERALD_WEBSUB__MAX_SUBSCRIPTIONS_PER_TOPIC": str(n)}
    proc, base = harness.start(harness.ROOT + "/target/release/herald", env, import_examples=False, data=data)
    try:
        topic = "http://localhost:8080" + SECTION
        port = subs.server_address[1]
        for path, secret in subs.secrets.items():
            subscribe(base, topic, f"http://127.0.0.1:{port}{path}", secret.decode())
        deadline = time.time() + 60
        while json.loads(get(base + "/api/websub/subscriptions", {"Authorization": f"Bearer {TOKEN}"})[2])[
                "subscriptions"].__len__() < n:
            if time.time() > deadline:
                raise SystemExit("the subscriptions were never all verified")
            time.sleep(0.1)
        baseline = wrk(base + SECTION, headers=["Accept-Encoding: gzip"], dur=3)
        result = {}

        def load():
            result["during"] = wrk(base + SECTION, headers=["Accept-Encoding: gzip"], dur=3)

        loader = threading.Thread(target=load)
        loader.start()
        time.sleep(0.5)
        t = time.perf_counter()
        put(base, article("fan-out"))
        while len(subs.delivered) < n and time.perf_counter() - t < 30:
            time.sleep(0.005)
        loader.join()
        times = sorted(v - t for v in subs.delivered.values())
        last = times[-1] if times else float("nan")
        record("fanout", f"{n} subscribers: write to the last delivery (signature checked); deliveries/s",
               f"{last:.2f} s; {len(times) / last:,.0f}/s", f"first {times[0]:.3f} s, bad signatures {subs.bad}",
               "ok" if len(times) == n and last <= 2 and subs.bad == 0 else f"{len(times)}/{n} delivered: below goal")
        b_rps, during = baseline[0], result["during"][0]
        record("fanout", "cached section feed (gzip) meanwhile: req/s during the fan-out (p99)",
               f"{during:,.0f} ({result['during'][2]})", f"alone {b_rps:,.0f} ({baseline[2]})",
               f"{during / b_rps:.2f}x")
    finally:
        harness.stop(proc)
        subs.shutdown()


def varnish_serving(data, rounds=3):
    section("10. Feed serving through Varnish (a hit) against nginx serving the same bytes, wrk -t2 -c32")
    proc, base, v = with_varnish(data, {})
    edge = f"http://127.0.0.1:{v.port}"
    root = os.path.join(WORK, "www-edge")
    os.makedirs(root, exist_ok=True)
    os.chmod(WORK, 0o755)  # nginx's workers run unprivileged
    try:
        _, _, body = get(edge + SECTION)
        _, gh, gz = get(edge + SECTION, {"Accept-Encoding": "gzip"})
        assert {k.lower(): v for k, v in gh.items()}.get("content-encoding") == "gzip", gh
        for name, data_ in (("rss.xml", body), ("rss.xml.gz", gz)):
            with open(os.path.join(root, name), "wb") as f:
                f.write(data_)
            os.chmod(os.path.join(root, name), 0o644)
        nginx, nbase = start_nginx(root)
        try:
            for case, headers in (("plain", []), ("gzip", ["Accept-Encoding: gzip"])):
                v_runs, n_runs = [], []
                for _ in range(rounds):
                    v_runs.append(wrk(edge + SECTION, headers=headers, dur=3))
                    n_runs.append(wrk(nbase + "/rss.xml", headers=headers, dur=3))
                v_rps, v50, v99, v99s = medians(v_runs)
                n_rps, n50, n99, n99s = medians(n_runs)
                record("edge", f"rss.xml {case} through Varnish: req/s (p50, p99; p99 of each run)",
                       f"{v_rps:,.0f} ({v50}, {v99}{v99s})", f"nginx {n_rps:,.0f} ({n50}, {n99}{n99s})",
                       f"median of {rounds}, {v_rps / n_rps:.2f}x req/s, "
                       f"errors {sum(r[3] for r in v_runs)}/{sum(r[3] for r in n_runs)}")
        finally:
            nginx.terminate()
            nginx.wait()
    finally:
        v.stop()
        harness.stop(proc)


def sitemap_ttfb(base, months):
    """Time to first byte of the sitemap index and of the largest month, the first
    request after a start (cold) and the median of five after it (cached)."""
    def ttfb(path):
        t = time.perf_counter()
        with urllib.request.urlopen(base + path) as r:
            r.read(1)
            first = time.perf_counter() - t
            size = 1 + len(r.read())
        assert r.status == 200
        return first * 1000, size
    largest = max(months, key=months.get)
    out = []
    for path in ["/sitemap.xml", f"/sitemaps/{largest}.xml"]:
        cold, size = ttfb(path)
        cached = statistics.median(ttfb(path)[0] for _ in range(5))
        out.append((path, cold, cached, size))
    return largest, months[largest], out
