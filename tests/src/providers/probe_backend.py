#!/usr/bin/env python3
"""A backend whose readiness probe misbehaves on purpose, for the local
provider's tests: the first BAD connections get MODE, later ones 200.

  status  answer "HTTP/1.1 503 Service Unavailable"
  eof     read the request, close without a word
  hang    read the request, answer nothing, keep the connection open

Before answering a connection it writes how many it has seen to COUNT_FILE
(written whole, then renamed), so a test can wait for "N probes seen".
Usage: probe_backend.py PORT MODE BAD COUNT_FILE
"""
import os
import socket
import sys

port, mode, bad, count_file = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(16)
held = []
seen = 0
while True:
    conn, _ = srv.accept()
    seen += 1
    conn.settimeout(5)
    try:
        conn.recv(4096)
    except OSError:
        pass
    # Counted before answering: whoever sees the answer sees the count.
    with open(count_file + ".tmp", "w") as f:
        f.write(str(seen))
    os.rename(count_file + ".tmp", count_file)
    if seen > bad:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        conn.close()
    elif mode == "status":
        conn.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
        conn.close()
    elif mode == "eof":
        conn.close()
    else:
        held.append(conn)
