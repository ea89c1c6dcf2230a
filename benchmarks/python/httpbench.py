#!/usr/bin/env python3
"""HTTP side-by-side: GET /sleep?ms=N on several servers, measured with wrk in one run (issue 15, 6a/6c).

Invoked by benchmarks/run-http.sh, which builds the Java side, finds JDK 25 and raises the open-file limit.
Each row (workload) is run on each server with a fresh server process: start it, wait until it answers, one
wrk warm-up run, then the measured wrk run, with the CPU time (utime + stime from /proc/PID/stat) of every
process in the server's session read just before and after the measured run; then the server is stopped.
Servers run in a freshly shuffled order for each row of each round; ratios to the baselines are computed within
a round (same machine phase), and the table shows medians over rounds. See benchmarks/README.md.
"""
import argparse
import datetime
import json
import os
import random
import resource
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CLK_TCK = os.sysconf("SC_CLK_TCK")

# label -> command; {java}, {classpath}, {python}, {root} and {port} are filled in. Run with `bash -c`, so
# environment assignments work (`JAVA_OPTS=-Xmx1g bash ...`); bash execs a single command in place.
SERVERS = {
    "demo": "bash {root}/demo-server/run.sh --port {port} --loops 2",
    "netty": "{java} --sun-misc-unsafe-memory-access=allow -cp {classpath} "
             "io.loopbridge.benchmarks.http.NettyHttpServer --port {port} --loops 2",
    "vertx-vt": "{java} --sun-misc-unsafe-memory-access=allow -cp {classpath} "
                "io.loopbridge.benchmarks.http.VertxVirtualThreadServer --port {port} --loops 2 --instances 2",
    "asyncio": "{python} {root}/benchmarks/python/http_asyncio.py --port {port} --procs 2",
}
# name -> (ms, connections)
ROWS = {"ms=0": (0, 64), "ms=1": (1, 64), "ms=10": (10, 1000)}

# wrk prints its summary as one JSON line (latencies in µs) after its usual text.
WRK_LUA = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,'
    .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
"""


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_stat(pid):
    """(session id, utime + stime in s, RSS in MB) of one process, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # fields[0] is field 3 (state): session is field 6, utime 14, stime 15, rss (pages) 24.
    return int(fields[3]), (int(fields[11]) + int(fields[12])) / CLK_TCK, int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def session_usage(sid):
    """CPU seconds and RSS MB summed over the live processes of a session (the server's whole tree)."""
    cpu = rss = 0.0
    procs = 0
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = proc_stat(int(name))
            if st and st[0] == sid:
                cpu += st[1]
                rss += st[2]
                procs += 1
    return cpu, rss, procs


class Server:
    def __init__(self, label, template, port, args, logpath):
        self.label, self.port = label, port
        self.cmd = template.format(java=args.java, classpath=args.classpath, python=args.python, root=ROOT,
                                   port=port)
        self.logpath = logpath
        self.logfile = open(self.logpath, "w")
        # A session of its own: its session id is its pid, which names the whole tree for CPU accounting.
        self.proc = subprocess.Popen(["bash", "-c", self.cmd], stdout=self.logfile, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True, cwd=ROOT)

    def wait_ready(self, timeout):
        url = f"http://127.0.0.1:{self.port}/sleep?ms=0"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"exited with {self.proc.returncode} before answering: {self.tail()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"no 200 from {url} within {timeout} s: {self.tail()}")

    def alive(self):
        return self.proc.poll() is None

    def tail(self, n=3):
        self.logfile.flush()
        with open(self.logpath, errors="replace") as f:
            lines = [line.strip() for line in f if line.strip()]
        return " | ".join(lines[-n:]) or "(no output)"

    def stop(self):
        """SIGTERM to the server's process group, SIGKILL after 15 s."""
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            if self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(wait)
            except subprocess.TimeoutExpired:
                pass
        # Forked helpers (the asyncio peer's children) may outlive the leader briefly.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.logfile.close()


def run_wrk(args, lua, url, connections, seconds):
    cmd = ["wrk", "-t", str(args.threads), "-c", str(connections), "-d", f"{seconds}s", "--latency",
           "--timeout", f"{args.wrk_timeout}s", "-s", lua, url]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    lines = [line for line in p.stdout.splitlines() if line.startswith("{")]
    if p.returncode != 0 or not lines:
        raise RuntimeError(f"wrk exit {p.returncode}: {(p.stderr or p.stdout).strip()[-300:]}")
    r = json.loads(lines[-1])
    r["errors"] = r["connect"] + r["read"] + r["write"] + r["timeout"]
    r["non_2xx"] = r["status"]
    r["wrk_text"] = p.stdout
    return r


def measure(label, template, row, rnd, args, lua, logdir):
    ms, conns = ROWS[row]
    out = {"server": label, "row": row, "ms": ms, "connections": conns}
    port = free_port()
    server = Server(label, template, port, args, os.path.join(logdir, f"r{rnd + 1}-{row}-{label}.log"))
    out["command"] = server.cmd
    try:
        server.wait_ready(args.start_timeout)
        url = f"http://127.0.0.1:{port}/sleep?ms={ms}"
        if args.warmup > 0:
            w = run_wrk(args, lua, url, conns, args.warmup)
            out["warmup"] = {k: w[k] for k in ("requests", "errors", "non_2xx")}
        cpu0, _, _ = session_usage(server.proc.pid)
        r = run_wrk(args, lua, url, conns, args.duration)
        cpu1, rss, procs = session_usage(server.proc.pid)
        if not server.alive():
            raise RuntimeError(f"died during the measured run: {server.tail()}")
        seconds = r["duration_us"] / 1e6
        out.update({
            "req_per_s": r["requests"] / seconds,
            "p50_ms": r["p50_us"] / 1000, "p90_ms": r["p90_us"] / 1000, "p99_ms": r["p99_us"] / 1000,
            "p999_ms": r["p999_us"] / 1000, "max_ms": r["max_us"] / 1000, "mean_ms": r["mean_us"] / 1000,
            "requests": r["requests"], "seconds": seconds, "errors": r["errors"], "non_2xx": r["non_2xx"],
            "socket_errors": {k: r[k] for k in ("connect", "read", "write", "timeout")},
            "cpu_s": cpu1 - cpu0,
            "cpu_s_per_10k": (cpu1 - cpu0) / r["requests"] * 10_000 if r["requests"] else None,
            "rss_mb": rss, "processes": procs, "wrk_text": r["wrk_text"],
        })
    except Exception as e:  # noqa: BLE001 - one failed server is a row of the report, not the end of the run
        out["error"] = str(e)
    finally:
        server.stop()
        out["log"] = server.logpath
    return out


def fmt(v, digits=None):
    if v is None:
        return "-"
    if digits is not None:
        return f"{v:.{digits}f}"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ratios(results, row, server, base, metric, rounds_n):
    out = []
    for rnd in range(rounds_n):
        by = {r["server"]: r for r in results if r["row"] == row and r["round"] == rnd and "error" not in r}
        a, b = by.get(server, {}).get(metric), by.get(base, {}).get(metric)
        if a is not None and b:
            out.append(a / b)
    return out


def table(results, rows, servers, baselines, rounds_n):
    head = ["row", "server", "req/s", "p50 ms", "p99 ms", "CPU s / 10k req"]
    for b in baselines:
        head += [f"req/s vs {b}", f"CPU vs {b}"]
    head.append("errors")
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---", "---"] + ["---:"] * (len(head) - 2)) + "|"]
    for row in rows:
        ms, conns = ROWS[row]
        for s in servers:
            rs = [r for r in results if r["row"] == row and r["server"] == s]
            ok = [r for r in rs if "error" not in r]
            failed = [r for r in rs if "error" in r]
            cells = [f"{row}, {conns} conns", s]
            if not ok:
                cells += ["ERROR: " + (failed[0]["error"][:150].replace("|", "/") if failed else "no run")]
                cells += [""] * (len(head) - len(cells))
                lines.append("| " + " | ".join(cells) + " |")
                continue
            cells += [fmt(median([r["req_per_s"] for r in ok])), fmt(median([r["p50_ms"] for r in ok]), 2),
                      fmt(median([r["p99_ms"] for r in ok]), 2), fmt(median([r["cpu_s_per_10k"] for r in ok]), 3)]
            for b in baselines:
                if s == b:
                    cells += ["1.00x", "1.00x"]
                    continue
                for metric in ("req_per_s", "cpu_s_per_10k"):
                    v = median(ratios(results, row, s, b, metric, rounds_n))
                    cells.append("-" if v is None else f"{v:.2f}x")
            errs = sum(r["errors"] + r["non_2xx"] for r in ok)
            note = f"{errs:,}" if errs else "0"
            if errs:
                kinds = {k: sum(r["socket_errors"][k] for r in ok) for k in ("connect", "read", "write", "timeout")}
                kinds["non-2xx"] = sum(r["non_2xx"] for r in ok)
                note += " (" + ", ".join(f"{k} {v:,}" for k, v in kinds.items() if v) + ")"
            if failed:
                note += f"; {len(failed)} of {len(rs)} runs failed"
            cells.append(note)
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


class Hog:
    """One CPU kept busy by another process for the whole run (--hog)."""

    def __init__(self, python):
        self.proc = subprocess.Popen([python, "-c", "while True: pass"], start_new_session=True)

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def user_args():
    out, skip = [], False
    for a in sys.argv[1:]:
        if skip:
            skip = False
        elif a in ("--java", "--classpath"):
            skip = True
        elif not a.startswith(("--java=", "--classpath=")):
            out.append(shlex.quote(a))
    return " ".join(out)


def choose(p, kind, text, known):
    """The comma-separated names in text, each one of known, or argparse's error naming the unknown one."""
    names = text.split(",")
    for n in names:
        if n not in known:
            p.error(f"unknown {kind} {n} (known: {', '.join(known)})")
    return names


def run_rounds(args, rows, servers, shuffle, measure_one, describe, row_width):
    """Every row of every round, the servers in a fresh shuffled order each time, under the --hog process if asked;
    measure_one(server, row, round) gives a result dict (with "error" if the run failed), describe(result) its
    progress line. Returns the results and the 1-minute load average at the start and at the end."""
    load_start = os.getloadavg()
    hog = Hog(args.python) if args.hog else None
    results = []
    try:
        for rnd in range(args.rounds):
            for row in rows:
                order = servers[:]
                shuffle.shuffle(order)
                for s in order:
                    r = measure_one(s, row, rnd)
                    r["round"] = rnd
                    results.append(r)
                    status = "ERROR " + r["error"] if "error" in r else describe(r)
                    log(f"  round {rnd + 1}/{args.rounds} {row:<{row_width}} {s:<10} {status}")
    finally:
        if hog:
            hog.stop()
    return results, load_start, os.getloadavg()


def write_report(args, kind, stamp, header, table_text, legend, results, logdir, **extra):
    """Prints the table under its header, writes everything to <out>/<kind>-<stamp>.json, exits 1 if a run failed."""
    print("\n".join(header) + "\n\n" + table_text + "\n\n" + legend)
    path = os.path.join(args.out, f"{kind}-{stamp.strftime('%Y%m%d-%H%M%S')}.json")
    with open(path, "w") as f:
        json.dump({"header": header, "rounds": args.rounds, "quick": args.quick, "hog": args.hog, **extra,
                   "results": results}, f, indent=1)
    log(f"\nJSON: {os.path.relpath(path)}; server logs: {os.path.relpath(logdir)}/")
    if any("error" in r for r in results):
        sys.exit(1)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--java", required=True)
    p.add_argument("--classpath", required=True)
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--quick", action="store_true", help="3 s measured and 3 s warm-up per run (a smoke run)")
    p.add_argument("--duration", type=int, default=None, help="measured wrk seconds (default 10, --quick 3)")
    p.add_argument("--warmup", type=int, default=None, help="warm-up wrk seconds (default 5, --quick 3; 0: none)")
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument("--wrk-timeout", type=int, default=2, help="wrk's per-request timeout in s (default 2)")
    p.add_argument("--rows", default=",".join(ROWS), help="comma-separated subset of " + ",".join(ROWS))
    p.add_argument("--servers", default=None,
                   help="comma-separated subset of the servers, in table order (default: all, extra ones last)")
    p.add_argument("--server", action="append", default=[], metavar="LABEL=COMMAND",
                   help="an extra server, e.g. 'demo-before=bash /tmp/old/demo-server/run.sh --port {port} "
                        "--loops 2' (repeatable; {port}, {java}, {classpath}, {python}, {root} are filled in; "
                        "an existing label's command is replaced)")
    p.add_argument("--baseline", default="netty,vertx-vt", help="servers the ratios are against")
    p.add_argument("--hog", action="store_true", help="keep one CPU busy with another process for the whole run")
    p.add_argument("--seed", type=int, default=None, help="shuffle seed (default: random, printed)")
    p.add_argument("--start-timeout", type=int, default=180, help="s for a server to answer its first request")
    p.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results"))
    args = p.parse_args()

    args.duration = args.duration or (3 if args.quick else 10)
    if args.warmup is None:
        args.warmup = 3 if args.quick else 5
    servers = dict(SERVERS)
    for spec in args.server:
        label, sep, cmd = spec.partition("=")
        if not sep or not label or "{port}" not in cmd:
            p.error(f"--server needs LABEL=COMMAND with {{port}} in the command, got {spec!r}")
        servers[label] = cmd
    chosen = choose(p, "server", args.servers, servers) if args.servers else list(servers)
    rows = choose(p, "row", args.rows, ROWS)
    baselines = [b for b in args.baseline.split(",") if b in chosen]
    seed = args.seed if args.seed is not None else random.randrange(1 << 31)
    shuffle = random.Random(seed)

    # 1,000 connections: wrk and the servers need more descriptors than the usual soft limit of 1024.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[0]

    java_version = subprocess.run([args.java, "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0].split(" Copyright")[0]
    stamp = datetime.datetime.now()
    header = [
        f"HTTP side-by-side: GET /sleep?ms=N, {args.rounds} round(s), seed {seed}, wrk -t{args.threads}, "
        f"{args.duration} s measured after {args.warmup} s warm-up per run"
        + (" (--quick: indicative only)" if args.quick else "") + (", --hog: one CPU kept busy" if args.hog else ""),
        f"machine: {os.cpu_count()} CPUs, {java_version}, python {sys.version.split()[0]}, {wrk_version}, "
        f"open files {nofile}, {stamp.isoformat(timespec='seconds')}",
        f"command: benchmarks/run-http.sh {user_args()}",
    ]
    for line in header:
        log(line)
    for s in chosen:
        log(f"  {s}: {servers[s]}")

    os.makedirs(args.out, exist_ok=True)
    logdir = os.path.join(args.out, f"http-{stamp.strftime('%Y%m%d-%H%M%S')}-logs")
    os.makedirs(logdir, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_LUA)
        lua = f.name
    try:
        results, load_start, load_end = run_rounds(
            args, rows, chosen, shuffle, lambda s, row, rnd: measure(s, servers[s], row, rnd, args, lua, logdir),
            lambda r: (f"{r['req_per_s']:>9,.0f} req/s  p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms  "
                       f"CPU {r['cpu_s']:.2f} s ({r['cpu_s_per_10k']:.3f} s/10k)  errors "
                       f"{r['errors']}+{r['non_2xx']} non-2xx  rss {r['rss_mb']:.0f} MB"), 5)
    finally:
        os.unlink(lua)

    header.append(f"load average (1 min) at start {load_start[0]:.1f}, at end {load_end[0]:.1f}")
    write_report(args, "http", stamp, header, table(results, rows, chosen, baselines, args.rounds),
                 "Medians over rounds; ratios are this/baseline within each round (req/s: higher is better; CPU: "
                 "lower is better); CPU is utime+stime of the server's process tree during the measured run; errors "
                 "are wrk's socket errors (connect/read/write/timeout) and non-2xx answers, summed over rounds.",
                 results, logdir, seed=seed, duration_s=args.duration, warmup_s=args.warmup, wrk_threads=args.threads,
                 servers={s: servers[s] for s in chosen}, rows={r: ROWS[r] for r in rows})


if __name__ == "__main__":
    main()
