#!/usr/bin/env python3
"""A SIEM collector for the alert-latency benchmark: a TCP syslog listener
(RFC 6587 octet counting, or LF framing) that stamps every message with the
time its last byte arrived and keeps, from its CEF payload, the alert id
(externalId), the class (detection:<detector>) and the event that fired the
alert: the first id of cs6 (Evidence), which holds the member's newest event
ids, the firing one first (Sources/Detection/Alert.swift, CEFMapping.swift).
usage: siem_listener.py PORT_FILE OUT_JSONL [octet_counting|lf]
Listens on 127.0.0.1 on a free port, writes the port to PORT_FILE, runs until
SIGTERM, then writes one JSON object per message to OUT_JSONL."""
import json
import os
import re
import selectors
import signal
import socket
import sys
import time

port_file, out_path = sys.argv[1], sys.argv[2]
framing = sys.argv[3] if len(sys.argv) > 3 else "octet_counting"
KEY_START = re.compile(r" (?=[A-Za-z0-9]+=)")


def unescape(value):
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m.group(1), m.group(1)), value)


def parse_cef(message: bytes):
    text = message.decode("utf-8", "replace")
    start = text.find("CEF:")
    if start < 0:
        return None
    text = text[start:]
    # Seven unescaped '|' end the header.
    fields, current, i, escaped = [], [], 0, False
    while i < len(text) and len(fields) < 7:
        ch = text[i]
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "|":
            fields.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    extension = {}
    for token in KEY_START.split(text[i:]):
        key, sep, value = token.partition("=")
        if sep:
            extension[key] = unescape(value)
    return fields, extension


records = []
stop = False


def on_term(*_):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)

server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 0))
server.listen(16)
server.setblocking(False)
with open(port_file + ".tmp", "w") as f:
    f.write(f"{server.getsockname()[1]}\n")
os.replace(port_file + ".tmp", port_file)

selector = selectors.DefaultSelector()
selector.register(server, selectors.EVENT_READ)
buffers = {}
connections = 0


def take_messages(buf: bytearray):
    """Complete messages at the front of buf, removed from it."""
    messages = []
    while True:
        if framing == "lf":
            end = buf.find(b"\n")
            if end < 0:
                return messages
            messages.append(bytes(buf[:end]))
            del buf[: end + 1]
        else:
            space = buf.find(b" ", 0, 12)
            if space < 0:
                if len(buf) > 12:
                    raise ValueError("not octet-counted framing")
                return messages
            length = int(buf[:space])
            if len(buf) < space + 1 + length:
                return messages
            messages.append(bytes(buf[space + 1 : space + 1 + length]))
            del buf[: space + 1 + length]


while not stop:
    for key, _ in selector.select(timeout=0.2):
        sock = key.fileobj
        if sock is server:
            conn, _ = server.accept()
            conn.setblocking(False)
            selector.register(conn, selectors.EVENT_READ)
            buffers[conn] = bytearray()
            connections += 1
            continue
        try:
            data = sock.recv(1 << 20)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:
            data = b""
        now = time.time_ns()
        if not data:
            selector.unregister(sock)
            sock.close()
            buffers.pop(sock, None)
            continue
        buf = buffers[sock]
        buf += data
        for message in take_messages(buf):
            record = {"recv_ns": now, "bytes": len(message)}
            parsed = parse_cef(message)
            if parsed:
                header, ext = parsed
                record["class"] = header[4] if len(header) > 4 else None
                record["alert_id"] = ext.get("externalId")
                evidence = ext.get("cs6", "") if ext.get("cs6Label") == "Evidence" else ""
                record["firing_event_id"] = evidence.split(",")[0] if evidence else None
                record["evidence_count"] = len(evidence.split(",")) if evidence else 0
                record["rt"] = ext.get("rt")
            records.append(record)

with open(out_path, "w") as f:
    for record in records:
        f.write(json.dumps(record) + "\n")
print(f"siem listener: {len(records)} messages on {connections} connection(s)", file=sys.stderr)
