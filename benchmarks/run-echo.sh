#!/usr/bin/env bash
# Streams echo side-by-side harness (issue 15, 6b): loopbridge's asyncio streams, a plain Netty echo handler and
# CPython asyncio streams, 2 event loops each; 64 connections × 1 KiB ping-pong and one 1 GiB transfer.
#   benchmarks/run-echo.sh [--quick] [--rounds N] [--hog] [--rows pingpong,transfer] [--servers loopbridge,netty,asyncio]
# Markdown table on stdout, JSON in benchmarks/results/. See benchmarks/README.md ("Streams echo side by side").
set -euo pipefail
cd "$(dirname "$0")/.."

source benchmarks/harness.sh
find_jdk25 run-echo
build_classpath run-echo benchmarks target/echo.classpath

exec python3 benchmarks/python/echobench.py --java "$JAVA" \
  --classpath "benchmarks/target/classes:$(cat benchmarks/target/echo.classpath)" "$@"
