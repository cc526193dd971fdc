#!/usr/bin/env python3
"""Herald's performance benchmark, side by side with nginx. Run it with bench/run.sh.

Everything runs on 127.0.0.1 with bounded durations. Data: bench/synth.py (corpus
rows with new ids, shifted dates, rotated sentences). Prints one table and writes
bench/RESULTS.md. `--quick` shortens every run (for a smoke test).
"""
import argparse, datetime, json, os, platform, re, resource, shutil, subprocess, sys, threading, time
import urllib.request

import downstream  # noqa: E402
from common import (BIN, CONFIG, HERE, TOKEN, WORK, get, harness, medians, ms, on_cpu, put, record,
                    results, section, start_nginx, wrk)

p = argparse.ArgumentParser()
p.add_argument("--quick", action="store_true")
p.add_argument("--sizes", default="10000,100000,1000000")
ALL_PARTS = "feeds,mixed,render,ingest,deltas,edge,fanout,growth"
p.add_argument("--parts", default=ALL_PARTS,
               help="which parts to run (comma-separated); RESULTS.md is written only for a full run")
args = p.parse_args()
CONFIG["dur"] = 2 if args.quick else 5


def synth(n):
    path = os.path.join(WORK, f"syn{n}.jsonl")
    if not os.path.exists(path):
        subprocess.run([sys.executable, os.path.join(HERE, "synth.py"), str(n), path], check=True)
    return path


def import_store(n):
    data = os.path.join(WORK, f"data{n}")
    if not os.path.exists(data):
        src = synth(n)  # before the clock starts: synthesis is not import
        t = time.time()
        subprocess.run([BIN, "import", src, "--data-dir", data], check=True,
                       stderr=subprocess.DEVNULL, env=dict(os.environ, RUST_LOG="warn"))
        return data, time.time() - t
    return data, None


def start_hyper(root, cpu=None):
    """examples/hyper_static: hyper alone, serving the same files (see its header)."""
    binary = os.path.join(harness.ROOT, "target/release/examples/hyper_static")
    proc = subprocess.Popen(on_cpu(cpu) + [binary, "127.0.0.1:0", root], stdout=subprocess.PIPE, text=True)
    return proc, "http://" + proc.stdout.readline().split()[-1]


# Where the servers and wrk run. With all of them free to use both cores, each
# server's figure depended on how its connections happened to split between its
# workers (nginx's own split 35/3 in one run and 19/19 in the next, at 81k and 112k
# req/s) and on how the scheduler shared the cores with wrk: the same build varied by
# a third between runs. With the server on one core and wrk on the other, the figure
# is the server's work per request; the goal is judged there, and the shared
# placement is shown too, from one round.
# Even so, one wrk run's p99 is mostly this machine's noise (nginx's own ranged from
# 0.64 to 6.7 ms for the same bytes), and req/s varies from one run to the next
# (plain responses most: nginx's from 30k to 36k req/s across full runs, as 155 KB
# copies make them bound by memory bandwidth). So Herald and nginx alternate for five
# rounds and the verdict takes the medians; every run's p99 is printed beside them.
# Hyper alone runs once per case, in the judged placement only, for context.
# (name, server CPU, wrk CPU, rounds, seconds per run): 78 runs, about 3.5 minutes,
# to keep the whole under 10 minutes.
PLACEMENTS = [("one core each", 0, 1, 5, 3), ("sharing both cores", None, None, 1, 2)] \
    if (os.cpu_count() or 1) >= 2 else [("sharing both cores", None, None, 5, 3)]
if args.quick:
    PLACEMENTS = [(name, s, w, rounds, 1) for name, s, w, rounds, _ in PLACEMENTS]


def publish(base, root):
    """Writes Herald's cached feeds and their gzip forms under `root` for nginx and
    hyper_static; returns Herald's ETag of each."""
    etags = {}
    for fmt in ["rss.xml", "atom.xml"]:
        path = f"/feeds/category/kinh-te/{fmt}"
        _, h, body = get(base + path)
        # The compressed forms follow a render by a few milliseconds; wait for them.
        for _ in range(500):
            _, gh, gz = get(base + path, {"Accept-Encoding": "gzip"})
            if {k.lower(): v for k, v in gh.items()}.get("content-encoding") == "gzip":
                break
            time.sleep(0.01)
        else:
            raise SystemExit("herald never served the gzip form")
        with open(os.path.join(root, fmt), "wb") as f:
            f.write(body)
        with open(os.path.join(root, fmt + ".gz"), "wb") as f:
            f.write(gz)
        for name in (fmt, fmt + ".gz"):
            os.chmod(os.path.join(root, name), 0o644)
        etags[fmt] = h["etag"]
    return etags


def feed_serving(data):
    section("1. Feed serving: cached 50-item category feed, wrk -t2 -c32, Herald vs nginx and hyper alone (same bytes)")
    root = os.path.join(WORK, "www")
    os.makedirs(root, exist_ok=True)
    os.chmod(WORK, 0o755)  # nginx's workers run unprivileged
    for placement, server_cpu, wrk_cpu, rounds, dur in PLACEMENTS:
        judged = placement == PLACEMENTS[0][0]
        print(f"  -- {placement}" + (f": servers on CPU {server_cpu}, wrk on CPU {wrk_cpu}" if server_cpu is not None else ""))
        # Each server starts on the cores it is given and sizes its workers to them,
        # as on a machine of that size. (Herald re-pinned after starting ran two
        # workers on one core, and its p99 was that of the scheduler's time slices:
        # 6.5-8 ms against 1.3-6 ms started on the core, at the same req/s.)
        herald, base = harness.start(BIN, {"HERALD_API_TOKENS": TOKEN}, import_examples=False, data=data,
                                     prefix=on_cpu(server_cpu))
        try:
            etags = publish(base, root)
            nginx, nbase = start_nginx(root, server_cpu)
            hyper, ybase = start_hyper(root, server_cpu)
            try:
                for fmt in ["rss.xml", "atom.xml"]:
                    path = f"/feeds/category/kinh-te/{fmt}"
                    _, _, body = get(base + path)
                    nstatus, nh, nbody = get(f"{nbase}/{fmt}")
                    assert nstatus == 200 and nbody == body, f"nginx answered {nstatus}: {open(WORK + '/nginx-error.log').read()}"
                    nh = {k.lower(): v for k, v in nh.items()}
                    ystatus, yh, ybody = get(f"{ybase}/{fmt}")
                    assert ystatus == 200 and ybody == body, f"hyper_static answered {ystatus}"
                    yh = {k.lower(): v for k, v in yh.items()}
                    cases = [("plain", [], [], []),
                             ("gzip", ["Accept-Encoding: gzip"], ["Accept-Encoding: gzip"], ["Accept-Encoding: gzip"]),
                             ("304", [f"If-None-Match: {etags[fmt]}"], [f"If-None-Match: {nh['etag']}"],
                              [f"If-None-Match: {yh['etag']}"])]
                    for name, hh, nh_headers, yh_headers in cases:
                        # Herald and nginx alternate, so drift in this machine's speed
                        # (tens of percent within a minute) falls on both.
                        h_runs, n_runs = [], []
                        for _ in range(rounds):
                            h_runs.append(wrk(base + path, headers=hh, cpu=wrk_cpu, dur=dur))
                            n_runs.append(wrk(f"{nbase}/{fmt}", headers=nh_headers, cpu=wrk_cpu, dur=dur))
                        h_rps, h50, h99, h99s = medians(h_runs)
                        n_rps, n50, n99, n99s = medians(n_runs)
                        herr, nerr = sum(r[3] for r in h_runs), sum(r[3] for r in n_runs)
                        ratio = h_rps / n_rps
                        p99_ratio = ms(h99) / ms(n99) if ms(n99) > 0 else float("nan")
                        verdict = ("ok" if ratio >= 0.9 and p99_ratio <= 2 and herr == 0 else "below goal") \
                            if judged else "not judged"
                        of = f"median of {rounds}, " if rounds > 1 else ""
                        record("feeds", f"{fmt} {name}, {placement}: req/s (p50, p99{'; p99 of each run' if rounds > 1 else ''})",
                               f"{h_rps:,.0f} ({h50}, {h99}{h99s})", f"nginx {n_rps:,.0f} ({n50}, {n99}{n99s})",
                               f"{of}{ratio:.2f}x req/s, {p99_ratio:.1f}x p99, errors {herr}/{nerr}: {verdict}")
                        if judged:
                            y_rps, y50, y99, yerr = wrk(f"{ybase}/{fmt}", headers=yh_headers, cpu=wrk_cpu, dur=dur)
                            record("feeds", f"{fmt} {name}, {placement}: hyper alone (examples/hyper_static), one run",
                                   f"{y_rps:,.0f} ({y50}, {y99})", f"nginx {n_rps:,.0f}",
                                   f"hyper/nginx {y_rps / n_rps:.2f}x, Herald/hyper {h_rps / y_rps:.2f}x, errors {yerr}")
            finally:
                for proc in (hyper, nginx):
                    proc.terminate()
                    proc.wait()
        finally:
            harness.stop(herald)


def render_time(articles):
    section("2. Render after invalidation (cargo bench --bench render)")
    out = subprocess.run(["cargo", "bench", "-q", "--bench", "render", "--", articles], cwd=harness.ROOT,
                         capture_output=True, text=True, check=True).stdout
    pattern = (r"\s+(\S+)\s+servable p50\s+([\d.]+) ms p99\s+([\d.]+) ms; with gzip and br "
               r"p50\s+([\d.]+) ms p99\s+([\d.]+) ms\s+\((.*)\)")
    for line in out.splitlines():
        m = re.match(pattern, line)
        if m:
            verdict = "ok" if float(m.group(2)) <= 1.0 else "above the 1 ms goal"
            record("render", f"{m.group(1)} re-render after a write, servable (identity)",
                   f"p50 {m.group(2)} ms, p99 {m.group(3)} ms", m.group(6)[:24], verdict)
            record("render", f"{m.group(1)} + gzip and br (background)",
                   f"p50 {m.group(4)} ms, p99 {m.group(5)} ms", "", "")
        m = re.match(r"\s+(\S+)\s+cold p50\s+([\d.]+) ms p99\s+([\d.]+) ms", line)
        if m:
            record("render", f"{m.group(1)} cold render (no item views kept, as after a start)",
                   f"p50 {m.group(2)} ms, p99 {m.group(3)} ms", "", "not judged")


def conditional_lua():
    """A wrk script that revalidates with the last ETag it saw, as feed readers do."""
    lua = os.path.join(WORK, "conditional.lua")
    with open(lua, "w") as f:
        f.write("local etag = nil\nrequest = function()\n  local h = {}\n  if etag then h['If-None-Match'] = etag end\n"
                "  return wrk.format('GET', nil, h)\nend\nresponse = function(status, headers, body)\n"
                "  if headers['ETag'] or headers['etag'] then etag = headers['ETag'] or headers['etag'] end\nend\n")
    return lua


def mixed_load(base, conns):
    section(f"3. Mixed load: one writer PUTs 20/s into kinh-te, {conns} keep-alive readers poll its feed "
            "with conditional GET")
    lua = conditional_lua()
    stop, stale, writes = threading.Event(), [0], [0]

    def writer():
        i = 0
        while not stop.is_set():
            aid = f"mixed-{conns}-{i}"
            put(base, {"id": aid, "url": f"https://news.example.vn/{aid}", "title": f"Tin mới {i}",
                       "category": "kinh-te", "published": datetime.datetime.now(datetime.timezone.utc).isoformat()})
            _, _, body = get(base + "/feeds/category/kinh-te/rss.xml")
            if f":article:{aid}<".encode() not in body:
                stale[0] += 1
            writes[0] += 1
            i += 1
            time.sleep(0.05)

    t = threading.Thread(target=writer)
    t.start()
    try:
        rps, p50, p99, errors = wrk(base + "/feeds/category/kinh-te/rss.xml", conns=conns, script=lua)
    finally:
        stop.set()
        t.join()
    record("mixed", f"{conns} readers: req/s (p50, p99), errors", f"{rps:,.0f} ({p50}, {p99}), {errors}", "",
           "ok" if errors == 0 else "errors")
    record("mixed", f"{conns} readers: writes; reads right after a write that missed it",
           f"{writes[0]}; {stale[0]}", "",
           "ok" if stale[0] == 0 else "stale reads")


def ingest():
    section("4. Ingest")
    n = 100_000
    data, secs = import_store(n)
    size = subprocess.run(["du", "-sb", data], capture_output=True, text=True).stdout.split()[0]
    record("ingest", f"herald import {n:,} articles (durable at exit)", f"{n / secs:,.0f} articles/s",
           f"{secs:.1f} s", "ok" if n / secs >= 20000 else "below 20,000/s")
    proc, base = harness.start(BIN, {"HERALD_API_TOKENS": TOKEN}, import_examples=False,
                               data=os.path.join(WORK, "data-put"))
    try:
        body = json.dumps({"url": "https://news.example.vn/x", "title": "Bài viết thử tốc độ ghi",
                           "category": "xa-hoi", "published": "2024-12-06T09:00:00+07:00",
                           "content_html": "<p>" + "Nội dung bài viết. " * 100 + "</p>"})
        lua = os.path.join(WORK, "put.lua")
        with open(lua, "w") as f:
            f.write(f"local n = 0\nwrk.method = 'PUT'\nwrk.body = {json.dumps(body)}\n"
                    f"wrk.headers['Authorization'] = 'Bearer {TOKEN}'\nrequest = function()\n  n = n + 1\n"
                    "  return wrk.format(nil, string.format('/api/articles/w%d-%d', math.random(1, 1000000000), n))\nend\n")
        for c in [1, 8, 64]:
            rps, p50, p99, errors = wrk(base + "/", conns=c, threads=min(c, 2), script=lua)
            record("ingest", f"durable PUT, {c} concurrent writers", f"{rps:,.0f}/s (p50 {p50}, p99 {p99})",
                   "", f"errors {errors}")
    finally:
        harness.stop(proc)
    return int(size)


def wait_for(url, deadline_s=120):
    """Polls `url` until it answers 200; returns when it did (time.time())."""
    end = time.time() + deadline_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return time.time()
        except Exception:
            pass
        if time.time() > end:
            raise SystemExit(f"bench: {url} never answered 200")
        time.sleep(0.01)


def months_of(jsonl):
    """Articles per month of publication (UTC) in a synthesised file."""
    counts = {}
    pattern = re.compile(rb'"published":\s*"(\d{4}-\d{2})')
    with open(jsonl, "rb") as f:
        for line in f:
            m = pattern.search(line)
            if m:
                month = m.group(1).decode()
                counts[month] = counts.get(month, 0) + 1
    return counts


def timed_start(data):
    """Starts Herald over `data`; returns the process, its base URL, and the seconds
    from the start to the first feed answered and to related stories ready."""
    t = time.time()
    proc, base = harness.start(BIN, {"HERALD_API_TOKENS": TOKEN}, import_examples=False, data=data)
    first_feed = wait_for(base + "/feeds/category/kinh-te/rss.xml") - t
    related = wait_for(base + "/readyz?require=related") - t
    return proc, base, first_feed, related


def wait_lists(base, deadline_s=1800):
    """Seconds until no article waits for its related list."""
    t = time.time()
    while time.time() < t + deadline_s:
        with urllib.request.urlopen(base + "/readyz", timeout=5) as r:
            if json.load(r).get("related_lists_waiting", 0) == 0:  # 0 for builds without lists
                return time.time() - t
        time.sleep(0.5)
    raise SystemExit(f"bench: {base}: the related lists were never all made")


def related_and_growth(sizes):
    section("5-6. Related stories and growth")
    lua = os.path.join(WORK, "related.lua")
    for n in sizes:
        data, secs = import_store(n)
        # Any open takes out term counts saved at a graceful stop: the first start
        # counts terms, as after an import or a crash; the restart after a graceful
        # stop uses the saved counts.
        subprocess.run([BIN, "check", "--data-dir", data], check=True, capture_output=True)
        proc, base, feed_first, ready = timed_start(data)
        harness.stop(proc)
        proc, base, feed_restart, restart = timed_start(data)
        months = months_of(synth(n))
        largest, count, ttfbs = downstream.sitemap_ttfb(base, months)
        for path, cold, cached, size in ttfbs:
            what = f"{path} ({count:,} articles, {size:,} bytes)" if path != "/sitemap.xml" \
                else f"/sitemap.xml ({len(months)} months, {size:,} bytes)"
            record("sitemaps", f"{n:,} articles: {what}: time to first byte, cold; cached (median of 5)",
                   f"{cold:.1f} ms; {cached:.1f} ms", "", "")
        record("restart", f"{n:,} articles: start→first feed answered; →related ready (counting; after graceful stop)",
               f"{feed_first:.2f} s, {ready:.1f} s; {feed_restart:.2f} s, {restart:.1f} s", "",
               "ok" if max(feed_first, feed_restart) <= 1 else "first feed later than 1 s")
        try:
            with open(lua, "w") as f:
                f.write("local i = 0\nrequest = function()\n  i = (i * 7919 + 17) %% %d\n"
                        "  return wrk.format('GET', string.format('/api/articles/syn-%%07d/related', i))\nend\n" % n)
            if n <= 100_000:
                # Answers come from related lists once the worker has made them, after
                # each start (see docs/related.md); until then, from the full query.
                lists = wait_lists(base)
                # #18's targets: p99 at most 2 ms, and at most twice the /healthz round
                # trip of the same moment; each judged on the median of three runs
                # (related and /healthz alternating), as one run's p99 is mostly this
                # machine's noise (0.76 to 13.5 ms at 10,000 articles, p50 near 0.3 ms).
                runs, hruns = [], []
                for _ in range(3):
                    runs.append(wrk(base, conns=1, threads=1, script=lua, dur=3))
                    hruns.append(wrk(base + "/healthz", conns=1, threads=1, dur=3))
                rps, p50, p99, p99s = medians(runs)
                _, h50, h99, _ = medians(hruns)
                errors = sum(r[3] for r in runs)
                ratio = ms(p99) / ms(h99)
                record("related", f"related at {n:,}: p50, p99 (1 connection; p99 of each run); /healthz p50, p99",
                       f"{p50}, {p99}{p99s}; {h50}, {h99}", f"{rps:,.0f} calls/s, lists made in {lists:.0f} s",
                       f"median of {len(runs)}, errors {errors}, p99 {ratio:.1f}x /healthz: "
                       + ("ok" if ms(p99) <= 2 and ratio <= 2 and errors == 0 else "above 2 ms or 2x /healthz"))
            frps, f50, f99, ferr = wrk(base + "/feeds/category/kinh-te/rss.xml", script=conditional_lua())
            status = open(f"/proc/{proc.pid}/status").read()
            peak = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024
            size = int(subprocess.run(["du", "-sb", data], capture_output=True, text=True).stdout.split()[0]) / 2**20
            record("growth", f"{n:,} articles: peak RSS, start→related ready (counting; after graceful stop), disk",
                   f"{peak:,.0f} MB, {ready:.1f} s; {restart:.1f} s, {size:,.0f} MiB",
                   f"feed revalidation {frps:,.0f} req/s, p99 {f99}",
                   "" if n < 1_000_000 else ("ok" if peak <= 1000 and ready <= 30 else "above the 1 GB / 30 s goal"))
        finally:
            harness.stop(proc)


def deltas():
    section("7. Feed deltas (RFC 3229), with Python feedparser as the client")
    out = subprocess.run([sys.executable, os.path.join(harness.ROOT, "tests/interop/feedparser_delta.py"), BIN, "50"],
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"whole feeds ([\d,]+) bytes, deltas ([\d,]+) bytes", out)
    whole, delta = (int(g.replace(",", "")) for g in m.groups())
    record("deltas", "feedparser, 50 polls, one new article between polls: bytes downloaded",
           f"{delta:,} with deltas", f"{whole:,} whole feeds", f"{delta / whole:.1%}")


# Disk per article at the largest size: its JSON Lines (about 1.3 KB) and its share
# of the store (about 2.4 KB), as measured at 1,000,000 articles.
DISK_PER_ARTICLE = 4_000


def main():
    try:
        run()
    finally:
        # Also after a failure: a 1,000,000-article run leaves gigabytes here.
        shutil.rmtree(WORK, ignore_errors=True)


def run():
    print(f"Herald benchmark, {datetime.date.today()}, data synthesised by bench/synth.py from ../shared/corpus")
    sizes = [int(s) for s in args.sizes.split(",")]
    parts = set(args.parts.split(","))
    # Fail now, not after minutes of measuring, when the largest store cannot fit.
    need, free = max(sizes) * DISK_PER_ARTICLE, shutil.disk_usage(WORK).free
    if "growth" in parts and free < need:
        sys.exit(f"bench: {max(sizes):,} articles need about {need / 1e9:.1f} GB free under {WORK}, "
                 f"and {free / 1e9:.1f} GB is; free some, or pass --sizes 10000,100000")
    # 1,000 connections need more descriptors than the usual soft limit of 1024, in
    # wrk and in Herald, which inherit it from here.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    articles = synth(10_000)
    data, _ = import_store(10_000)
    if "feeds" in parts:
        feed_serving(data)
    if "mixed" in parts:
        proc, base = harness.start(BIN, {"HERALD_API_TOKENS": TOKEN}, import_examples=False, data=data)
        try:
            for conns in (32, 1000):
                mixed_load(base, conns)
        finally:
            harness.stop(proc)
    if "render" in parts:
        render_time(articles)
    if "ingest" in parts:
        ingest()
    if "deltas" in parts:
        deltas()
    if "edge" in parts:
        downstream.edge_freshness(data, writes=50 if args.quick else 200)
        downstream.varnish_serving(data, rounds=1 if args.quick else 3)
    if "fanout" in parts:
        downstream.fanout(data)
    if "growth" in parts:
        related_and_growth(sizes)
    if parts == set(ALL_PARTS.split(",")) and not args.quick:
        write_results()


def write_results():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    lines = ["# Benchmark results", "",
             f"Measured {datetime.date.today()} with `bench/run.sh` on {os.cpu_count()} cores of \"{cpu}\", "
             f"{platform.system()} {platform.release()}. Data synthesised by `bench/synth.py` from `../shared/corpus` "
             "(new ids, shifted dates, rotated sentences). wrk and nginx from Debian; everything on 127.0.0.1.", "",
             "| part | measure | Herald | reference | verdict |", "|---|---|---|---|---|"]
    for sec, name, value, ref, note in results:
        lines.append(f"| {sec} | {name} | {value} | {ref} | {note} |")
    with open(os.path.join(HERE, "RESULTS.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\nwrote bench/RESULTS.md")


main()
