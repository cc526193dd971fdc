#!/usr/bin/env python3
"""Related-stories speed and memory at 10,000 and 100,000 articles.

    cargo build --release && python3 bench/related.py [SIZES...] [--binary PATH] [--corpus DIR]

For each size: synthesise the articles (bench/synth.py says how), `herald import`
them, start `herald serve` and time it to related ready (`/readyz?require=related`:
the related index is rebuilt from sled while the server already serves), take the
build's own time from its log ("related index built", elapsed_ms), wait until every
article's related list is made (`related_lists_waiting` 0 in `/readyz`: a
background worker at the lowest priority makes them after each start), read the
process's RSS, then call the related endpoint for random articles with wrk (1
connection, so each figure is one call's latency, loopback HTTP included) and print
p50 and p99; then the same for `/healthz`, the round trip of a request that does
nothing, to compare with on this machine at this moment.
"""
import argparse, json, os, re, shutil, subprocess, sys, tempfile, time, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "interop"))
import harness  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000])
p.add_argument("--binary", default=os.path.join(harness.ROOT, "target/release/herald"))
p.add_argument("--corpus", help="synthesise from this directory's *.jsonl (default: synth.py's)")
args = p.parse_args()
BIN, sizes = args.binary, args.sizes
if not shutil.which("wrk"):
    sys.exit("wrk is needed: apt-get install wrk")


def wait_ready(base):
    end = time.time() + 300
    while time.time() < end:
        try:
            with urllib.request.urlopen(base + "/readyz?require=related", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.01)
    sys.exit(f"{base}: the related index was never ready")


def wait_lists(base):
    """Seconds until no article waits for its related list."""
    t, end = time.time(), time.time() + 1800
    while time.time() < end:
        with urllib.request.urlopen(base + "/readyz", timeout=5) as r:
            if json.load(r).get("related_lists_waiting", 0) == 0:  # 0 for builds without lists
                return time.time() - t
        time.sleep(0.5)
    sys.exit(f"{base}: the related lists were never all made")


def wrk(base, lua=None):
    """p50, p99 and calls/s of 10 s of wrk on one connection, and the errors."""
    cmd = ["wrk", "-t1", "-c1", "-d10s", "--latency"] + (["-s", lua] if lua else []) + [base]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    reqs = re.search(r"Requests/sec:\s+(\S+)", out).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return lat.get("50"), lat.get("99"), reqs, errors.group(1) if errors else "0"


def ms(v):
    """wrk's latency ("812.00us", "1.21ms", "2.00s") in milliseconds."""
    num, unit = re.match(r"([\d.]+)(\w+)", v).groups()
    return float(num) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def mem_mb(pid, key):
    status = open(f"/proc/{pid}/status").read()
    return int(re.search(key + r":\s+(\d+) kB", status).group(1)) / 1024


rows = []
for n in sizes:
    work = tempfile.mkdtemp(prefix=f"herald-related-{n}-")
    src = os.path.join(work, "articles.jsonl")
    corpus = ["--corpus", args.corpus] if args.corpus else []
    subprocess.run([sys.executable, os.path.join(HERE, "synth.py"), str(n), src] + corpus, check=True)
    data = os.path.join(work, "data")
    t = time.time()
    subprocess.run([BIN, "import", src, "--data-dir", data], check=True, stderr=subprocess.DEVNULL,
                   env=dict(os.environ, RUST_LOG="warn"))
    import_s = time.time() - t
    t = time.time()
    log = []
    proc, base = harness.start(BIN, import_examples=False, data=data, log=log)
    try:
        wait_ready(base)
        ready_s = time.time() - t
        time.sleep(0.2)  # the log line follows readiness closely
        built = next((re.search(r"elapsed_ms\W+(\d+)", l) for l in log if "related index built" in l), None)
        build_s = int(built.group(1)) / 1000 if built else float("nan")
        lists_s = wait_lists(base)
        rss = mem_mb(proc.pid, "VmRSS")
        lua = os.path.join(work, "ids.lua")
        with open(lua, "w") as f:
            f.write("local i = 0\nrequest = function()\n  i = (i * 7919 + 17) %% %d\n"
                    "  return wrk.format('GET', string.format('/api/articles/syn-%%07d/related', i))\nend\n" % n)
        p50, p99, reqs, errors = wrk(base, lua)
        h50, h99, _, herrors = wrk(base + "/healthz")
        peak = mem_mb(proc.pid, "VmHWM")
        rows.append((n, import_s, ready_s, build_s, lists_s, rss, peak, p50, p99, reqs, errors, h50, h99,
                     ms(p99) / ms(h99), herrors))
    finally:
        harness.stop(proc)
        shutil.rmtree(work, ignore_errors=True)

print("\nRelated stories (synthesised articles; see bench/synth.py)")
print(f"{'articles':>9} {'import s':>9} {'start→ready s':>14} {'build s':>8} {'lists s':>8} {'RSS ready MB':>13} "
      f"{'RSS peak MB':>12} {'p50':>9} {'p99':>9} {'calls/s':>8} {'errors':>6} "
      f"{'healthz p50':>12} {'healthz p99':>12} {'p99 / healthz p99':>18}")
for n, imp, ready, build, lists, rss, peak, p50, p99, reqs, errs, h50, h99, ratio, herrs in rows:
    print(f"{n:>9} {imp:>9.1f} {ready:>14.1f} {build:>8.2f} {lists:>8.1f} {rss:>13.0f} {peak:>12.0f} {p50:>9} {p99:>9} "
          f"{reqs:>8} {errs:>6} {h50:>12} {h99:>12} {ratio:>18.2f}" + ("" if herrs == "0" else f" ({herrs} healthz errors)"))
