#!/usr/bin/env bash
# One command for Herald's performance benchmark: installs wrk, nginx and Varnish (Debian),
# builds the release binary, runs bench/perf.py (everything on 127.0.0.1, bounded),
# prints a table and writes bench/RESULTS.md. Needs ../shared/corpus for its data.
# Options are passed on to bench/perf.py: --quick, --sizes 10000,100000,
# --parts feeds,edge (see bench/perf.py).
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || need+=(nginx)
command -v taskset >/dev/null || need+=(util-linux)
command -v varnishd >/dev/null || need+=(varnish varnish-modules)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
python3 -m pip install --quiet --disable-pip-version-check feedparser
cargo build --release --quiet
cargo build --release --quiet --example hyper_static
cargo bench --no-run --quiet --bench render
exec python3 bench/perf.py "$@"
