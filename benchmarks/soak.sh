#!/usr/bin/env bash
# Soak run of the demo server (issue 9): wrk on loopback against a mix of every endpoint for 5 minutes (after a
# 30 s warm-up with the same mix), then: every request answered with a 2xx, heap after a full GC within 10% of
# its value after the warm-up, live threads unchanged. It is demo-server's SoakTest (the CI run is 30 s) with a
# longer duration, so the benchmark and the test cannot drift apart.
#   benchmarks/soak.sh [SECONDS] [SEED]     # defaults: 300 s, a seed from the clock (printed; pass it to replay)
# Prints wrk's report (requests/s, latency distribution with p99), the heap figures and the thread counts.
# Needs wrk (Debian package wrk: installed here if missing, as .ci/run does).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"
seed_arg=()
[ -n "${2:-}" ] && seed_arg=("-Dloopbridge.soak.seed=$2")

if ! command -v wrk >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi

# The build finds JDK 25 itself (toolchains); -am builds the modules the demo needs (never install).
unset JAVA_HOME
exec mvn -B -q -pl demo-server -am test -Dtest=SoakTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dloopbridge.soak.seconds="$seconds" "${seed_arg[@]}"
