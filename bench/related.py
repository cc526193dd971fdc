#!/usr/bin/env python3
"""Related-stories speed and memory at 10,000 and 100,000 articles.

    cargo build --release && python3 bench/related.py [SIZES...]

For each size: synthesise the articles (bench/synth.py says how), `herald import`
them, start `herald serve` and time it to ready (the related index is rebuilt from
sled on the way), read the process's RSS, then call the related endpoint for
random articles with wrk (1 connection, so each figure is one call's latency,
loopback HTTP included) and print p50 and p99.
"""
import os, re, shutil, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "interop"))
import harness  # noqa: E402

BIN = os.path.join(harness.ROOT, "target/release/herald")
sizes = [int(s) for s in sys.argv[1:]] or [10_000, 100_000]
if not shutil.which("wrk"):
    sys.exit("wrk is needed: apt-get install wrk")


def mem_mb(pid, key):
    status = open(f"/proc/{pid}/status").read()
    return int(re.search(key + r":\s+(\d+) kB", status).group(1)) / 1024


rows = []
for n in sizes:
    work = tempfile.mkdtemp(prefix=f"herald-related-{n}-")
    src = os.path.join(work, "articles.jsonl")
    subprocess.run([sys.executable, os.path.join(HERE, "synth.py"), str(n), src], check=True)
    data = os.path.join(work, "data")
    t = time.time()
    subprocess.run([BIN, "import", src, "--data-dir", data], check=True, stderr=subprocess.DEVNULL,
                   env=dict(os.environ, RUST_LOG="warn"))
    import_s = time.time() - t
    t = time.time()
    proc, base = harness.start(BIN, import_examples=False, data=data)
    ready_s = time.time() - t
    try:
        rss = mem_mb(proc.pid, "VmRSS")
        lua = os.path.join(work, "ids.lua")
        with open(lua, "w") as f:
            f.write("local i = 0\nrequest = function()\n  i = (i * 7919 + 17) %% %d\n"
                    "  return wrk.format('GET', string.format('/api/articles/syn-%%07d/related', i))\nend\n" % n)
        out = subprocess.run(["wrk", "-t1", "-c1", "-d10s", "--latency", "-s", lua, base],
                             capture_output=True, text=True, check=True).stdout
        lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
        reqs = re.search(r"Requests/sec:\s+(\S+)", out).group(1)
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        peak = mem_mb(proc.pid, "VmHWM")
        rows.append((n, import_s, ready_s, rss, peak, lat.get("50"), lat.get("99"), reqs, errors.group(1) if errors else "0"))
    finally:
        harness.stop(proc)
        shutil.rmtree(work, ignore_errors=True)

print("\nRelated stories (synthesised articles; see bench/synth.py)")
print(f"{'articles':>9} {'import s':>9} {'start→ready s':>14} {'RSS ready MB':>13} {'RSS peak MB':>12} "
      f"{'p50':>9} {'p99':>9} {'calls/s':>8} {'errors':>6}")
for n, imp, ready, rss, peak, p50, p99, reqs, errs in rows:
    print(f"{n:>9} {imp:>9.1f} {ready:>14.1f} {rss:>13.0f} {peak:>12.0f} {p50:>9} {p99:>9} {reqs:>8} {errs:>6}")
