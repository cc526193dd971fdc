#!/usr/bin/env python3
"""Runs the release binary the way the Docker image does, since no Docker engine is here.

Reads WORKDIR, COPY, ENV, ENTRYPOINT, CMD and HEALTHCHECK from the Dockerfile, lays
out a root with only the copied files, starts the entrypoint with exactly the image's
environment (plus a token), and checks that HEALTHCHECK passes, a write and a read
work, and SIGTERM stops it cleanly. Only the port and the /data path are moved into
a temporary directory.
"""
import json, os, re, shlex, signal, socket, subprocess, sys, tempfile, time, urllib.request

root_dir = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/herald")
lines = open(os.path.join(root_dir, "Dockerfile")).read().replace("\\\n", " ").splitlines()
stage = [l for l in lines[max(i for i, l in enumerate(lines) if l.startswith("FROM")):]]

def directive(name):
    return [l[len(name) + 1:].strip() for l in stage if l.startswith(name + " ")]

env = dict(kv.split("=", 1) for line in directive("ENV") for kv in shlex.split(line))
workdir = directive("WORKDIR")[-1]
entry = json.loads(directive("ENTRYPOINT")[-1])
cmd = json.loads(directive("CMD")[-1])
health = json.loads(directive("HEALTHCHECK")[-1].split("CMD", 1)[1])

# The build stage uses the Rust the crate declares.
rust_version = re.search(r'^rust-version = "([^"]+)"', open(os.path.join(root_dir, "Cargo.toml")).read(), re.M).group(1)
build_from = [l for l in lines if l.startswith("FROM rust:")]
assert build_from and build_from[0].split()[1].startswith(f"rust:{rust_version}-"), \
    f"Dockerfile builds with {build_from}, Cargo.toml says rust-version {rust_version}"

tmp = tempfile.mkdtemp(prefix="herald-image-")
def inside(path):
    return os.path.join(tmp, path.lstrip("/"))

# Only what the runtime stage copies exists in the fake root.
for line in directive("COPY"):
    parts = [p for p in shlex.split(line) if not p.startswith("--")]
    src, dst = parts[0], parts[1]
    src_path = binary if "--from=builder" in line else os.path.join(root_dir, src)
    os.makedirs(os.path.dirname(inside(dst)), exist_ok=True)
    subprocess.run(["cp", src_path, inside(dst)], check=True)
bin_dir = inside("/usr/local/bin")
assert os.path.exists(os.path.join(bin_dir, "herald")), "Dockerfile must copy herald to /usr/local/bin"

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
host, _ = env["HERALD_LISTEN"].rsplit(":", 1)
env["HERALD_LISTEN"] = f"{host}:{port}"
env["HERALD_DATA_DIR"] = inside(env["HERALD_DATA_DIR"])
os.makedirs(env["HERALD_DATA_DIR"], exist_ok=True)
env["PATH"] = bin_dir
env["HERALD_API_TOKENS"] = "image-test-token"
cwd = inside(workdir)

proc = subprocess.Popen(entry + cmd, cwd=cwd, env=env, stderr=subprocess.PIPE, text=True)
base = f"http://127.0.0.1:{port}"
try:
    deadline = time.time() + 20
    while True:
        ok = subprocess.run(health, cwd=cwd, env=env, capture_output=True).returncode == 0
        if ok:
            break
        assert proc.poll() is None, f"herald exited: {proc.stderr.read()}"
        assert time.time() < deadline, "HEALTHCHECK never passed"
        time.sleep(0.2)
    article = {"id": "anh", "url": "https://news.example.vn/anh.html", "title": "Ảnh thử",
               "category": "thoi-su", "published": "2024-12-06T09:00:00+07:00"}
    req = urllib.request.Request(f"{base}/api/articles/anh", data=json.dumps(article).encode(),
                                 method="PUT", headers={"Authorization": "Bearer image-test-token"})
    assert urllib.request.urlopen(req).status == 201
    got = json.load(urllib.request.urlopen(f"{base}/api/articles/anh"))
    assert got["title"] == "Ảnh thử", got
    assert os.listdir(env["HERALD_DATA_DIR"]), "the store lives in the volume"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0, "SIGTERM must exit 0"
    print("container CMD check: 5 passed, 0 failed")
finally:
    if proc.poll() is None:
        proc.kill()
