#!/usr/bin/env python3
"""A local stand-in for RIPE's RIS Live WebSocket server, for Blackout's tests.

    python3 ris_live_server.py --stream FILE [--log FILE] [--subscriptions N] [--ping-interval S]

Listens on 127.0.0.1 on a free port and prints "PORT <n>" on its first line. On each
connection it waits for N `ris_subscribe` messages (10 s at most), then sends the stream
file's lines, one text message per line, verbatim (a truncated line stays truncated). It
answers {"type":"ping"} with {"type":"pong"}, pings the client at the WebSocket level every
--ping-interval seconds and drops a client that does not answer in as long. The stream goes on
across connections from where the last one stopped. Lines starting with "#!" are directives:

    #!drop      abort the connection here (no close frame); the lines up to "#!resume" are lost
                (sent while the client was away); the next connection starts after "#!resume"
    #!resume    see #!drop
    #!silence   send nothing more on this connection (it stays open until the client leaves);
                the next connection goes on after this line
    #!sleep S   wait S seconds
    #!end       the stream is over: the connection stays open, pings are still answered

With --log, every connection, message received and directive is appended to FILE as one
JSON object per line: {"connection": n, "event": "open"} or {"connection": n, "received": text}.
Needs the `websockets` package (pip install websockets).
"""
import argparse
import asyncio
import json
import signal

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stream", required=True)
    ap.add_argument("--log")
    ap.add_argument("--subscriptions", type=int, default=1)
    ap.add_argument("--ping-interval", type=float, default=20.0)
    args = ap.parse_args()
    # A parent that ignores these (a test runner) must still be able to stop the server.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    with open(args.stream, encoding="utf-8", errors="surrogateescape") as f:
        lines = f.read().split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    asyncio.run(run(args, lines))


async def run(args, lines):
    state = {"pos": 0, "connections": 0}
    log = open(args.log, "a", encoding="utf-8") if args.log else None

    def record(obj):
        if log:
            log.write(json.dumps(obj) + "\n")
            log.flush()

    async def handler(ws):
        state["connections"] += 1
        n = state["connections"]
        record({"connection": n, "event": "open"})
        subscribed = asyncio.Event()
        count = 0

        async def reader():
            nonlocal count
            try:
                async for msg in ws:
                    record({"connection": n, "received": msg})
                    try:
                        m = json.loads(msg)
                    except ValueError:
                        continue
                    if m.get("type") == "ris_subscribe":
                        count += 1
                        if count >= args.subscriptions:
                            subscribed.set()
                    elif m.get("type") == "ping":
                        await ws.send('{"type":"pong"}')
            except ConnectionClosed:
                pass
            record({"connection": n, "event": "closed"})

        reading = asyncio.create_task(reader())
        try:
            await asyncio.wait_for(subscribed.wait(), 10)
        except (asyncio.TimeoutError, TimeoutError):
            record({"connection": n, "event": "no subscription"})
            await ws.close()
            return
        try:
            while state["pos"] < len(lines):
                line = lines[state["pos"]]
                state["pos"] += 1
                if line == "#!drop":
                    while state["pos"] < len(lines) and lines[state["pos"]] != "#!resume":
                        state["pos"] += 1
                    state["pos"] += 1
                    record({"connection": n, "event": "drop"})
                    ws.transport.abort()
                    return
                if line == "#!silence":
                    record({"connection": n, "event": "silence"})
                    break
                if line.startswith("#!sleep "):
                    await asyncio.sleep(float(line.split()[1]))
                    continue
                if line == "#!end":
                    record({"connection": n, "event": "end"})
                    break
                if line.startswith("#!"):
                    continue
                await ws.send(line)
        except ConnectionClosed:
            pass
        await reading

    async with serve(handler, "127.0.0.1", 0, ping_interval=args.ping_interval, ping_timeout=args.ping_interval,
                     max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"PORT {port}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    main()
