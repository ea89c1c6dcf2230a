#!/usr/bin/env python3
"""CPython asyncio's peer in the echo harness (benchmarks/run-echo.sh): asyncio streams echo, stdlib only.

    python3 echo_asyncio.py --port 9000 [--procs 2] [--host 127.0.0.1]

Each connection: `data = await reader.read(65536)`, `writer.write(data)`, `await writer.drain()`, until EOF:
asyncio's streams with their default limit (64 KiB) and backpressure. --procs processes, each an asyncio loop
on its own SO_REUSEPORT socket (see http_asyncio.py).
"""
import asyncio
import sys

from http_asyncio import serve_in_processes


async def echo(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


if __name__ == "__main__":
    sys.exit(serve_in_processes(__doc__.splitlines()[0], "asyncio echo", echo, 2**16))
