#!/usr/bin/env python3
"""A local archive server for Blackout's download tests.

Serves DIR over HTTP/1.1 on 127.0.0.1 (a port of the kernel's choosing, printed as the first
line of standard output), with byte ranges (RFC 9110 section 14) so that interrupted
downloads can resume, and with faults on chosen paths to play a real archive's bad days:

  --fault PATH=error-once   the first request for PATH gets HTTP 503, the next ones the file
  --fault PATH=cut-once:N   the first request gets the file's full Content-Length but only N
                            bytes, then the connection closes
  --fault PATH=hang         requests for PATH are read and never answered
  --fault PATH=html         PATH answers 200 with an HTML error page
  --fault PATH=error        every request gets HTTP 500

Every request is appended to --log as one line: `GET PATH RANGE STATUS BYTES`.
"""
import argparse
import http.server
import os
import signal
import sys
import threading
import time

lock = threading.Lock()
hits = {}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("--log", required=True)
    parser.add_argument("--fault", action="append", default=[])
    args = parser.parse_args()
    # A test runner may block signals, and children inherit the mask: let SIGTERM end this one.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    faults = {}
    for f in args.fault:
        path, _, kind = f.partition("=")
        faults["/" + path.lstrip("/")] = kind

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in separate writes: without TCP_NODELAY each response waits
        # for the client's delayed ACK (40 ms on Linux).
        disable_nagle_algorithm = True

        def log_message(self, *a):
            pass

        def record(self, status, sent):
            with lock, open(args.log, "a") as log:
                log.write(f"GET {self.path} {self.headers.get('Range', '-')} {status} {sent}\n")

        def fail(self, status, body=b""):
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body)
            self.record(status, len(body))

        def do_GET(self):
            path = self.path.split("?")[0]
            with lock:
                hits[path] = hits.get(path, 0) + 1
                n = hits[path]
            fault = faults.get(path, "")
            if fault == "hang":
                self.record("hang", 0)
                time.sleep(3600)
                return
            if fault == "html":
                return self.fail(200, b"<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body>down</body></html>")
            if fault == "error" or (fault == "error-once" and n == 1):
                return self.fail(503 if fault == "error-once" else 500, b"<html>error</html>")
            local = os.path.join(args.root, path.lstrip("/"))
            if ".." in path or not os.path.isfile(local):
                return self.fail(404, b"<html><title>404 Not Found</title></html>")
            data = open(local, "rb").read()
            start = 0
            rng = self.headers.get("Range")
            if rng and rng.startswith("bytes=") and rng.endswith("-"):
                start = int(rng[6:-1])
                if start >= len(data):
                    return self.fail(416)
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Type", "application/octet-stream")
            if fault.startswith("cut-once:") and n == 1:
                cut = int(fault.split(":")[1])
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body[:cut])
                self.wfile.flush()
                self.record("cut", cut)
                self.close_connection = True
                return
            self.end_headers()
            self.wfile.write(body)
            self.record(206 if start else 200, len(body))

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
