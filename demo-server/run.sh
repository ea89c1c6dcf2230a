#!/usr/bin/env bash
# Builds (if needed) and runs the demo server on a JDK 25 found on this machine, with no JAVA_HOME needed.
# Usage: bash demo-server/run.sh [--port 8080] [--loops 2] ... (see --help)
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
  (cd "$root" && env -u JAVA_HOME mvn -B -q -DskipTests -pl demo-server -am package)
fi
java_bin="$(find_jdk)"
exec "$java_bin" --add-opens java.base/java.lang=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -jar "$jar" "$@"
