"""Shared by the interop checks: start the Herald binary on a free port."""
import os, subprocess, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples/articles.jsonl")


def start(binary, env=None, import_examples=True):
    """Runs `herald serve` over a new temporary store; returns (process, base URL)."""
    data = tempfile.mkdtemp(prefix="herald-interop-")
    full_env = dict(os.environ, RUST_LOG="info", **(env or {}))
    full_env.pop("HERALD_CONFIG", None)
    args = [os.path.abspath(binary), "serve", "--listen", "127.0.0.1:0", "--data-dir", data]
    if import_examples:
        args += ["--import", EXAMPLES]
    proc = subprocess.Popen(args, cwd=ROOT, env=full_env, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if "addr=" in line:
            return proc, "http://" + line.split("addr=")[1].split()[0]
    raise SystemExit("herald exited before listening")


def stop(proc):
    proc.terminate()
    proc.wait(timeout=20)
