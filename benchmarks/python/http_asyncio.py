#!/usr/bin/env python3
"""CPython asyncio's peer in the HTTP harness (benchmarks/run-http.sh): GET /sleep?ms=N, stdlib only.

    python3 http_asyncio.py --port 8080 [--procs 2] [--host 127.0.0.1]

Answers 200 {"slept_ms":N} after `await asyncio.sleep(N / 1000)` (at once for 0), with a minimal HTTP/1.1
parser: keep-alive unless the request says `Connection: close` (or is HTTP/1.0 without keep-alive), a
Content-Length body read and dropped, no chunked bodies, no pipelining beyond reading requests in order.
--procs processes (default 2: this one and a forked child), each an asyncio loop on its own socket bound with
SO_REUSEPORT, so the kernel spreads connections over them. The backlog is the kernel's somaxconn, as Netty's
default (asyncio's own default is 100).
"""
import argparse
import asyncio
import ctypes
import os
import signal
import socket
import sys

HEAD_LIMIT = 8192


def somaxconn():
    try:
        with open("/proc/sys/net/core/somaxconn") as f:
            return int(f.read())
    except (OSError, ValueError):
        return socket.SOMAXCONN


def response(status, body, keep_alive):
    return (b"HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s"
            % (status, len(body), b"" if keep_alive else b"Connection: close\r\n", body))


def sleep_ms(query):
    for pair in query.split(b"&"):
        if pair.startswith(b"ms="):
            try:
                ms = int(pair[3:])
            except ValueError:
                return -1
            return ms if 0 <= ms <= 60_000 else -1
    return -1


async def serve(reader, writer):
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            except asyncio.LimitOverrunError:
                writer.write(response(b"431 Request Header Fields Too Large", b"{}", False))
                return
            lines = head.split(b"\r\n")
            parts = lines[0].split(b" ")
            if len(parts) != 3:
                writer.write(response(b"400 Bad Request", b'{"error":"bad request line"}', False))
                return
            method, target, version = parts
            keep_alive = version == b"HTTP/1.1"
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"connection":
                    value = value.strip().lower()
                    if value == b"close":
                        keep_alive = False
                    elif value == b"keep-alive":
                        keep_alive = True
                elif name == b"content-length":
                    length = int(value)
            if length:
                await reader.readexactly(length)
            path, _, query = target.partition(b"?")
            if method != b"GET" or path != b"/sleep":
                writer.write(response(b"404 Not Found", b'{"error":"not found"}', keep_alive))
            else:
                ms = sleep_ms(query)
                if ms < 0:
                    writer.write(response(b"400 Bad Request", b'{"error":"ms must be in [0, 60000]"}', keep_alive))
                else:
                    if ms:
                        await asyncio.sleep(ms / 1000)
                    writer.write(response(b"200 OK", b'{"slept_ms":%d}' % ms, keep_alive))
            await writer.drain()
            if not keep_alive:
                return
    except (ConnectionError, asyncio.IncompleteReadError, ValueError):
        pass
    finally:
        writer.close()


async def main_async(host, port, handler, limit):
    server = await asyncio.start_server(handler, host, port, reuse_port=True, backlog=somaxconn(), limit=limit)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def serve_in_processes(description, banner, handler, limit):
    """Parses --host/--port/--procs and serves `handler` (asyncio.start_server's callback) in --procs processes."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--procs", type=int, default=2)
    args = p.parse_args()
    children = []
    for _ in range(args.procs - 1):
        pid = os.fork()
        if pid == 0:
            # A child dies with its parent (PR_SET_PDEATHSIG = 1), however the parent ends.
            try:
                ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
            except (OSError, AttributeError):
                pass
            asyncio.run(main_async(args.host, args.port, handler, limit))
            os._exit(0)
        children.append(pid)
    print(f"{banner} listening on {args.host}:{args.port} with {args.procs} processes (SO_REUSEPORT)", flush=True)
    try:
        asyncio.run(main_async(args.host, args.port, handler, limit))
    finally:
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass


def main():
    serve_in_processes(__doc__.splitlines()[0], "asyncio http", serve, HEAD_LIMIT)


if __name__ == "__main__":
    sys.exit(main())
