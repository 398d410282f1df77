#!/usr/bin/env python3
"""Helpers of Benchmarks/remote.sh (standard library only, except s3-size, which
needs boto3 and runs with the venv's python).

  remote_tools.py free-port
      A TCP port on 127.0.0.1 that is free now.

  remote_tools.py proxy --upstream PORT --port-file FILE --log FILE
      A counting HTTP/1.1 proxy on 127.0.0.1 (a free port, written to FILE) in
      front of 127.0.0.1:PORT. Bytes are relayed as they come (keep-alive,
      100-continue and pipelining pass through); each exchange is parsed on the
      side to log one line: method, target, status, request body bytes,
      response body bytes (tab-separated). Runs until killed.

  remote_tools.py count-moto LOG --from N --prefix BUCKET/PREFIX
      Requests in moto_server's log after line N whose path is under
      BUCKET/PREFIX (or that list it). Prints key=value pairs: requests,
      per method, lists, pack_lists (listings that cover PREFIX/packs/).

  remote_tools.py count-proxy LOG --from N
      Sums the proxy's lines after line N: requests, bytes_up, bytes_down,
      index_down (GETs of .../index/...), pack_down (GETs of .../packs/...),
      list_down (listings), other_down.

  remote_tools.py s3-size --endpoint URL --bucket B --prefix P
      Objects and bytes under P (boto3, paged). Prints "<objects> <bytes>".

  remote_tools.py change-files DIR --every K --seed S
      Rewrites every K-th file of DIR (sorted by path) with new random bytes of
      the same size. Prints "<files> <bytes>".

  remote_tools.py pick-paths DIR --every K [--offset O] --prefix P --out FILE
      Every K-th file of DIR (sorted), from the O-th on, written as
      P/<relative path> one per line to FILE. Prints "<files> <bytes>".
"""
import argparse
import os
import random
import re
import socket
import sys
import threading
import urllib.parse
from collections import Counter


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ----------------------------------------------------------------- proxy ----

class MessageParser:
    """Incremental HTTP/1.1 message framing for one direction of a connection.

    feed(data) is called with every chunk relayed; complete messages are
    reported through on_message(head_line, headers, body_bytes)."""

    def __init__(self, is_response, on_head, on_message):
        self.is_response = is_response
        self.on_head = on_head          # (first_line, headers) -> "no body" flag for responses
        self.on_message = on_message
        self.buf = b""
        self.state = "head"
        self.remaining = 0
        self.body = 0
        self.line = None
        self.headers = None

    def feed(self, data):
        self.buf += data
        while True:
            if self.state == "head":
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = self.buf[:end].decode("latin-1").split("\r\n")
                self.buf = self.buf[end + 4:]
                self.line = head[0]
                self.headers = {}
                for h in head[1:]:
                    k, _, v = h.partition(":")
                    self.headers[k.strip().lower()] = v.strip()
                self.body = 0
                no_body = self.on_head(self.line, self.headers)
                if self.is_response and self.line.split(" ")[1].startswith("1"):
                    continue  # 100 Continue: an interim answer, no body, not the response
                if no_body:
                    self.finish()
                elif "chunked" in self.headers.get("transfer-encoding", "").lower():
                    self.state = "chunk-size"
                elif "content-length" in self.headers:
                    self.remaining = int(self.headers["content-length"])
                    if self.remaining:
                        self.state = "body"
                    else:
                        self.finish()
                elif self.is_response:
                    self.state = "to-eof"
                else:
                    self.finish()
            elif self.state in ("body", "chunk-data"):
                n = min(self.remaining, len(self.buf))
                self.body += n
                self.remaining -= n
                self.buf = self.buf[n:]
                if self.remaining:
                    return
                if self.state == "body":
                    self.finish()
                else:
                    self.state = "chunk-crlf"
            elif self.state == "chunk-crlf":
                if len(self.buf) < 2:
                    return
                self.buf = self.buf[2:]
                self.state = "chunk-size"
            elif self.state == "chunk-size":
                end = self.buf.find(b"\r\n")
                if end < 0:
                    return
                size = int(self.buf[:end].split(b";")[0], 16)
                self.buf = self.buf[end + 2:]
                if size == 0:
                    self.state = "trailer"
                else:
                    self.remaining = size
                    self.state = "chunk-data"
            elif self.state == "trailer":
                end = self.buf.find(b"\r\n")
                if end < 0:
                    return
                self.buf = self.buf[end + 2:]
                if end == 0:
                    self.finish()
            elif self.state == "to-eof":
                self.body += len(self.buf)
                self.buf = b""
                return

    def finish(self):
        self.on_message(self.line, self.headers, self.body)
        self.state = "head"

    def eof(self):
        if self.state == "to-eof":
            self.finish()


def proxy(upstream, port_file, log_path):
    log = open(log_path, "a", buffering=1)
    log_lock = threading.Lock()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(listener.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)

    def serve(client):
        try:
            server = socket.create_connection(("127.0.0.1", upstream))
        except OSError:
            client.close()
            return
        pending = []          # requests seen, waiting for their responses: [method, target, body]
        cond = threading.Condition()

        def on_request_head(line, headers):
            with cond:
                pending.append([line.split(" ")[0], line.split(" ")[1], 0, False])
                cond.notify_all()
            return False

        def on_request(line, headers, body):
            with cond:
                for p in pending:
                    if not p[3]:
                        p[2] = body
                        p[3] = True
                        break

        def on_response_head(line, headers):
            with cond:
                while not pending:
                    cond.wait(1)
                method = pending[0][0]
            status = line.split(" ")[1]
            return method == "HEAD" or status in ("204", "304")

        def on_response(line, headers, body):
            with cond:
                method, target, up, _ = pending.pop(0) if pending else ("?", "?", 0, True)
            with log_lock:
                log.write("%s\t%s\t%s\t%d\t%d\n" % (method, target, line.split(" ")[1], up, body))

        req = MessageParser(False, on_request_head, on_request)
        resp = MessageParser(True, on_response_head, on_response)

        def pump(src, dst, parser):
            try:
                while True:
                    data = src.recv(1 << 20)
                    if not data:
                        break
                    parser.feed(data)
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                parser.eof()
                for s in (dst, src):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        t = threading.Thread(target=pump, args=(client, server, req), daemon=True)
        t.start()
        pump(server, client, resp)
        t.join()
        client.close()
        server.close()

    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


# -------------------------------------------------------------- counting ----

MOTO_LINE = re.compile(r'"([A-Z]+) (\S+) HTTP/1\.[01]" (\d+)')


def covers_packs(target, bucket, prefix):
    """Whether a listing request (GET /bucket?list-type=2&prefix=...) can return keys under prefix/packs/."""
    url = urllib.parse.urlsplit(target)
    if url.path.strip("/") != bucket:
        return False
    q = urllib.parse.parse_qs(url.query, keep_blank_values=True)
    p = q.get("prefix", [""])[0]
    packs = prefix.rstrip("/") + "/packs/"
    return packs.startswith(p) or p.startswith(packs)


def is_list(method, target):
    url = urllib.parse.urlsplit(target)
    q = urllib.parse.parse_qs(url.query, keep_blank_values=True)
    return method == "GET" and ("list-type" in q or (url.path.strip("/").count("/") == 0 and "uploads" not in q and "location" not in q))


def count_moto(path, start, where):
    bucket, _, prefix = where.partition("/")
    c = Counter()
    with open(path, errors="replace") as f:
        for i, line in enumerate(f, 1):
            if i <= start:
                continue
            m = MOTO_LINE.search(line)
            if not m:
                continue
            method, target = m.group(1), m.group(2)
            path_part = urllib.parse.unquote(urllib.parse.urlsplit(target).path).lstrip("/")
            listing = is_list(method, target)
            if listing:
                q = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query, keep_blank_values=True)
                lp = q.get("prefix", [""])[0]
                if path_part.strip("/") != bucket or not (lp.startswith(prefix) or prefix.startswith(lp)):
                    continue
            elif not path_part.startswith(bucket + "/" + prefix):
                continue
            c["requests"] += 1
            c[method] += 1
            if listing:
                c["lists"] += 1
                if covers_packs(target, bucket, prefix):
                    c["pack_lists"] += 1
    c.setdefault("requests", 0)
    c.setdefault("lists", 0)
    c.setdefault("pack_lists", 0)
    print(" ".join("%s=%d" % kv for kv in sorted(c.items())))


def count_proxy(path, start):
    c = Counter(requests=0, bytes_up=0, bytes_down=0, index_down=0, pack_down=0, list_down=0, other_down=0)
    with open(path) as f:
        for i, line in enumerate(f, 1):
            if i <= start:
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 5:
                continue
            method, target, status, up, down = parts[0], parts[1], parts[2], int(parts[3]), int(parts[4])
            c["requests"] += 1
            c["bytes_up"] += up
            c["bytes_down"] += down
            p = urllib.parse.urlsplit(target).path
            if method == "GET" and is_list(method, target):
                c["list_down"] += down
            elif method == "GET" and "/index/" in p:
                c["index_down"] += down
            elif method == "GET" and "/packs/" in p:
                c["pack_down"] += down
            else:
                c["other_down"] += down
    print(" ".join("%s=%d" % kv for kv in sorted(c.items())))


def s3_size(endpoint, bucket, prefix):
    import boto3
    s3 = boto3.client("s3", endpoint_url=endpoint)
    n = b = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            n += 1
            b += o["Size"]
    print(n, b)


def files_of(root):
    out = []
    for d, _, names in os.walk(root):
        for n in names:
            out.append(os.path.join(d, n))
    return sorted(out, key=lambda p: os.fsencode(p))


def change_files(root, every, seed):
    rng = random.Random(seed)
    n = b = 0
    for i, p in enumerate(files_of(root)):
        if i % every:
            continue
        size = os.path.getsize(p)
        os.unlink(p)  # a new file, never written through a link another tool may hold
        with open(p, "wb") as f:
            f.write(rng.randbytes(size))
        n += 1
        b += size
    print(n, b)


def pick_paths(root, every, offset, prefix, out):
    n = b = 0
    with open(out, "w") as f:
        for i, p in enumerate(files_of(root)):
            if i < offset or (i - offset) % every:
                continue
            f.write(os.path.join(prefix, os.path.relpath(p, root)) + "\n")
            n += 1
            b += os.path.getsize(p)
    print(n, b)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("free-port")
    p = sub.add_parser("proxy")
    p.add_argument("--upstream", type=int, required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p = sub.add_parser("count-moto")
    p.add_argument("log")
    p.add_argument("--from", dest="start", type=int, default=0)
    p.add_argument("--prefix", required=True)
    p = sub.add_parser("count-proxy")
    p.add_argument("log")
    p.add_argument("--from", dest="start", type=int, default=0)
    p = sub.add_parser("s3-size")
    p.add_argument("--endpoint", required=True)
    p.add_argument("--bucket", required=True)
    p.add_argument("--prefix", default="")
    for name in ("change-files", "pick-paths"):
        p = sub.add_parser(name)
        p.add_argument("dir")
        p.add_argument("--every", type=int, default=100)
        p.add_argument("--seed", type=int, default=1)
        p.add_argument("--offset", type=int, default=0)
        p.add_argument("--prefix", default="")
        p.add_argument("--out")
    a = ap.parse_args()
    if a.cmd == "free-port":
        print(free_port())
    elif a.cmd == "proxy":
        proxy(a.upstream, a.port_file, a.log)
    elif a.cmd == "count-moto":
        count_moto(a.log, a.start, a.prefix)
    elif a.cmd == "count-proxy":
        count_proxy(a.log, a.start)
    elif a.cmd == "s3-size":
        s3_size(a.endpoint, a.bucket, a.prefix)
    elif a.cmd == "change-files":
        change_files(a.dir, a.every, a.seed)
    elif a.cmd == "pick-paths":
        pick_paths(a.dir, a.every, a.offset, a.prefix, a.out)


if __name__ == "__main__":
    sys.exit(main())
