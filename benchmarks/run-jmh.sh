#!/usr/bin/env bash
# Runs the JMH benchmarks with settings short enough for a small shared machine, yet with warm-up.
#
#   benchmarks/run-jmh.sh                         # every benchmark (~2 minutes)
#   benchmarks/run-jmh.sh 'Coroutine.*Fast'       # those matching a JMH regex
#   benchmarks/run-jmh.sh callSoon -i 10 -prof gc # JMH options after the regex (they replace the defaults)
#
# Needs no JAVA_HOME: like the build's toolchains plugin it finds a JDK 25 (or newer) itself. It builds
# benchmarks/target/benchmarks.jar when the jar is missing or older than the sources (never `mvn install`).
# Results also go to benchmarks/results/ as JSON.
set -euo pipefail
cd "$(dirname "$0")/.."

# The JDK's major version from its `release` file, e.g. JAVA_VERSION="25.0.3" -> 25; empty if none.
major_of() {
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null
}

find_jdk() {
    local dir major
    # JAVA_HOME counts only if it is recent enough; the machine's JVM directories are searched otherwise.
    for dir in "${JAVA_HOME:-}" /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* \
               "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
        [[ -n "$dir" && -x "$dir/bin/java" ]] || continue
        major=$(major_of "$dir")
        if [[ -n "$major" && "$major" -ge 25 ]]; then
            echo "$dir"
            return
        fi
    done
    echo "run-jmh.sh: no JDK 25 or newer found (looked at JAVA_HOME, /usr/lib/jvm, /usr/java, /opt, ~/.sdkman, ~/.jdks)" >&2
    exit 1
}

JDK=$(find_jdk)
JAR=benchmarks/target/benchmarks.jar

if [[ ! -f "$JAR" ]] || [[ -n "$(find pom.xml loop-core/pom.xml loop-core/src/main bridge/pom.xml bridge/src/main \
        metrics/pom.xml metrics/src/main benchmarks/pom.xml benchmarks/src -newer "$JAR" -type f -print -quit)" ]]; then
    echo "run-jmh.sh: building $JAR" >&2
    (unset JAVA_HOME; mvn -B -q -pl benchmarks -am package -DskipTests)
fi

REGEX="${1:-.}"
shift || true
mkdir -p benchmarks/results
STAMP=$(date -u +%Y%m%dT%H%M%SZ)

# One fork per benchmark (per engine for the coroutine ones), 3 s of warm-up, 5 s measured. An option given
# after the regex replaces its default here (JMH refuses an option given twice). Fork JVM options come from
# each class's @Fork (the engine flags): do not pass -jvmArgsAppend, it would replace them.
DEFAULTS=(-f 1 -wi 3 -w 1s -i 5 -r 1s -rf json -rff "benchmarks/results/jmh-$STAMP.json")
given() {
    local opt=$1 arg
    shift
    for arg; do
        [[ "$arg" == "$opt" ]] && return 0
    done
    return 1
}
ARGS=()
for ((k = 0; k < ${#DEFAULTS[@]}; k += 2)); do
    given "${DEFAULTS[k]}" "$@" || ARGS+=("${DEFAULTS[k]}" "${DEFAULTS[k + 1]}")
done

# The option on the launcher's own JVM only silences JMH's sun.misc.Unsafe warning (forks inherit it).
set -x
exec "$JDK/bin/java" --sun-misc-unsafe-memory-access=allow -jar "$JAR" "$REGEX" "${ARGS[@]}" "$@"
