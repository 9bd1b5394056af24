"""Use a second processor for rendering, the one step of a build that divides cleanly.

`fork_while(there, here)` runs `there` in a forked copy of the process while this process
runs `here`, and returns what `there` made (sent back through a pipe). The child inherits
everything computed so far, so nothing is recomputed or serialised on the way in; site.py
gives it the downloads and half of the country pages. The result is exactly the one of
running both in turn.

Forking is skipped where it is unsafe or cannot help: without os.fork (Windows), on one
processor, or with other threads running (`serve`'s web server; serve therefore builds in a
child forked before its threads start, scorecard.serve.BuildProcess). If the child fails for any
reason, `there` runs again here, so an error surfaces as it would without the child.
"""

from __future__ import annotations

import os
import pickle
import threading
from collections.abc import Callable
from typing import TypeVar

R = TypeVar("R")


def fork_while(there: Callable[[], R], here: Callable[[], object]) -> R:
    """Run `there` in a child process and `here` in this one; return `there`'s result."""
    if not can_fork():
        here()
        return there()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, and leave without running any cleanup
        status = 1
        try:
            os.close(read)
            payload = pickle.dumps(there(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write, "wb") as pipe:
                pipe.write(payload)
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    try:
        here()
    finally:  # take the child's output even if `here` failed: the child waits for that
        with os.fdopen(read, "rb") as pipe:
            payload = pipe.read()
        _, status = os.waitpid(pid, 0)
    if status != 0:
        return there()
    return pickle.loads(payload)  # type: ignore[no-any-return]


def can_fork() -> bool:
    """Whether a forked child can run alongside this process, safely and usefully."""
    return hasattr(os, "fork") and _processors() > 1 and threading.active_count() == 1


def _processors() -> int:
    """The processors this process may run on (its affinity, not the machine's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
