#!/usr/bin/env python3
"""Keep-alive client for run.sh: N GETs of PATH to 127.0.0.1:PORT, each
answer read whole (Content-Length or chunked) before the next request."""
import socket
import sys

port, path, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port))
req = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: user=ada\r\n\r\n".encode()
buf = b""
for _ in range(n):
    s.sendall(req)
    while True:
        i = buf.find(b"\r\n\r\n")
        if i >= 0:
            head = buf[:i].decode("latin1").lower()
            if "transfer-encoding: chunked" in head:
                while b"\r\n0\r\n\r\n" not in buf[i:]:
                    buf += s.recv(65536)
                end = buf.index(b"\r\n0\r\n\r\n", i) + 7
            else:
                length = [l.split(":")[1] for l in head.split("\r\n") if l.startswith("content-length")]
                end = i + 4 + int(length[0])
                while len(buf) < end:
                    buf += s.recv(65536)
            buf = buf[end:]
            break
        buf += s.recv(65536)
s.close()
