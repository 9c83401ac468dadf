#!/usr/bin/env python3
"""Runs one command and measures it: wall time from just before the start
to its exit, its CPU time (user and system, its children included) and peak
resident memory, from wait4. Its standard error goes to LOG, each line
prefixed with the seconds since the start at which it arrived (so a worker's
log shows when the consumer group assigned partitions); its standard output
goes to OUT. SIGTERM and SIGINT are passed on to it; --timeout sends SIGTERM
after that many seconds, then SIGKILL 30 s later.
usage: run_timed.py --result JSON [--log LOG] [--out OUT] [--t0 NS] [--timeout S] -- COMMAND...
Exits with the command's status (128 + signal number if a signal ended it).
JSON: command, exit, wall_s, user_s, sys_s, maxrss_mb, timed_out."""
import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time

parser = argparse.ArgumentParser()
parser.add_argument("--result", required=True)
parser.add_argument("--log", default=os.devnull)
parser.add_argument("--out", default=os.devnull)
parser.add_argument("--t0", type=int)
parser.add_argument("--timeout", type=float)
parser.add_argument("command", nargs=argparse.REMAINDER)
args = parser.parse_args()
command = args.command[1:] if args.command[:1] == ["--"] else args.command
if not command:
    sys.exit("run_timed: no command")

out = open(args.out, "wb")
log = open(args.log, "w")
t0 = args.t0 / 1e9 if args.t0 else time.time()
child = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)


def forward(signum, _frame):
    try:
        child.send_signal(signum)
    except ProcessLookupError:
        pass


signal.signal(signal.SIGTERM, forward)
signal.signal(signal.SIGINT, forward)


def copy_stderr():
    for line in child.stderr:
        log.write(f"{time.time() - t0:9.3f} {line.decode('utf-8', 'replace')}")
        log.flush()


reader = threading.Thread(target=copy_stderr, daemon=True)
reader.start()

timed_out = False


def on_timeout():
    global timed_out
    timed_out = True
    forward(signal.SIGTERM, None)
    time.sleep(30)
    try:
        child.kill()
    except ProcessLookupError:
        pass


if args.timeout:
    timer = threading.Timer(args.timeout, on_timeout)
    timer.daemon = True
    timer.start()

while True:
    try:
        _, status, usage = os.wait4(child.pid, 0)
        break
    except InterruptedError:
        continue
end = time.time()
child.returncode = 0  # reaped here; keep Popen from waiting again
reader.join(timeout=5)
code = os.waitstatus_to_exitcode(status)
code = 128 - code if code < 0 else code
with open(args.result, "w") as f:
    json.dump({
        "command": command[0], "exit": code, "wall_s": round(end - t0, 3), "user_s": round(usage.ru_utime, 3),
        "sys_s": round(usage.ru_stime, 3), "maxrss_mb": round(usage.ru_maxrss / 1024, 1), "timed_out": timed_out,
    }, f)
sys.exit(code)
