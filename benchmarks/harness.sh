# Shared by the side-by-side scripts (source it from the repository root): find JDK 25 as the build does, and
# build the harness quietly.

# Sets JAVA to a JDK 25's java, found without JAVA_HOME under /usr/lib/jvm; exits naming $1 if there is none.
find_jdk25() {
  unset JAVA_HOME
  JAVA=""
  local release
  for release in /usr/lib/jvm/*/release; do
    if grep -q '^JAVA_VERSION="25' "$release" 2>/dev/null; then
      JAVA="$(dirname "$release")/bin/java"
      break
    fi
  done
  if [ ! -x "$JAVA" ]; then
    echo "$1: no JDK 25 found under /usr/lib/jvm (looked for JAVA_VERSION=\"25 in */release)" >&2
    exit 1
  fi
}

# Packages the modules $2 (with what they need; no install) and writes each module's runtime class path to $3
# (relative to the module: benchmarks/$3 is the harness's). Quiet
# unless it fails (Maven 3.8 writes colour resets even with -B), so stdout stays the table alone.
build_classpath() {
  local log
  log="$(mktemp)"
  if ! mvn -B -q -Dstyle.color=never -pl "$2" -am package -DskipTests \
      org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
      -Dmdep.outputFile="$3" -Dmdep.includeScope=runtime >"$log" 2>&1; then
    sed 's/\x1b\[[0-9;]*m//g' "$log" >&2
    rm -f "$log"
    echo "$1: the build failed (output above)" >&2
    exit 1
  fi
  rm -f "$log"
}
