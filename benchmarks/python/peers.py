#!/usr/bin/env python3
"""CPython asyncio's side of the side-by-side harness: one workload, one process, one JSON line.

    python3 peers.py W1..W6|W1x|W2x N [--warmup K] [--warmup-n N] [--iters M] [--seed S]

The same workloads as io.loopbridge.benchmarks.sidebyside.SideBySide (see benchmarks/SIDE_BY_SIDE.md),
written as an asyncio user would write them. Loops run forever on their own threads; the main thread
plays the blocking caller, as the Java side does.
"""
import argparse
import gc
import array
import asyncio
import concurrent.futures
import json
import math
import platform
import random
import threading
import time

VALUE = 42
now_ns = time.monotonic_ns  # CLOCK_MONOTONIC, the clock asyncio's loop.time() reads


class LoopThread:
    """An asyncio event loop running forever on its own thread."""

    def __init__(self, name):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self.thread.start()

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def close(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


def rate(unit, n, nanos):
    return {"primary": unit, unit: n * 1e9 / nanos, "elapsed_ms": nanos / 1e6}


def percentile(sorted_values, q):
    """Nearest rank, as the Java side."""
    rank = math.ceil(q * len(sorted_values))
    return sorted_values[max(0, min(len(sorted_values) - 1, rank - 1))]


def countdown(n, done):
    """The flood workloads' callback: counts down on the loop; the last one records when it ran."""
    left = n

    def cb():
        nonlocal left
        left -= 1
        if left == 0:
            done.set_result(now_ns())

    return cb


def w1_call_soon(lt, n, seed):
    done, started = concurrent.futures.Future(), concurrent.futures.Future()
    cb = countdown(n, done)

    def flood():
        started.set_result(now_ns())
        call_soon = lt.loop.call_soon
        for _ in range(n):
            call_soon(cb)

    lt.loop.call_soon_threadsafe(flood)
    return rate("callbacks_per_s", n, done.result() - started.result())


def w2_call_soon_threadsafe(lt, n, seed):
    done = concurrent.futures.Future()
    cb = countdown(n, done)
    t0 = [0]

    def produce():
        t0[0] = now_ns()
        call = lt.loop.call_soon_threadsafe
        for _ in range(n):
            call(cb)

    producer = threading.Thread(target=produce, name="producer")
    producer.start()
    end = done.result()
    producer.join()
    return rate("callbacks_per_s", n, end - t0[0])


async def value():
    return VALUE


def w3_round_trips(lt, n, seed):
    nanos = [0] * n
    loop = lt.loop
    t0 = now_ns()
    for i in range(n):
        s = now_ns()
        asyncio.run_coroutine_threadsafe(value(), loop).result()
        nanos[i] = now_ns() - s
    r = rate("round_trips_per_s", n, now_ns() - t0)
    nanos.sort()
    r.update(p50_us=percentile(nanos, 0.50) / 1e3, p99_us=percentile(nanos, 0.99) / 1e3,
             p999_us=percentile(nanos, 0.999) / 1e3, max_us=nanos[-1] / 1e3)
    return r


async def yield_once():
    await asyncio.sleep(0)
    return VALUE


async def gather_yielders(n):
    t0 = now_ns()
    await asyncio.gather(*[yield_once() for _ in range(n)])
    return now_ns() - t0


def w4_yielding_tasks(lt, n, seed):
    return rate("tasks_per_s", n, lt.run(gather_yielders(n)))


async def sleepers(n, seed):
    rnd = random.Random(seed)
    delay = array.array("q", (rnd.randrange(1_000_000_000) for _ in range(n)))
    start = array.array("q", bytes(8 * n))
    woke = array.array("q", bytes(8 * n))

    async def sleeper(i):
        start[i] = now_ns()
        await asyncio.sleep(delay[i] / 1e9)
        woke[i] = now_ns()

    t0 = now_ns()
    tasks = [asyncio.create_task(sleeper(i)) for i in range(n)]
    for t in tasks:
        await t
    wall = now_ns() - t0
    all_started = max(start)
    late = sorted(woke[i] - (start[i] + delay[i]) for i in range(n) if start[i] + delay[i] > all_started)
    r = {"primary": "wall_ms", "wall_ms": wall / 1e6, "timed": len(late)}
    if late:
        r.update(late_p50_ms=percentile(late, 0.50) / 1e6, late_p99_ms=percentile(late, 0.99) / 1e6,
                 late_max_ms=late[-1] / 1e6)
    return r


def w5_sleepers(lt, n, seed):
    return lt.run(sleepers(n, seed))


async def ping_pong(n, b):
    a = asyncio.get_running_loop()
    t0 = now_ns()
    for _ in range(n):
        pong = a.create_future()
        b.call_soon_threadsafe(a.call_soon_threadsafe, pong.set_result, VALUE)
        await pong
    return now_ns() - t0


_loop_b = None


def w6_ping_pong(lt, n, seed):
    global _loop_b
    if _loop_b is None:
        _loop_b = LoopThread("asyncio-B")
    return rate("round_trips_per_s", n, lt.run(ping_pong(n, _loop_b.loop)))


# W1x/W2x are W1/W2 through an Executor's execute: asyncio has no such face, so they are W1/W2 themselves.
WORKLOADS = {"W1": w1_call_soon, "W2": w2_call_soon_threadsafe, "W1x": w1_call_soon,
             "W2x": w2_call_soon_threadsafe, "W3": w3_round_trips, "W4": w4_yielding_tasks, "W5": w5_sleepers,
             "W6": w6_ping_pong}


def measured(run, lt, n, seed):
    """One measured run after an explicit GC, with the process's CPU per operation."""
    gc.collect()
    cpu = time.process_time()
    r = run(lt, n, seed)
    r["cpu_us_per_op"] = (time.process_time() - cpu) * 1e6 / n
    return r


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("workload", choices=sorted(WORKLOADS))
    p.add_argument("n", type=int)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--warmup-n", type=int, default=None, help="size of each warm-up run (default: n)")
    p.add_argument("--iters", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    out = {"system": "asyncio", "workload": a.workload, "n": a.n,
           "runtime": "CPython " + platform.python_version()}
    run = WORKLOADS[a.workload]
    lt = LoopThread("asyncio-A")
    try:
        for i in range(a.warmup):
            run(lt, a.warmup_n or a.n, a.seed + 1 + i)
        runs = sorted((measured(run, lt, a.n, a.seed) for _ in range(a.iters)), key=lambda r: r[r["primary"]])
        out.update(runs[len(runs) // 2])
    finally:
        lt.close()
        if _loop_b is not None:
            _loop_b.close()
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
