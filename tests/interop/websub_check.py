#!/usr/bin/env python3
"""Interop: a real third-party WebSub hub (flask-websub, with Celery and Redis) as
Herald's external hub. A subscriber subscribes to one of Herald's feeds through
that hub; a write to Herald must reach it. The hub refuses to distribute unless
the topic answers with Link rel="hub" and rel="self", so this checks those too,
and that Herald pings it (hub.mode=publish with hub.topic) from its change log.

usage: python3 tests/interop/websub_check.py target/release/herald
"""
import gzip, http.server, json, os, shutil, signal, socket, subprocess, sys, tempfile, threading, time
import urllib.parse, urllib.request

import harness

TOKEN = "websub-token"
HERE = os.path.dirname(os.path.abspath(__file__))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "target/release/herald")
passed = failed = 0
procs = []


def check(cond, what):
    global passed, failed
    passed, failed = (passed + 1, failed) if cond else (passed, failed + 1)
    print(("ok:   " if cond else "FAIL: ") + what, flush=True)


def spawn(name, cmd, work, env=None):
    log = open(os.path.join(work, name + ".log"), "w")
    p = subprocess.Popen(cmd, cwd=work, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         env=dict(os.environ, **(env or {})), start_new_session=True)
    procs.append(p)
    return p


def wait(cond, secs, what):
    deadline = time.time() + secs
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    raise SystemExit(f"websub check: {what} not within {secs} s")


def post_status(url, form=None):
    try:
        req = urllib.request.Request(url, data=urllib.parse.urlencode(form or {}).encode(), method="POST")
        with urllib.request.urlopen(req, timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


class Subscriber(http.server.ThreadingHTTPServer):
    """Echoes challenges; keeps what is delivered."""
    def __init__(self):
        self.verified, self.deliveries = [], []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                outer.verified.append(q)
                body = q.get("hub.challenge", "").encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                # flask-websub forwards the topic's Content-Encoding over the body it
                # decoded: take the bytes as they are unless they really are gzip.
                if body[:2] == b"\x1f\x8b":
                    body = gzip.decompress(body)
                outer.deliveries.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        super().__init__(("127.0.0.1", 0), H)
        threading.Thread(target=self.serve_forever, daemon=True).start()


work = tempfile.mkdtemp(prefix="herald-websub-")
proc = None
try:
    redis_port = harness.free_port()
    spawn("redis", [shutil.which("redis-server") or "/usr/bin/redis-server", "--bind", "127.0.0.1",
                    "--port", str(redis_port), "--save", "", "--appendonly", "no", "--dir", work], work)
    hub_port = harness.free_port()
    hub_env = {"HUB_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0", "HUB_DB": os.path.join(work, "hub.sqlite3"),
               "HUB_PORT": str(hub_port), "PYTHONPATH": HERE}
    spawn("hub-web", [sys.executable, os.path.join(HERE, "websub_hub_app.py")], work, hub_env)
    spawn("hub-worker", [sys.executable, "-m", "celery", "-A", "websub_hub_app:celery", "worker", "--pool=threads",
                         "--concurrency=4", "--without-gossip", "--without-mingle", "--without-heartbeat",
                         "--hostname", f"hub-{hub_port}@localhost", "-l", "INFO"], work, hub_env)
    hub = f"http://127.0.0.1:{hub_port}/hub"
    wait(lambda: post_status(hub) == 400, 30, "the hub's web side")
    wait(lambda: " ready." in open(os.path.join(work, "hub-worker.log")).read(), 30, "the hub's worker")

    port = harness.free_port()
    base = f"http://127.0.0.1:{port}"
    proc, _ = harness.start(binary, {"HERALD_API_TOKENS": TOKEN, "HERALD_SITE__BASE_URL": base,
                                     "HERALD_WEBSUB__HUBS": hub, "HERALD_PUSH__COALESCE_MS": "50"}, port=port)
    topic = f"{base}/feeds/category/kinh-te/atom.xml"
    with urllib.request.urlopen(topic) as r:
        links = r.headers.get_all("Link") or []
        joined = ", ".join(links)
        check(f'<{hub}>; rel="hub"' in joined and f'<{topic}>; rel="self"' in joined,
              f"the feed names its hub and itself: {joined}")

    sub = Subscriber()
    callback = f"http://127.0.0.1:{sub.server_address[1]}/cb"
    status = post_status(hub, {"hub.mode": "subscribe", "hub.topic": topic, "hub.callback": callback})
    check(status == 202, f"the hub takes the subscription ({status})")
    wait(lambda: sub.verified, 15, "the hub's verification of intent")

    doc = {"id": "qua-hub", "url": "https://news.example.vn/qua-hub.html", "title": "Tin qua hub WebSub",
           "category": "kinh-te", "published": "2025-01-01T08:00:00+07:00"}
    req = urllib.request.Request(f"{base}/api/articles/qua-hub", data=json.dumps(doc).encode(), method="PUT",
                                 headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
    started = time.time()
    wait(lambda: any(b"qua-hub" in body for _, body in sub.deliveries), 20, "the delivery through the hub")
    check(True, f"a write reaches the subscriber through flask-websub's hub ({time.time() - started:.2f} s)")
    headers, body = next((h, b) for h, b in sub.deliveries if b"qua-hub" in b)
    check("atom" in headers.get("content-type", ""), f"delivered as Atom ({headers.get('content-type')})")
finally:
    if proc is not None:
        harness.stop(proc)
    for p in reversed(procs):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
print(f"websub interop: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
