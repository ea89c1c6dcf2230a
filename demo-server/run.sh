#!/usr/bin/env bash
# Builds (if needed) and runs the demo server on a JDK 25 found on this machine, with no JAVA_HOME needed.
# Usage: bash demo-server/run.sh [--port 8080] [--loops 2] ... (see --help)
# JVM options: JAVA_OPTS (default -Xmx512m: the heap the README's memory figures were measured with).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jar="$root/demo-server/target/demo-server.jar"

find_jdk() {
  local java_bin
  for home in ${LOOPBRIDGE_JDK:-} /usr/lib/jvm/* /opt/java/* /opt/jdk* /usr/local/jdk*; do
    [ -x "$home/bin/java" ] && [ -f "$home/release" ] || continue
    if grep -qE '^JAVA_VERSION="(2[5-9]|[3-9][0-9])' "$home/release"; then
      echo "$home/bin/java"; return 0
    fi
  done
  java_bin="$(command -v java || true)"
  if [ -n "$java_bin" ] && "$java_bin" -version 2>&1 | grep -qE 'version "(2[5-9]|[3-9][0-9])'; then
    echo "$java_bin"; return 0
  fi
  echo "no JDK 25 or newer found (looked in /usr/lib/jvm, /opt/java; set LOOPBRIDGE_JDK=/path/to/jdk)" >&2
  return 1
}

if [ ! -f "$jar" ] || [ -n "$(find "$root" -name '*.java' -path '*/src/main/*' -newer "$jar" -print -quit)" ]; then
  # Quiet unless it fails: Maven 3.8 writes colour resets even with -B and -Dstyle.color=never.
  build_log="$(mktemp)"
  if ! (cd "$root" && env -u JAVA_HOME mvn -B -q -Dstyle.color=never -DskipTests -pl demo-server -am package) \
      >"$build_log" 2>&1; then
    sed 's/\x1b\[[0-9;]*m//g' "$build_log" >&2
    rm -f "$build_log"
    echo "building demo-server failed (output above)" >&2
    exit 1
  fi
  rm -f "$build_log"
fi
java_bin="$(find_jdk)"
# shellcheck disable=SC2086 # JAVA_OPTS holds several options
exec "$java_bin" ${JAVA_OPTS:--Xmx512m} --add-opens java.base/java.lang=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -jar "$jar" "$@"
