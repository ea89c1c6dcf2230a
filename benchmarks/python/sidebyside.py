#!/usr/bin/env python3
"""Side-by-side runner: every workload, every system, each run as its own process, several rounds.

Invoked by benchmarks/run-sidebyside.sh, which builds the Java side and finds JDK 25. Each round runs each
workload once per system, in a freshly shuffled system order; each run is a separate JVM (or python3)
under /usr/bin/time -v for its peak RSS. The table shows, per workload and system, the median [min-max]
over rounds, and the ratio loopbridge/peer computed within each round (median [min-max] of those ratios),
so that a slow phase of a shared machine hits both sides of a ratio alike.
"""
import argparse
import datetime
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
MAIN = "io.loopbridge.benchmarks.sidebyside.SideBySide"
FAST, FALLBACK = "loopbridge-fast", "loopbridge-fallback"
LOOPBRIDGE = (FAST, FALLBACK)
SYSTEMS = [FAST, FALLBACK, "netty", "tpe", "vthreads", "asyncio"]

# workload -> (n, n --quick, primary metric, higher is better, extra columns, warm-up runs in the process)
WORKLOADS = {
    "W1": (1_000_000, 100_000, "callbacks_per_s", True, [], 2),
    "W2": (1_000_000, 100_000, "callbacks_per_s", True, [], 2),
    "W1x": (1_000_000, 100_000, "callbacks_per_s", True, [], 2),
    "W2x": (1_000_000, 100_000, "callbacks_per_s", True, [], 2),
    "W3": (100_000, 10_000, "round_trips_per_s", True, ["p50_us", "p99_us", "p999_us"], 2),
    "W4": (100_000, 10_000, "tasks_per_s", True, [], 2),
    # W5 warms up twice at a tenth of its size (see WARMUP_N): 20,000 sleepers take the sleeper's path past
    # the JIT's top-tier threshold, and grow the heap little. Its ranking metric is peak RSS, lower is better.
    "W5": (100_000, 10_000, "rss_mb", False, ["wall_ms", "late_p50_ms", "late_p99_ms"], 2),
    "W5-1M": (1_000_000, 100_000, "rss_mb", False, ["wall_ms", "late_p50_ms", "late_p99_ms"], 2),
    "W6": (100_000, 10_000, "round_trips_per_s", True, [], 2),
    # W7 is one process per system per (K producers, L loops) cell of the grid (--w7-producers, --w7-loops); n in
    # all per cell. Shown by pool_table, not table: growth with L and the ratios within each cell.
    "W7": (200_000, 20_000, "ops_per_s", True, ["p99_us"], 2),
}
DESCRIPTIONS = {
    "W1": "callSoon from the loop thread, callbacks/s",
    "W2": "one producer thread, callSoonThreadsafe until the last ran, callbacks/s",
    "W1x": "W1 through execute (loopbridge: no Handle), callbacks/s",
    "W2x": "W2 through execute (loopbridge: no Handle), callbacks/s",
    "W3": "blocking thread: runCoroutineThreadsafe(() -> value).get() in a row, round trips/s",
    "W4": "tasks that sleep(0) once, gathered, tasks/s",
    "W5": "sleepers of random 0-1 s: peak RSS MB (lower is better), wall, lateness",
    "W5-1M": "W5 with 1,000,000 sleepers",
    "W6": "ping-pong between two loops on two threads, round trips/s",
    "W7": "K producer threads x a pool of L loops, submit(() -> value), ops/s over all producers",
}
# (workload, metric, peer, bound, "min"|"max", label): the targets for loopbridge (fast engine).
TARGETS = [
    ("W1", "callbacks_per_s", "netty", 1.0, "min", "W1 >= 1.0x Netty"),
    ("W2", "callbacks_per_s", "netty", 1.0, "min", "W2 >= 1.0x Netty"),
    ("W3", "round_trips_per_s", "vthreads", 1.0, "min", "W3 >= 1.0x virtual threads"),
    ("W3", "p99_us", "vthreads", 1.0, "max", "W3 p99 no worse than virtual threads"),
    ("W4", "tasks_per_s", "asyncio", 15.0, "min", "W4 >= 15x CPython asyncio"),
    ("W4", "tasks_per_s", "vthreads", 3.0, "min", "W4 >= 3x virtual threads"),
    ("W5", "rss_mb", "asyncio", 1.0, "max", "W5 peak RSS <= CPython asyncio's"),
    ("W5", "late_p99_ms", None, 20.0, "max", "W5 lateness p99 <= 20 ms"),
    ("W5-1M", "rss_mb", None, 1024.0, "max", "W5 1,000,000 sleepers within 1 GiB RSS"),
    ("W6", "round_trips_per_s", "vthreads", 1.0, "min", "W6 >= 1.0x virtual threads"),
]


# Warm-up size as a fraction of n, where not n itself.
WARMUP_N = {"W5": 10, "W5-1M": 10}
# Measured runs per process, where not 1: W1 and W2 take ~30 ms each, short enough for one JIT or GC event
# to decide a single run, so their processes report the median of 5 (W1x, W2x likewise).
ITERS = {"W1": 5, "W2": 5, "W1x": 5, "W2x": 5}


def command(system, workload, n, warmup, seed, args, cell=None):
    wl = "W5" if workload == "W5-1M" else workload
    tail = [wl, str(n), "--warmup", str(warmup), "--warmup-n", str(n // WARMUP_N.get(workload, 1)),
            "--iters", str(ITERS.get(workload, 1)), "--seed", str(seed)]
    if cell:
        tail += ["--producers", str(cell[0]), "--loops", str(cell[1]), "--inflight", str(args.w7_inflight)]
    if system == "asyncio":
        return [args.python, os.path.join(HERE, "peers.py")] + tail
    jvm = [args.java, "--sun-misc-unsafe-memory-access=allow"] + args.jvm_arg
    if system == FAST:
        jvm += ["--add-opens", "java.base/java.lang=ALL-UNNAMED"]
    elif system == FALLBACK:
        jvm += ["-Dloopbridge.engine=fallback"]
    return jvm + ["-cp", args.classpath, MAIN, "loopbridge" if system in LOOPBRIDGE else system] + tail


def run_one(system, workload, n, warmup, seed, args, cell=None):
    if cell and system == "asyncio":
        return {"system": system, "workload": workload, "na": "no pool of loops (asyncio: one loop per thread)"}
    cmd = command(system, workload, n, warmup, seed, args, cell)
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        try:
            p = subprocess.run(["/usr/bin/time", "-v", "-o", tf.name] + cmd, capture_output=True, text=True,
                               timeout=args.timeout)
        except subprocess.TimeoutExpired:
            return {"system": system, "workload": workload, "error": f"timeout after {args.timeout} s"}
        report = tf.read()
    lines = [line for line in p.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"system": system, "workload": workload,
                "error": f"exit {p.returncode}: " + " | ".join(p.stderr.strip().splitlines()[-3:])}
    r = json.loads(lines[-1])
    r["system"], r["workload"] = system, workload
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
    if m:
        r["rss_mb"] = int(m.group(1)) / 1024
    if system in LOOPBRIDGE and "engine" in r and r["engine"] != system.split("-")[1]:
        r["error"] = f"launched as {system} but the loop ran the {r['engine']} engine"
    return r


def fmt(v):
    if v is None:
        return "-"
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:.2f}M"
    if a >= 1e4:
        return f"{v / 1e3:.0f}k"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    return f"{fmt(statistics.median(values))} [{fmt(min(values))}-{fmt(max(values))}]"


def ratios(rounds, lb, peer, metric):
    """lb/peer within each round where both have the metric."""
    out = []
    for rnd in rounds:
        a, b = rnd.get(lb, {}).get(metric), rnd.get(peer, {}).get(metric)
        if a is not None and b:
            out.append(a / b)
    return out


def table(results, workloads, systems, rounds_n):
    lines = []
    for wl in workloads:
        if wl == "W7":
            lines.append(pool_table(results, systems, rounds_n))
            continue
        n_used = next((r["n"] for r in results if r["workload"] == wl and "n" in r), "?")
        primary, higher, extras = WORKLOADS[wl][2], WORKLOADS[wl][3], WORKLOADS[wl][4]
        rounds = [{r["system"]: r for r in results if r["workload"] == wl and r["round"] == i}
                  for i in range(rounds_n)]
        lines.append(f"\n{wl}  n={n_used:,}  {DESCRIPTIONS[wl]}" if isinstance(n_used, int) else f"\n{wl}")
        extras = extras + ["cpu_us_per_op", "alloc_b_per_op"]
        head = ["system", primary + (" (higher better)" if higher else " (lower better)")] + extras
        if primary != "rss_mb":
            head.append("rss_mb")
        head += ["fast/this", "fallback/this"]
        rows = [head]
        for s in systems:
            rs = [rnd[s] for rnd in rounds if s in rnd]
            if not rs:
                continue
            na = next((r["na"] for r in rs if "na" in r), None)
            err = next((r["error"] for r in rs if "error" in r), None)
            if na or err:
                rows.append([s, ("n/a: " + na) if na else ("ERROR: " + err)])
                continue
            row = [s, spread([r.get(primary) for r in rs])]
            row += [spread([r.get(x) for r in rs]) for x in extras]
            if primary != "rss_mb":
                row.append(spread([r.get("rss_mb") for r in rs]))
            for lb in LOOPBRIDGE:
                row.append("" if s == lb else (spread(ratios(rounds, lb, s, primary)) + "x").replace("-x", "-"))
            rows.append(row)
        lines += aligned(rows, 1)
    return "\n".join(lines)


def aligned(rows, keys):
    """Rows as text in columns; the first `keys` columns name the row, and a row of just those and one more
    cell (a system's n/a or error) is not aligned past them."""
    head = rows[0]
    widths = [max(len(r[i]) for r in rows if i < len(r) and len(r) > keys + 1) for i in range(len(head))]
    for i in range(keys):
        widths[i] = max(len(r[i]) for r in rows)
    out = []
    for r in rows:
        if len(r) == keys + 1 and len(head) > keys + 1:
            out.append("  " + "  ".join(c.ljust(w) for c, w in zip(r[:keys], widths)) + "  " + r[keys])
        else:
            out.append("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    return out


def pool_cells(args):
    """W7's grid: every (K producers, L loops)."""
    return [(k, l) for k in args.w7_producers for l in args.w7_loops]


def pool_table(results, systems, rounds_n):
    """W7 by K, then system, then L: ops/s and its growth over the grid's smallest L (same K and system, within
    each round), p99, CPU and allocation per op, and loopbridge's ratios within each round and cell."""
    w7 = [r for r in results if r["workload"] == "W7"]
    cells = sorted({(r["producers"], r["loops"]) for r in w7})
    first = next((r for r in w7 if "n" in r), {})
    metric = "ops_per_s"

    def rounds(cell):
        return [{r["system"]: r for r in w7 if (r["producers"], r["loops"]) == cell and r["round"] == i}
                for i in range(rounds_n)]

    lines = [f"\nW7  n={first.get('n', 0):,} per cell, {first.get('inflight', '?')} in flight per producer  "
             f"{DESCRIPTIONS['W7']}"]
    extras = ["p99_us", "cpu_us_per_op", "alloc_b_per_op"]
    ls = sorted({c[1] for c in cells})
    rows = [["K", "L", "system", metric + " (higher better)", f"vs L={ls[0]}"] + extras + ["fast/this", "fallback/this"]]
    for k in sorted({c[0] for c in cells}):
        base = rounds((k, ls[0]))
        for s in systems:
            for loops in ls:
                rnds = rounds((k, loops))
                rs = [rnd[s] for rnd in rnds if s in rnd]
                if not rs:
                    continue
                key = [str(k), str(loops), s]
                na = next((r["na"] for r in rs if "na" in r), None)
                err = next((r["error"] for r in rs if "error" in r), None)
                if na or err:
                    rows.append(key + [("n/a: " + na) if na else ("ERROR: " + err)])
                    break
                growth = [a[s][metric] / b[s][metric] for a, b in zip(rnds, base)
                          if metric in a.get(s, {}) and b.get(s, {}).get(metric)]
                row = key + [spread([r.get(metric) for r in rs]), spread(growth) + "x"]
                row += [spread([r.get(x) for r in rs]) for x in extras]
                for lb in LOOPBRIDGE:
                    row.append("" if s == lb else (spread(ratios(rnds, lb, s, metric)) + "x").replace("-x", "-"))
                rows.append(row)
    return "\n".join(lines + aligned(rows, 3))


def targets(results, workloads, rounds_n):
    if not any(t[0] in workloads for t in TARGETS):
        return ""
    lines = ["\nTargets (issue 8) for loopbridge-fast, median of per-round values:"]
    for wl, metric, peer, bound, kind, label in TARGETS:
        if wl not in workloads:
            continue
        rounds = [{r["system"]: r for r in results if r["workload"] == wl and r["round"] == i}
                  for i in range(rounds_n)]
        if peer:
            vals = ratios(rounds, FAST, peer, metric)
            shown = f"{statistics.median(vals):.2f}x" if vals else None
        else:
            vals = [rnd[FAST][metric] for rnd in rounds if metric in rnd.get(FAST, {})]
            shown = f"{statistics.median(vals):.1f}" if vals else None
        if not vals:
            lines.append(f"  {label:<42} no data")
            continue
        v = statistics.median(vals)
        ok = v >= bound if kind == "min" else v <= bound
        lines.append(f"  {label:<42} {shown:>9}  {'met' if ok else 'MISSED'}")
    return "\n".join(lines)


def positive(text):
    """An integer of at least 1 (an argparse type)."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text}: give a whole number of at least 1")
    return int(text)


def counts(text):
    """A comma-separated list of integers of at least 1 (an argparse type)."""
    return [positive(v) for v in text.split(",")]


def user_args():
    """The command line as the user typed it to run-sidebyside.sh (without the wrapper's own options)."""
    out, skip = [], False
    for a in sys.argv[1:]:
        if skip:
            skip = False
        elif a in ("--java", "--classpath"):
            skip = True
        elif not a.startswith(("--java=", "--classpath=")):
            out.append(a)
    return " ".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--java", required=True)
    p.add_argument("--classpath", required=True)
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--rounds", type=int, default=None, help="default 5, or 2 with --quick")
    p.add_argument("--quick", action="store_true", help="sizes / 10, 2 rounds, 1 warm-up: a smoke run")
    p.add_argument("--full", action="store_true", help="also W5 with 1,000,000 sleepers")
    p.add_argument("--workloads", default=None, help="comma-separated, e.g. W1,W3 (default: all)")
    p.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated subset of " + ",".join(SYSTEMS))
    p.add_argument("--jvm-arg", action="append", default=[], help="extra JVM option for every JVM, written --jvm-arg=-Xmx1g (repeatable)")
    p.add_argument("--seed", type=int, default=None, help="shuffle and workload seed (default: random, printed)")
    p.add_argument("--timeout", type=int, default=900, help="seconds per process")
    p.add_argument("--w7-producers", type=counts, default=[1, 2, 4], help="W7's producer threads K, comma-separated (default 1,2,4)")
    p.add_argument("--w7-loops", type=counts, default=[1, 2, 4], help="W7's loops (pool threads) L, comma-separated (default 1,2,4)")
    p.add_argument("--w7-inflight", type=positive, default=64, help="W7's submissions in flight per producer (default 64; 1: closed loop)")
    p.add_argument("--hog", action="store_true", help="keep one CPU busy with another process for the whole run")
    p.add_argument("--out", default=os.path.join(HERE, "..", "target", "sidebyside"))
    args = p.parse_args()

    rounds_n = args.rounds or (2 if args.quick else 5)
    workloads = args.workloads.split(",") if args.workloads else [w for w in WORKLOADS if w != "W5-1M"]
    if args.full and "W5-1M" not in workloads and args.workloads is None:
        workloads.append("W5-1M")
    systems = args.systems.split(",")
    for w in workloads:
        if w not in WORKLOADS:
            p.error(f"unknown workload {w}")
    for s in systems:
        if s not in SYSTEMS:
            p.error(f"unknown system {s}")
    seed = args.seed if args.seed is not None else random.randrange(1 << 31)
    shuffle = random.Random(seed)

    java_version = subprocess.run([args.java, "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    header = (f"side-by-side: {rounds_n} rounds{' (--quick: sizes / 10, indicative only)' if args.quick else ''}, "
              f"seed {seed}\nmachine: {os.cpu_count()} CPUs, {java_version}, python {sys.version.split()[0]}, "
              f"{datetime.datetime.now().isoformat(timespec='seconds')}\ncommand: benchmarks/run-sidebyside.sh {user_args()}")
    print(header, file=sys.stderr, flush=True)

    hog = None
    if args.hog:
        hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        header += "\n--hog: one CPU kept busy by another process (pid {}) for the whole run".format(hog.pid)
    load_at_start = os.getloadavg()[0]
    results = []
    try:
        measure_all(args, rounds_n, workloads, systems, seed, shuffle, results)
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()
    finish(args, header, load_at_start, results, workloads, systems, rounds_n, seed)


def measure_all(args, rounds_n, workloads, systems, seed, shuffle, results):
    for rnd in range(rounds_n):
        for wl in workloads:
            n_full, n_quick, _, _, _, warmup = WORKLOADS[wl]
            n = n_quick if args.quick else n_full
            if args.quick:
                warmup = min(warmup, 1)
            for cell in pool_cells(args) if wl == "W7" else [None]:
                order = systems[:]
                shuffle.shuffle(order)
                for s in order:
                    r = run_one(s, wl, n, warmup, seed + rnd, args, cell)
                    r["round"] = rnd
                    label = wl
                    if cell:
                        r["producers"], r["loops"] = cell
                        label = f"{wl} K={cell[0]} L={cell[1]}"
                    results.append(r)
                    status = r.get("error") or (("n/a: " + r["na"]) if "na" in r else
                                                 f"{r.get('primary')}={fmt(r.get(r.get('primary')))} rss={fmt(r.get('rss_mb'))}MB")
                    print(f"  round {rnd + 1}/{rounds_n} {label:<5} {s:<19} {status}", file=sys.stderr, flush=True)


def finish(args, header, load_at_start, results, workloads, systems, rounds_n, seed):
    header += "\nload average (1 min) at start {:.1f}, at end {:.1f}".format(load_at_start, os.getloadavg()[0])
    report = "\n".join(part for part in (header, table(results, workloads, systems, rounds_n),
                                           targets(results, workloads, rounds_n)) if part)
    print(report)
    os.makedirs(args.out, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    with open(os.path.join(args.out, f"results-{stamp}.json"), "w") as f:
        json.dump({"seed": seed, "rounds": rounds_n, "quick": args.quick, "results": results}, f, indent=1)
    with open(os.path.join(args.out, f"table-{stamp}.txt"), "w") as f:
        f.write(report + "\n")
    print(f"\nraw results and table: {os.path.relpath(args.out)}/results-{stamp}.json, table-{stamp}.txt")
    if any("error" in r for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
