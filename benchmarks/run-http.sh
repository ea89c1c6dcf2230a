#!/usr/bin/env bash
# HTTP side-by-side harness (issue 15, 6a/6c): GET /sleep?ms=N on the loopbridge demo, plain Netty, a Vert.x
# virtual-thread verticle and CPython asyncio, each with 2 event loops, measured with wrk in one run.
#   benchmarks/run-http.sh [--quick] [--rounds N] [--hog] [--rows ms=0,ms=1,ms=10] [--servers demo,netty,...]
#                          [--server 'LABEL=COMMAND with {port}'] [--baseline netty,vertx-vt] [--duration S]
# Markdown table on stdout, JSON in benchmarks/results/. See benchmarks/README.md ("HTTP side by side").
set -euo pipefail
cd "$(dirname "$0")/.."

source benchmarks/harness.sh
find_jdk25 run-http
command -v python3 >/dev/null || { echo "run-http: python3 is needed (runner, CPython asyncio peer)" >&2; exit 1; }
if ! command -v wrk >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi

# 1,000 connections per run: raise the open-file limit to the hard one (wrk and the servers inherit it).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# Build the demo's jar and the peers' classes, and write the peers' runtime classpath.
build_classpath run-http benchmarks,demo-server target/http.classpath
CLASSPATH_FILE=benchmarks/target/http.classpath

exec python3 benchmarks/python/httpbench.py --java "$JAVA" \
  --classpath "benchmarks/target/classes:$(cat "$CLASSPATH_FILE")" "$@"
