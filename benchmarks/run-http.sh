#!/usr/bin/env bash
# HTTP side-by-side harness (issue 15, 6a/6c): GET /sleep?ms=N on the loopbridge demo, plain Netty, a Vert.x
# virtual-thread verticle and CPython asyncio, each with 2 event loops, measured with wrk in one run.
#   benchmarks/run-http.sh [--quick] [--rounds N] [--hog] [--rows ms=0,ms=1,ms=10] [--servers demo,netty,...]
#                          [--server 'LABEL=COMMAND with {port}'] [--baseline netty,vertx-vt] [--duration S]
# Markdown table on stdout, JSON in benchmarks/results/. See benchmarks/README.md ("HTTP side by side").
set -euo pipefail
cd "$(dirname "$0")/.."

# Like the build, find JDK 25 without JAVA_HOME.
unset JAVA_HOME
JAVA=""
for release in /usr/lib/jvm/*/release; do
  if grep -q '^JAVA_VERSION="25' "$release" 2>/dev/null; then
    JAVA="$(dirname "$release")/bin/java"
    break
  fi
done
if [ ! -x "$JAVA" ]; then
  echo "run-http: no JDK 25 found under /usr/lib/jvm (looked for JAVA_VERSION=\"25 in */release)" >&2
  exit 1
fi
command -v python3 >/dev/null || { echo "run-http: python3 is needed (runner, CPython asyncio peer)" >&2; exit 1; }
if ! command -v wrk >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi

# 1,000 connections per run: raise the open-file limit to the hard one (wrk and the servers inherit it).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# Build the demo's jar and the peers' classes, and write the peers' runtime classpath (no install). Quiet
# unless it fails (Maven 3.8 writes colour resets even with -B), so stdout is the table alone.
build_log="$(mktemp)"
if ! mvn -B -q -Dstyle.color=never -pl benchmarks,demo-server -am package -DskipTests \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -Dmdep.outputFile=target/http.classpath -Dmdep.includeScope=runtime >"$build_log" 2>&1; then
  sed 's/\x1b\[[0-9;]*m//g' "$build_log" >&2
  rm -f "$build_log"
  echo "run-http: the build failed (output above)" >&2
  exit 1
fi
rm -f "$build_log"
CLASSPATH_FILE=benchmarks/target/http.classpath

exec python3 benchmarks/python/httpbench.py --java "$JAVA" \
  --classpath "benchmarks/target/classes:$(cat "$CLASSPATH_FILE")" "$@"
