"""Real Varnish (Debian's varnish and varnish-modules, for xkey) for the interop
checks: started in the foreground with the shipped deploy/varnish/herald.vcl, its
backend and purge ACL pointed at a Herald on loopback."""
import http.client, os, re, shutil, signal, subprocess, time

import harness

VARNISHD = shutil.which("varnishd") or "/usr/sbin/varnishd"
VCL = os.path.join(harness.ROOT, "deploy", "varnish", "herald.vcl")


def render_vcl(backend_port):
    """The shipped VCL, its backend and purgers moved to 127.0.0.1."""
    vcl = open(VCL).read()
    for marker, line in [("HERALD_BACKEND_HOST", '    .host = "127.0.0.1";'),
                         ("HERALD_BACKEND_PORT", f'    .port = "{backend_port}";'),
                         ("HERALD_PURGERS", '    "127.0.0.1";')]:
        vcl, n = re.subn(rf"^.*# {marker}$", line, vcl, flags=re.M)
        assert n == 1, f"{marker} not found in {VCL}"
    return vcl


class Varnish:
    def __init__(self, backend_port, workdir, port=None):
        self.port = port or harness.free_port()
        self.workdir = workdir
        self.vcl = os.path.join(workdir, "herald.vcl")
        with open(self.vcl, "w") as f:
            f.write(render_vcl(backend_port))
        self.proc = None

    def start(self, timeout=30):
        """Starts varnishd (as root, -j none keeps it from switching users) and waits
        until it answers: a PURGE without keys is answered 400 by the VCL itself."""
        log = open(os.path.join(self.workdir, "varnishd.log"), "a")
        self.proc = subprocess.Popen(
            [VARNISHD, "-F", "-n", os.path.join(self.workdir, "n"), "-a", f"127.0.0.1:{self.port}",
             "-T", "none", "-f", self.vcl, "-s", "malloc,64m", "-j", "none",
             "-p", "thread_pools=1", "-p", "thread_pool_min=10", "-p", "vsl_space=16M"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("varnishd exited: " + open(log.name).read()[-2000:])
            try:
                if self.request("PURGE", "/")[0] == 400:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise SystemExit("varnishd never answered")

    def request(self, method, path, headers=None):
        """One request on a fresh connection: (status, headers, body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, headers=headers or {})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
