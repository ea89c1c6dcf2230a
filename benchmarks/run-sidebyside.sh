#!/usr/bin/env bash
# Side-by-side performance harness (issue 8): loopbridge (both engines) against Netty, a single-thread
# ThreadPoolExecutor, virtual threads and CPython asyncio, each run as its own process.
#   benchmarks/run-sidebyside.sh [--rounds N] [--quick] [--full] [--hog] [--workloads W1,W2] [--systems a,b] [--jvm-arg=-Xmx1g]
#     [--w7-producers 1,2,4] [--w7-loops 1,2,4] [--w7-inflight 64]
# See benchmarks/SIDE_BY_SIDE.md.
set -euo pipefail
cd "$(dirname "$0")/.."

source benchmarks/harness.sh
find_jdk25 run-sidebyside

# Peak RSS comes from GNU time's -v report (Debian package "time"; the shell's time keyword has no -v).
if [ ! -x /usr/bin/time ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends time >/dev/null
fi
command -v python3 >/dev/null || { echo "run-sidebyside: python3 is needed (CPython asyncio peer, runner)" >&2; exit 1; }

# Build loop-core and the harness (package: the modules' test jars are part of the reactor's class path) and write
# the harness's runtime classpath (no install).
build_classpath run-sidebyside benchmarks target/sidebyside.classpath
CLASSPATH_FILE=benchmarks/target/sidebyside.classpath

exec python3 benchmarks/python/sidebyside.py --java "$JAVA" \
  --classpath "benchmarks/target/classes:$(cat "$CLASSPATH_FILE")" "$@"
