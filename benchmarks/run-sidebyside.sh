#!/usr/bin/env bash
# Side-by-side performance harness (issue 8): loopbridge (both engines) against Netty, a single-thread
# ThreadPoolExecutor, virtual threads and CPython asyncio, each run as its own process.
#   benchmarks/run-sidebyside.sh [--rounds N] [--quick] [--full] [--workloads W1,W2] [--systems a,b] [--jvm-arg=-Xmx1g]
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

# Compile loop-core and the harness, and write the harness's runtime classpath (no install: nothing
# goes to ~/.m2 but downloaded dependencies).
mvn -B -q -pl benchmarks -am compile \
  org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
  -Dmdep.outputFile=target/sidebyside.classpath -Dmdep.includeScope=runtime
CLASSPATH_FILE=benchmarks/target/sidebyside.classpath

exec python3 benchmarks/python/sidebyside.py --java "$JAVA" \
  --classpath "benchmarks/target/classes:$(cat "$CLASSPATH_FILE")" "$@"
