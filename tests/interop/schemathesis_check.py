"""Third-party fuzzing: schemathesis generates requests from /openapi.json against
the release binary (with the example articles and a write token) and checks that
no answer is a 5xx or breaks the documented status codes, content types and
schemas. Bounded by --max-examples per operation and a fixed seed.

usage: python3 tests/interop/schemathesis_check.py target/release/herald [max-examples]
"""
import subprocess, sys

import harness

TOKEN = "schemathesis-token"
CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "unsupported_method",
    "ignored_auth",
])


def main():
    binary = sys.argv[1]
    examples = sys.argv[2] if len(sys.argv) > 2 else "100"
    proc, base = harness.start(binary, env={"HERALD_API_TOKENS": TOKEN})
    try:
        code = subprocess.call([
            "schemathesis", "run", f"{base}/openapi.json",
            "--checks", CHECKS,
            "--max-examples", examples,
            "--seed", "20261128",
            "--phases", "examples,coverage,fuzzing",
            "--header", f"Authorization: Bearer {TOKEN}",
            "--request-timeout", "10",
            "--workers", "2",
            "--warnings", "off",
        ])
        alive = proc.poll() is None
    finally:
        harness.stop(proc)
    if not alive:
        raise SystemExit("herald died during the run")
    raise SystemExit(code)


if __name__ == "__main__":
    main()
