"""Use a second processor for the steps of a build that divide cleanly.

`fork_while(there, here)` runs `there` in a forked copy of the process while this process
runs `here`, and returns what `there` made (the child writes it to an unnamed file);
`Forked(there)` starts such a child and lets this process go on until it asks for the
result. The child inherits everything computed so far, so nothing is recomputed or
serialised on the way in; pipeline.py gives it the Monte Carlo runs.
`fork_sharing(items, work, there, here)` does the same, then both processes take items
from one queue until none are left, so neither waits for the other: site.py gives the
child the downloads and this process the other pages, then both make country pages;
validate.py shares the country files to check (this process first imports what
rendering needs, for a build).
Either way the result is exactly the one of running everything in turn.

Forking is skipped where it is unsafe or cannot help: without os.fork (Windows), on one
processor, or with other threads running (`serve`'s web server; serve therefore builds in a
child forked before its threads start, scorecard.serve.BuildProcess). If the child fails for any
reason, `there` runs again here, so an error surfaces as it would without the child.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import struct
import tempfile
import threading
from collections.abc import Callable, Sequence
from typing import BinaryIO, Generic, TypeVar

R = TypeVar("R")
T = TypeVar("T")
W = TypeVar("W")


def fork_while(there: Callable[[], R], here: Callable[[], object]) -> R:
    """Run `there` in a child process and `here` in this one; return `there`'s result."""
    forked = Forked(there)
    try:
        here()
    except BaseException:
        forked.discard()  # wait for the child even if `here` failed
        raise
    return forked.result()


class Forked(Generic[R]):
    """`there`, started in a forked child where that is safe and useful (can_fork), while
    this process goes on; `result()` waits for it and returns what it made. Without a
    child, or if the child failed for any reason, `there` runs here when its result is
    first asked for, so an error surfaces as it would without the child.

    The child pickles its result into an unnamed file (_channel), read once the child has
    ended: through a pipe, the child would wait for this process to read each 64 KiB,
    and tens of megabytes of pages took a thousand switches between the two (0.3 s). The
    pickle streams into the file and out of it, never whole in memory: pickling to bytes
    first and writing them took five times as long for the 58 MB of a build's pages.

    Only the process that started the child waits for it: in a process forked from that
    one later, `result()` runs `there` itself. With `fork=False` there is never a child
    (`there` keeps what it makes in this process for later: serve's Monte Carlo runs).

    `spare`: work the child does after `there`, before its result is written, for what
    it leaves on disk (site.py's compiled templates, in their cache): the child would
    otherwise end while this process is still busy. It is never run without a child,
    and if it fails the result is written all the same.
    """

    def __init__(
        self,
        there: Callable[[], R],
        *,
        fork: bool = True,
        spare: Callable[[], object] | None = None,
    ):
        self._there = there
        self._owner = os.getpid()
        self._pid = 0  # the child, until it has been waited for
        self._status = 1  # the child's exit status, once waited for
        self._channel: BinaryIO | None = None
        self._made: list[R] = []  # the result, once there is one
        if not (fork and can_fork()):
            return
        channel = _channel()
        pid = os.fork()
        if pid == 0:  # the child: compute, write, and leave without running any cleanup
            status = 1
            try:
                made = there()
                if spare is not None:
                    with contextlib.suppress(Exception):  # a head start only: redone if need be
                        spare()
                pickle.dump(made, channel, protocol=pickle.HIGHEST_PROTOCOL)
                channel.flush()
                status = 0
            finally:
                os._exit(status)
        self._pid, self._channel = pid, channel

    def ready(self) -> bool:
        """Whether `result()` would return without waiting for the child."""
        if self._pid and os.getpid() == self._owner:
            pid, status = os.waitpid(self._pid, os.WNOHANG)
            if pid == 0:
                return False
            self._ended(status)
        return True

    def result(self) -> R:
        if not self._made:
            self._wait()
            if self._status == 0 and self._channel is not None:
                self._channel.seek(0)
                self._made.append(pickle.load(self._channel))
            else:
                self._made.append(self._there())
            self._close()
        return self._made[0]

    def discard(self) -> None:
        """Wait for the child, if any, and drop what it made (the work meanwhile failed)."""
        self._wait()
        self._close()

    def _wait(self) -> None:
        if self._pid and os.getpid() == self._owner:
            _, status = os.waitpid(self._pid, 0)
            self._ended(status)

    def _ended(self, status: int) -> None:
        self._pid, self._status = 0, status

    def _close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None

    def __del__(self) -> None:  # never left behind unwaited (a zombie) with its file open
        self.discard()


def _channel() -> BinaryIO:
    """An unnamed file for a child's result: in memory where the system has such files
    (Linux's memfd_create; a temporary file on disk took three times as long to fill),
    else a temporary file."""
    if hasattr(os, "memfd_create"):
        try:
            return os.fdopen(os.memfd_create("scorecard-result"), "w+b")
        except OSError:  # e.g. refused by a sandbox: the temporary file works everywhere
            pass
    return tempfile.TemporaryFile()


# The queue of fork_sharing is a pipe holding one ticket (the 4-byte number of the first of a
# group of items): a read of 4 bytes from a pipe is never split with another reader's, and
# a pipe takes PIPE_BUF bytes (4,096 on Linux, at least 512 by POSIX) without waiting for a
# reader, so the tickets are written before the fork, at most that many bytes of them.
# (Where there is no fork, as on Windows, there is no PIPE_BUF either, and no queue.)
_TICKET = struct.Struct("=I")
_MAX_TICKETS = getattr(select, "PIPE_BUF", 512) // _TICKET.size


def fork_sharing(
    items: Sequence[T],
    work: Callable[[T], W],
    there: Callable[[], R],
    here: Callable[[], object],
) -> tuple[R, list[W]]:
    """Run `there` in a child and `here` in this process, then `work` on every item, each
    process taking the next item from a shared queue as it becomes free. Returns `there`'s
    result and the items' results in the items' order."""
    if not can_fork() or not items:
        here()
        return there(), [work(item) for item in items]
    group = -(-len(items) // _MAX_TICKETS)  # items per ticket
    tickets, writer = os.pipe()
    with os.fdopen(writer, "wb") as pipe:  # closed before anyone reads: the end is seen
        pipe.write(b"".join(_TICKET.pack(n) for n in range(0, len(items), group)))

    def take() -> list[tuple[int, W]]:
        done = []
        while ticket := os.read(tickets, _TICKET.size):
            (start,) = _TICKET.unpack(ticket)
            done += [(n, work(items[n])) for n in range(start, min(start + group, len(items)))]
        return done

    mine: list[tuple[int, W]] = []

    def here_then_take() -> None:
        here()
        mine.extend(take())

    try:
        first, theirs = fork_while(lambda: (there(), take()), here_then_take)
    finally:
        os.close(tickets)
    results = dict(theirs)
    results.update(mine)
    # An item neither process finished (a child that failed after taking it) is done here.
    return first, [results[n] if n in results else work(item) for n, item in enumerate(items)]


def can_fork() -> bool:
    """Whether a forked child can run alongside this process, safely and usefully."""
    return hasattr(os, "fork") and _processors() > 1 and threading.active_count() == 1


def _processors() -> int:
    """The processors this process may run on (its affinity, not the machine's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
