#!/usr/bin/env python3
"""A local webhook receiver for Blackout's alert tests (Python 3 standard library only).

Listens on 127.0.0.1 (--port, or a port of the kernel's choosing), prints the port as the
first line of standard output, and answers POSTs:

  --fail N      the first N requests get HTTP 500, the next ones 200
  --hang N      the first N requests are read and never answered (the connection stays open)
  --status S    every request (after those above) gets HTTP S instead of 200, such as 404

Every request is appended to --log as one JSON object per line:
{"path": ..., "idempotency_key": ..., "content_type": ..., "status": <answer, or null when hung>,
 "body": <the JSON body parsed, or the raw text when it is not JSON>}.
"""
import argparse
import http.server
import json
import signal
import threading
import time

lock = threading.Lock()
count = [0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fail", type=int, default=0)
    parser.add_argument("--hang", type=int, default=0)
    parser.add_argument("--status", type=int, default=200)
    args = parser.parse_args()
    # A test runner may block signals, and children inherit the mask: let SIGTERM end this one.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *a):
            pass

        def record(self, status, raw):
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
            entry = {"path": self.path, "idempotency_key": self.headers.get("Idempotency-Key"),
                     "content_type": self.headers.get("Content-Type"), "status": status, "body": body}
            with lock, open(args.log, "a") as log:
                log.write(json.dumps(entry) + "\n")

        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                count[0] += 1
                n = count[0]
            if n <= args.hang:
                self.record(None, raw)
                time.sleep(3600)
                return
            status = 500 if n <= args.hang + args.fail else args.status
            self.record(status, raw)
            text = b'{"ok": true}' if status < 300 else b'{"error": "told to fail"}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

    class Server(http.server.ThreadingHTTPServer):
        allow_reuse_address = True
        daemon_threads = True

    server = Server(("127.0.0.1", args.port), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
