"""The benchmarks' process harness: times one run of a command and measures its peak RSS.

Wall time comes from posix_spawn + wait4, so no wrapper process runs in the timed path and
both tools pay the same spawn cost. Peak RSS comes from /usr/bin/time, not from this
process's rusage of the child: Linux folds the pre-exec address space's high-water mark into
a child's ru_maxrss, so a child spawned from Python never reports less than Python's own RSS
(~10 MB); /usr/bin/time's floor is ~1 MB.
"""

import os
import subprocess
import time

_DEVNULL = os.open(os.devnull, os.O_WRONLY)


def run(argv, quiet_stderr=True):
    """Runs argv once with stdout (and stderr) discarded; returns (seconds, exit code)."""
    actions = [(os.POSIX_SPAWN_DUP2, _DEVNULL, 1)]
    if quiet_stderr:
        actions.append((os.POSIX_SPAWN_DUP2, _DEVNULL, 2))
    started = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
    _, status, _ = os.wait4(pid, 0)
    return time.perf_counter() - started, os.waitstatus_to_exitcode(status)


def peak_rss_kib(argv):
    """Peak resident set size of one run of argv, in KiB."""
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + argv, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    return int(out.stderr.strip().splitlines()[-1])
