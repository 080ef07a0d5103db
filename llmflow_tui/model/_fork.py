"""Run one function in a forked child process and collect its pickled result.

Loading is CPU-bound Python, so the GIL rules out threads; a forked child starts in a few
milliseconds with every module already imported, where a spawned interpreter needs a hundred.
Only on Linux (fork without exec is unsafe on macOS), only with more than one CPU, and never
when ``LLMFLOW_NO_PARALLEL`` is set. The child touches no locks, no terminal and no files other
than its pipe, and leaves with ``os._exit``; any failure in it makes ``result`` raise, and the
caller then does the work itself.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import warnings
from collections.abc import Callable
from typing import Any


def available() -> bool:
    return (
        sys.platform.startswith("linux")
        and hasattr(os, "fork")
        and (os.cpu_count() or 1) > 1
        and not os.environ.get("LLMFLOW_NO_PARALLEL")
    )


class Forked:
    """``fn(*args)`` running in a child process; ``result()`` waits for and returns its value."""

    __slots__ = ("_pid", "_fd", "_done")

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        r, w = os.pipe()
        with warnings.catch_warnings():
            # Python 3.12+ warns about forking a process that has threads; the child runs
            # only our own code, which takes no lock another thread could hold.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child, reported through the pipe
            code = 1
            try:
                os.close(r)
                try:
                    signal.set_wakeup_fd(-1)  # the parent's event loop owns that pipe
                except (ValueError, OSError):
                    pass
                data = memoryview(pickle.dumps(fn(*args), protocol=pickle.HIGHEST_PROTOCOL))
                while data:
                    data = data[os.write(w, data) :]
                code = 0
            except BaseException:
                pass
            finally:
                os._exit(code)
        os.close(w)
        self._pid = pid
        self._fd = r
        self._done = False

    def result(self) -> Any:
        """The child's return value; raises ``RuntimeError`` if it failed."""
        if self._done:
            raise RuntimeError("helper process already collected")
        self._done = True
        chunks = []
        try:
            while True:
                chunk = os.read(self._fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            os.close(self._fd)
            _pid, status = os.waitpid(self._pid, 0)
        if status != 0 or not chunks:
            raise RuntimeError(f"helper process failed (status {status})")
        return pickle.loads(b"".join(chunks))

    def cancel(self) -> None:
        """Stop the child (nothing to do once its result was collected: its pid and pipe may
        belong to someone else by then)."""
        if self._done:
            return
        self._done = True
        try:
            os.kill(self._pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.close(self._fd)
        except OSError:
            pass
        try:
            os.waitpid(self._pid, 0)
        except OSError:
            pass
