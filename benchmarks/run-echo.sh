#!/usr/bin/env bash
# Streams echo side-by-side harness (issue 15, 6b): loopbridge's asyncio streams, a plain Netty echo handler and
# CPython asyncio streams, 2 event loops each; 64 connections × 1 KiB ping-pong and one 1 GiB transfer.
#   benchmarks/run-echo.sh [--quick] [--rounds N] [--hog] [--rows pingpong,transfer] [--servers loopbridge,netty,asyncio]
# Markdown table on stdout, JSON in benchmarks/results/. See benchmarks/README.md ("Streams echo side by side").
set -euo pipefail
cd "$(dirname "$0")/.."

unset JAVA_HOME
JAVA=""
for release in /usr/lib/jvm/*/release; do
  if grep -q '^JAVA_VERSION="25' "$release" 2>/dev/null; then
    JAVA="$(dirname "$release")/bin/java"
    break
  fi
done
if [ ! -x "$JAVA" ]; then
  echo "run-echo: no JDK 25 found under /usr/lib/jvm (looked for JAVA_VERSION=\"25 in */release)" >&2
  exit 1
fi

build_log="$(mktemp)"
if ! mvn -B -q -Dstyle.color=never -pl benchmarks -am package -DskipTests \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -Dmdep.outputFile=target/echo.classpath -Dmdep.includeScope=runtime >"$build_log" 2>&1; then
  sed 's/\x1b\[[0-9;]*m//g' "$build_log" >&2
  rm -f "$build_log"
  echo "run-echo: the build failed (output above)" >&2
  exit 1
fi
rm -f "$build_log"

exec python3 benchmarks/python/echobench.py --java "$JAVA" \
  --classpath "benchmarks/target/classes:$(cat benchmarks/target/echo.classpath)" "$@"
