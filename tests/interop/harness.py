"""Shared by the interop checks: start the Herald binary on a free port."""
import os, socket, subprocess, tempfile, threading

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples/articles.jsonl")


def free_port():
    """A port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary, env=None, import_examples=True, data=None, prefix=(), port=0, args=(), log=None):
    """Runs `herald serve` over `data` (default: a new temporary store) on `port`
    (default: any free one), after the command `prefix` (such as taskset) if any,
    with the extra `args` (such as --config FILE); returns (process, base URL). With a
    list as `log`, the server's log lines after the listening one go into it."""
    data = data or tempfile.mkdtemp(prefix="herald-interop-")
    full_env = dict(os.environ, RUST_LOG="info", **(env or {}))
    full_env.pop("HERALD_CONFIG", None)
    extra = list(args)
    args = list(prefix) + [os.path.abspath(binary), "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data] + extra
    if import_examples:
        args += ["--import", EXAMPLES]
    proc = subprocess.Popen(args, cwd=ROOT, env=full_env, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if "addr=" in line:
            # Keep reading the log, or a chatty server would block on a full pipe.
            threading.Thread(target=_drain, args=(proc.stderr, log), daemon=True).start()
            return proc, "http://" + line.split("addr=")[1].split()[0]
    raise SystemExit("herald exited before listening")


def _drain(stream, log):
    for line in stream:
        if log is not None:
            log.append(line)


def stop(proc):
    proc.terminate()
    proc.wait(timeout=20)
