"""Runs a command and reports the CPU time of it and of every process it started, on fd 3.

Usage: python3 descendants-cpu.py COMMAND [ARG...]; exits with the command's exit code (128 + n for a
signal). This process becomes a child subreaper (Linux prctl PR_SET_CHILD_SUBREAPER), so descendants
orphaned by their parent's exit (a worker still exiting after its node, a node after the CLI) are
re-parented to it instead of to init; it waits for every one of them before it reports. The getrusage
RUSAGE_CHILDREN figure then holds the whole tree's user and system seconds: a process's rusage is added to
its parent's children figure when the parent waits for it, and every descendant is waited for by its
parent or by this subreaper. Prints one line on fd 3: "<user seconds> <system seconds> <wall seconds
from starting the command until it exited (its descendants may outlive it)> <descendants reaped after
the command exited>".
"""
import ctypes
import os
import resource
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def main() -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")
    started = time.monotonic()
    command = subprocess.Popen(sys.argv[1:], pass_fds=())
    code = command.wait()
    wall = time.monotonic() - started
    late = 0
    while True:
        try:
            os.wait()
            late += 1
        except ChildProcessError:
            break
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    with os.fdopen(3, "w") as report:
        report.write(f"{usage.ru_utime:.3f} {usage.ru_stime:.3f} {wall:.4f} {late}\n")
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
