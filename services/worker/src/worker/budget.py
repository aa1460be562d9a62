"""A parse budget: run a CPU-heavy pure function where it can be stopped.

lexbor takes seconds on some pathological documents, and a native crash cannot
be caught in Python. So the function runs in a pool of child processes, each
with an address-space limit (RLIMIT_AS) and a per-call CPU limit (RLIMIT_CPU),
and the caller waits with a wall-clock deadline. A call that overruns any of
them, or whose process dies, fails with ``ProcessingError("processing_limit")``;
that process is killed and replaced, and the event loop never blocks on it.

    budget = ParseBudget(timeout=10, memory_bytes=1 << 30, workers=2)
    article = await budget.run(extract_article, html, url)
    await budget.close()

``fn`` and its arguments must be picklable (a module-level function). Children
are started with ``spawn``: forking a process that runs an event loop and
threads is unsafe. That means the program's ``__main__`` must be guarded by
``if __name__ == "__main__":``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing
import resource
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from jobcore.errors import JobFailure, ProcessingError

T = TypeVar("T")

_CTX = multiprocessing.get_context("spawn")
_STARTED = "started"
# Starting a process and importing the function's module is not the document's
# fault, so it has its own, generous deadline before the budget's clock starts.
STARTUP_SECONDS = 30.0


def _serve(conn: Connection, memory_bytes: int, cpu_seconds: float) -> None:
    """Child process: apply limits, then answer calls until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        fn, args = message  # unpickling imported fn's module: not part of the budget
        conn.send(_STARTED)
        # RLIMIT_CPU counts the process's whole life, so each call gets
        # "what was used so far + its budget"; overrunning it sends SIGXCPU.
        usage = resource.getrusage(resource.RUSAGE_SELF)
        soft = math.ceil(usage.ru_utime + usage.ru_stime + cpu_seconds)
        if cpu_hard != resource.RLIM_INFINITY:
            soft = min(soft, cpu_hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, cpu_hard))
        conn.send(_call(fn, args))


def _call(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[str, Any, str]:
    try:
        return ("ok", fn(*args), "")
    except MemoryError:
        return ("limit", None, "the parser ran out of memory")
    except RecursionError:
        return ("limit", None, "the document is nested too deeply")
    except JobFailure as exc:  # the function's own verdict, e.g. empty_content
        return ("failure", exc.code, exc.message)
    except Exception as exc:
        return ("error", None, type(exc).__name__)


class _Worker:
    def __init__(self, memory_bytes: int, cpu_seconds: float) -> None:
        self.conn, child = _CTX.Pipe()
        self.proc = _CTX.Process(
            target=_serve, args=(child, memory_bytes, cpu_seconds), daemon=True
        )
        self.proc.start()
        child.close()

    def start(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        """Blocking; runs on the budget's own threads, never on the loop."""
        self.conn.send((fn, args))
        if self.conn.recv() != _STARTED:
            raise EOFError("worker protocol error")

    def result(self) -> tuple[str, Any, str]:
        result: tuple[str, Any, str] = self.conn.recv()
        return result

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.conn.close()

    async def stop(self) -> None:
        with contextlib.suppress(OSError):  # already gone is fine
            self.conn.send(None)
        await asyncio.to_thread(self.proc.join, 2)
        self.kill()
        await asyncio.to_thread(self.proc.join, 2)


class ParseBudget:
    """At most ``workers`` concurrent calls, each in its own limited process."""

    def __init__(
        self,
        timeout: float,
        memory_bytes: int,
        workers: int,
        *,
        cpu_seconds: float | None = None,
    ) -> None:
        if workers < 1 or timeout <= 0 or memory_bytes <= 0:
            raise ValueError("ParseBudget needs workers >= 1 and positive limits")
        self._timeout = timeout
        self._memory = memory_bytes
        self._cpu = cpu_seconds if cpu_seconds is not None else timeout
        self._slots = asyncio.Semaphore(workers)
        self._idle: list[_Worker] = []
        # Own threads: a blocked recv must never starve the loop's default
        # executor, which also runs DNS lookups.
        self._threads = ThreadPoolExecutor(workers, thread_name_prefix="parse-budget")
        self._closed = False

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._closed:
            raise RuntimeError("ParseBudget is closed")
        async with self._slots:
            worker = await self._checkout()
            loop = asyncio.get_running_loop()
            try:
                await asyncio.wait_for(
                    loop.run_in_executor(self._threads, worker.start, fn, args), STARTUP_SECONDS
                )
                status, value, message = await asyncio.wait_for(
                    loop.run_in_executor(self._threads, worker.result), self._timeout
                )
            except TimeoutError:
                await self._discard(worker)
                raise ProcessingError(
                    "processing_limit", f"processing took longer than {self._timeout:g} s"
                ) from None
            except (EOFError, OSError):
                await self._discard(worker)  # killed by a limit, or crashed
                raise ProcessingError(
                    "processing_limit", "the parser process stopped (CPU, memory or crash)"
                ) from None
            except BaseException:  # cancelled, or fn/args could not be pickled
                await self._discard(worker)
                raise
            if status == "ok":
                self._idle.append(worker)
                return value  # type: ignore[no-any-return]
            if status == "limit":
                await self._discard(worker)  # its heap may be in any state
                raise ProcessingError("processing_limit", message)
            self._idle.append(worker)
            if status == "failure":
                raise ProcessingError(value, message)
            raise ProcessingError("internal", f"processing failed ({message})")

    async def _checkout(self) -> _Worker:
        while self._idle:
            worker = self._idle.pop()
            if worker.proc.is_alive():
                return worker
            await self._discard(worker)  # died while idle (e.g. the OOM killer)
        return _Worker(self._memory, self._cpu)

    async def _discard(self, worker: _Worker) -> None:
        worker.kill()
        await asyncio.to_thread(worker.proc.join, 5)

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        await asyncio.gather(*(w.stop() for w in idle), return_exceptions=True)
        self._threads.shutdown(wait=False, cancel_futures=True)
