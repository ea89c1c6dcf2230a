#!/usr/bin/env python3
"""Streams echo side by side: loopbridge's asyncio streams, a plain Netty echo handler and CPython asyncio streams.

Invoked by benchmarks/run-echo.sh, which builds the Java side and finds JDK 25. Two rows:
  pingpong  64 connections, each sending a 1 KiB message and waiting for its echo before the next
  transfer  one connection streaming 1 GiB through the echo (written while writable, read back all the while)
Each row on each server runs a fresh server process (2 event loops each) and one client process (EchoClient,
Netty NIO, the same for all): a warm-up (pingpong: seconds of load; transfer: a 64 MiB transfer), then the
measured run. The server's CPU time (its whole process tree, from /proc) is read when the client marks the measured window, and
its RSS sampled every 100 ms during it: "RSS growth" is the peak during the run minus the RSS at its start
(memory flat: near 0). Servers run in a freshly shuffled order per row and round; ratios are within a round;
the table shows medians over rounds.
"""
import argparse
import datetime
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time

from httpbench import Server, choose, fmt, free_port, log, median, proc_stat, run_rounds, session_usage, user_args, write_report

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))

SERVERS = {
    "loopbridge": "{java} --sun-misc-unsafe-memory-access=allow --add-opens java.base/java.lang=ALL-UNNAMED "
                  "-cp {classpath} io.loopbridge.benchmarks.echo.StreamsEchoServer --port {port} --loops 2",
    "netty": "{java} --sun-misc-unsafe-memory-access=allow -cp {classpath} "
             "io.loopbridge.benchmarks.echo.NettyEchoServer --port {port} --loops 2",
    "asyncio": "{python} {root}/benchmarks/python/echo_asyncio.py --port {port} --procs 2",
}
ROWS = ("pingpong", "transfer")
CLIENT = "io.loopbridge.benchmarks.echo.EchoClient"


class EchoServer(Server):
    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"exited with {self.proc.returncode} before listening: {self.tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"no connection to port {self.port} within {timeout} s: {self.tail()}")


def run_client(args, port, mode, extra, sid=None):
    """Runs EchoClient; returns (its JSON result, the server session's CPU s within the measured window)."""
    cmd = [args.java, "-cp", args.classpath, CLIENT, mode, "--port", str(port)] + extra
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    cpu = {}
    result = None
    for line in p.stdout:
        if line.startswith("measure ") and sid is not None:
            cpu[line.split()[1]] = session_usage(sid)[0]
        elif line.startswith("{"):
            result = json.loads(line)
    err = p.stderr.read()
    if p.wait(timeout=900) != 0 or result is None:
        raise RuntimeError(f"client exit {p.returncode}: {err.strip()[-300:]}")
    return result, cpu.get("end", 0) - cpu.get("start", 0)


class RssSampler(threading.Thread):
    """Peak RSS (MB) of a session's processes, sampled every 100 ms until stopped."""

    def __init__(self, sid):
        super().__init__(daemon=True)
        self.sid, self.peak, self.halt = sid, 0.0, threading.Event()

    def run(self):
        while not self.halt.wait(0.1):
            self.peak = max(self.peak, session_usage(self.sid)[1])

    def stop(self):
        self.halt.set()
        self.join()
        return self.peak


def measure(label, template, row, rnd, args, logdir):
    out = {"server": label, "row": row}
    port = free_port()
    server = EchoServer(label, template, port, args, os.path.join(logdir, f"r{rnd + 1}-{row}-{label}.log"))
    out["command"] = server.cmd
    try:
        server.wait_ready(args.start_timeout)
        if row == "pingpong":
            measured = ["--conns", str(args.conns), "--size", str(args.size), "--warmup", str(args.warmup),
                        "--seconds", str(args.duration)]
            warm = None  # the client warms up itself, inside the same connections
        else:
            measured = ["--bytes", str(args.bytes), "--chunk", str(64 * 1024)]
            warm = ["--bytes", str(64 << 20), "--chunk", str(64 * 1024)]
        if warm:
            run_client(args, port, row, warm)
        rss0 = session_usage(server.proc.pid)[1]
        sampler = RssSampler(server.proc.pid)
        sampler.start()
        try:
            r, cpu = run_client(args, port, row, measured, server.proc.pid)
        finally:
            peak = sampler.stop()
        _, rss1, procs = session_usage(server.proc.pid)
        if not server.alive():
            raise RuntimeError(f"died during the measured run: {server.tail()}")
        out.update(r)
        if row == "pingpong":
            out.update({"rate": r["msg_per_s"], "p99_us": r["p99_us"], "cpu_per_unit": cpu / r["messages"] * 10_000})
        else:
            out.update({"rate": r["mib_per_s"], "cpu_per_unit": cpu / (r["bytes"] / 2**30)})
        out.update({"cpu_s": cpu, "rss_start_mb": rss0, "rss_peak_mb": max(peak, rss1), "rss_end_mb": rss1,
                    "rss_growth_mb": max(peak, rss1) - rss0, "processes": procs})
    except Exception as e:  # noqa: BLE001 - one failed server is a row of the report, not the end of the run
        out["error"] = str(e)
    finally:
        server.stop()
        out["log"] = server.logpath
    return out


def ratio(results, row, server, base, metric, rounds_n):
    vals = []
    for rnd in range(rounds_n):
        by = {r["server"]: r for r in results if r["row"] == row and r["round"] == rnd and "error" not in r}
        a, b = by.get(server, {}).get(metric), by.get(base, {}).get(metric)
        if a is not None and b:
            vals.append(a / b)
    return median(vals)


def table(results, rows, servers, baselines, rounds_n, args):
    head = ["row", "server", "rate", "p99 µs", "server CPU", "RSS peak MB", "RSS growth MB"]
    for b in baselines:
        head += [f"rate vs {b}", f"CPU vs {b}"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---", "---"] + ["---:"] * (len(head) - 2)) + "|"]
    for row in rows:
        unit = "msg/s" if row == "pingpong" else "MiB/s"
        cpu_unit = "s / 10k msg" if row == "pingpong" else "s / GiB"
        name = (f"pingpong, {args.conns} conns × {args.size} B" if row == "pingpong"
                else f"transfer, {args.bytes / 2**30:g} GiB")
        for s in servers:
            rs = [r for r in results if r["row"] == row and r["server"] == s]
            ok = [r for r in rs if "error" not in r]
            if not ok:
                err = next((r["error"] for r in rs if "error" in r), "no run")
                lines.append("| " + " | ".join([name, s, "ERROR: " + err[:150].replace("|", "/")]
                                                + [""] * (len(head) - 3)) + " |")
                continue
            cells = [name, s, f"{fmt(median([r['rate'] for r in ok]))} {unit}",
                     fmt(median([r.get("p99_us") for r in ok])),
                     f"{fmt(median([r['cpu_per_unit'] for r in ok]), 3)} {cpu_unit}",
                     fmt(median([r["rss_peak_mb"] for r in ok])), fmt(median([r["rss_growth_mb"] for r in ok]))]
            for b in baselines:
                if s == b:
                    cells += ["1.00x", "1.00x"]
                    continue
                for metric in ("rate", "cpu_per_unit"):
                    v = ratio(results, row, s, b, metric, rounds_n)
                    cells.append("-" if v is None else f"{v:.2f}x")
            if len(ok) < len(rs):
                cells[-1] += f" ({len(rs) - len(ok)} of {len(rs)} runs failed)"
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--java", required=True)
    p.add_argument("--classpath", required=True)
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--quick", action="store_true", help="3 s pingpong, 256 MiB transfer (a smoke run)")
    p.add_argument("--duration", type=int, default=None, help="measured pingpong seconds (default 10, --quick 3)")
    p.add_argument("--warmup", type=int, default=None, help="pingpong warm-up seconds (default 5, --quick 2)")
    p.add_argument("--conns", type=int, default=64)
    p.add_argument("--size", type=int, default=1024)
    p.add_argument("--bytes", type=int, default=None, help="transfer size (default 1 GiB, --quick 256 MiB)")
    p.add_argument("--rows", default=",".join(ROWS))
    p.add_argument("--servers", default=",".join(SERVERS))
    p.add_argument("--baseline", default="netty,asyncio")
    p.add_argument("--hog", action="store_true", help="keep one CPU busy with another process for the whole run")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--start-timeout", type=int, default=120)
    p.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results"))
    args = p.parse_args()
    args.duration = args.duration or (3 if args.quick else 10)
    args.warmup = args.warmup if args.warmup is not None else (2 if args.quick else 5)
    args.bytes = args.bytes or ((256 << 20) if args.quick else (1 << 30))
    servers = choose(p, "server", args.servers, SERVERS)
    rows = choose(p, "row", args.rows, ROWS)
    baselines = [b for b in args.baseline.split(",") if b in servers]
    seed = args.seed if args.seed is not None else random.randrange(1 << 31)
    shuffle = random.Random(seed)

    java_version = subprocess.run([args.java, "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    stamp = datetime.datetime.now()
    header = [
        f"Streams echo side by side, {args.rounds} round(s), seed {seed}"
        + (" (--quick: indicative only)" if args.quick else "") + (", --hog: one CPU kept busy" if args.hog else ""),
        f"machine: {os.cpu_count()} CPUs, {java_version}, python {sys.version.split()[0]}, "
        f"{stamp.isoformat(timespec='seconds')}",
        f"command: benchmarks/run-echo.sh {user_args()}",
    ]
    for line in header:
        log(line)
    os.makedirs(args.out, exist_ok=True)
    logdir = os.path.join(args.out, f"echo-{stamp.strftime('%Y%m%d-%H%M%S')}-logs")
    os.makedirs(logdir, exist_ok=True)
    results, load_start, load_end = run_rounds(
        args, rows, servers, shuffle, lambda s, row, rnd: measure(s, SERVERS[s], row, rnd, args, logdir),
        lambda r: f"rate {r['rate']:>10,.1f}  CPU {r['cpu_s']:.2f} s  RSS {r['rss_start_mb']:.0f} → "
                  f"peak {r['rss_peak_mb']:.0f} MB", 8)
    header.append(f"load average (1 min) at start {load_start[0]:.1f}, at end {load_end[0]:.1f}")
    write_report(args, "echo", stamp, header, table(results, rows, servers, baselines, args.rounds, args),
                 "Medians over rounds; ratios are this/baseline within each round (rate: higher is better; CPU: lower "
                 "is better). Server CPU is utime+stime of the server's process tree during the measured window (the "
                 "client marks it). RSS growth: peak during the measured run minus RSS at its start.",
                 results, logdir, seed=seed, servers={s: SERVERS[s] for s in servers})


if __name__ == "__main__":
    main()
