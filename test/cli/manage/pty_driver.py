"""Runs a command in a real pseudo-terminal and plays a conversation with it.

Usage: pty_driver.py SCRIPT_JSON -- COMMAND [ARGS...]
SCRIPT_JSON: [["expect text", "send text"], ...]; each step waits (10 s max) until the
output so far contains "expect text", then types "send text". Prints one JSON document:
{"code": exit status, "output": everything the terminal showed, "timed_out": step or null}.
"""
import json
import os
import pty
import select
import sys
import time


def main():
    sep = sys.argv.index("--")
    script = json.loads(sys.argv[1])
    cmd = sys.argv[sep + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    out = b""
    timed_out = None

    def pump(timeout):
        nonlocal out
        r, _, _ = select.select([fd], [], [], timeout)
        if not r:
            return True
        try:
            data = os.read(fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        out += data
        return True

    searched = 0
    for i, (expect, send) in enumerate(script):
        deadline = time.time() + 10
        while expect.encode() not in out[searched:]:
            if time.time() > deadline or not pump(0.1):
                timed_out = i
                break
        if timed_out is not None:
            break
        searched = out.index(expect.encode(), searched) + len(expect.encode())
        time.sleep(0.05)
        os.write(fd, send.encode())
    deadline = time.time() + 30
    while time.time() < deadline and pump(0.2):
        pass
    try:
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
    except ChildProcessError:
        code = None
    print(json.dumps({"code": code, "output": out.decode("utf-8", "replace"), "timed_out": timed_out}))


main()
