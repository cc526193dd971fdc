"""What every part of the benchmark shares: the results table, wrk and its figures,
HTTP helpers, and nginx as the reference server."""
import json, os, re, subprocess, sys, tempfile, time
import urllib.error, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "interop"))
import harness  # noqa: E402

BIN = os.path.join(harness.ROOT, "target/release/herald")
TOKEN = "bench-token"
WORK = tempfile.mkdtemp(prefix="herald-bench-")
# Seconds per wrk run unless a part says otherwise (perf.py sets it from --quick).
CONFIG = {"dur": 5}
results = []  # (section, name, herald, reference, goal/verdict)


def section(title):
    print(f"\n== {title}", flush=True)


def record(sec, name, value, ref="", note=""):
    results.append((sec, name, value, ref, note))
    print(f"  {name:<46} {value:<28} {ref:<24} {note}", flush=True)


def on_cpu(cpu):
    """A command prefix that runs a program on CPU `cpu` only (None: anywhere)."""
    return [] if cpu is None else ["taskset", "-c", str(cpu)]


def wrk(url, conns=32, threads=2, headers=(), script=None, dur=None, cpu=None):
    dur = dur or CONFIG["dur"]
    cmd = on_cpu(cpu) + ["wrk", f"-t{threads}", f"-c{conns}", f"-d{dur}s", "--latency"]
    for h in headers:
        cmd += ["-H", h]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    rps = float(re.search(r"Requests/sec:\s+(\S+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, errs.groups())) if errs else 0)
    if errors:
        print(f"    wrk: {errs.group(0) if errs else ''} {non2xx.group(0) if non2xx else ''}".rstrip())
    return rps, lat.get("50", "?"), lat.get("99", "?"), errors


def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)", v)
    if not m:
        return float("nan")
    return float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]


def medians(runs):
    """The median req/s, p50 and p99 of wrk runs, each taken on its own (an odd
    count, so each is one run's figure as wrk printed it), and every run's p99."""
    def mid(i, key):
        return sorted((r[i] for r in runs), key=key)[len(runs) // 2]
    spread = f"; {', '.join(r[2] for r in runs)}" if len(runs) > 1 else ""
    return mid(0, float), mid(1, ms), mid(2, ms), spread


def get(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def put(base, article):
    req = urllib.request.Request(f"{base}/api/articles/{article['id']}", data=json.dumps(article).encode(),
                                 method="PUT", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(req) as r:
        return r.status


def start_nginx(root, cpu=None):
    port_probe = __import__("socket").socket()
    port_probe.bind(("127.0.0.1", 0))
    port = port_probe.getsockname()[1]
    port_probe.close()
    conf = os.path.join(WORK, "nginx.conf")
    with open(conf, "w") as f:
        # One worker per core it is given, as `auto` means on a machine of that size.
        workers = 1 if cpu is not None else "auto"
        f.write(f"""worker_processes {workers}; daemon off; pid {WORK}/nginx.pid; error_log {WORK}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{ access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
  types {{ application/rss+xml xml; }}
  server {{ listen 127.0.0.1:{port}; root {root}; gzip_static on; etag on; }} }}
""")
    proc = subprocess.Popen(on_cpu(cpu) + ["nginx", "-c", conf], stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return proc, f"http://127.0.0.1:{port}"
