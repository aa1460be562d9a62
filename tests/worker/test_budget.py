"""ParseBudget: slow, greedy and crashing pure functions fail processing_limit;
the event loop stays responsive and the pool carries on."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator

import pytest
from jobcore.errors import ProcessingError
from worker.budget import ParseBudget

MB = 1024 * 1024


def spin(seconds: float) -> int:
    end = time.process_time() + seconds
    n = 0
    while time.process_time() < end:
        n += 1
    return n


def pid_and_echo(value: str) -> tuple[int, str]:
    return os.getpid(), value


def hog(megabytes: int) -> int:
    blocks = [bytearray(MB) for _ in range(megabytes)]
    return len(blocks)


def crash() -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


def deep(depth: int) -> int:
    return 0 if depth == 0 else 1 + deep(depth - 1)


def refuse() -> None:
    raise ProcessingError("empty_content", "nothing to extract")


def broken() -> None:
    raise ValueError("secret internal detail " * 100)


@pytest.fixture
async def budget() -> AsyncIterator[ParseBudget]:
    b = ParseBudget(timeout=1.0, memory_bytes=512 * MB, workers=2)
    yield b
    await b.close()


async def expect_limit(budget: ParseBudget, fn: object, *args: object) -> ProcessingError:
    with pytest.raises(ProcessingError) as info:
        await budget.run(fn, *args)  # type: ignore[arg-type]
    assert info.value.code == "processing_limit", info.value.message
    return info.value


async def test_runs_in_another_process(budget: ParseBudget) -> None:
    pid, value = await budget.run(pid_and_echo, "x" * 1_000_000)
    assert pid != os.getpid()
    assert len(value) == 1_000_000
    again, _ = await budget.run(pid_and_echo, "y")
    assert again == pid  # the idle worker is reused


async def test_wall_clock_timeout_kills_and_loop_stays_responsive(budget: ParseBudget) -> None:
    lags: list[float] = []

    async def ticker() -> None:
        while True:
            start = time.monotonic()
            await asyncio.sleep(0.02)
            lags.append(time.monotonic() - start - 0.02)

    tick = asyncio.create_task(ticker())
    start = time.monotonic()
    await expect_limit(budget, spin, 30)
    tick.cancel()
    assert time.monotonic() - start < 3
    assert max(lags) < 0.25  # the loop was never blocked by the parse
    assert (await budget.run(pid_and_echo, "after"))[1] == "after"  # the pool recovered


async def test_cpu_limit_stops_a_runaway_even_with_a_long_deadline() -> None:
    budget = ParseBudget(timeout=20.0, memory_bytes=512 * MB, workers=1, cpu_seconds=1)
    try:
        start = time.monotonic()
        await expect_limit(budget, spin, 10)
        assert time.monotonic() - start < 5
        assert await budget.run(spin, 0.1) > 0
    finally:
        await budget.close()


async def test_memory_limit(budget: ParseBudget) -> None:
    await expect_limit(budget, hog, 1024)
    assert await budget.run(hog, 16) == 16


async def test_native_crash_only_kills_the_child(budget: ParseBudget) -> None:
    await expect_limit(budget, crash)
    assert (await budget.run(pid_and_echo, "alive"))[1] == "alive"


async def test_recursion_is_a_processing_limit(budget: ParseBudget) -> None:
    await expect_limit(budget, deep, 100_000)


async def test_function_verdicts_pass_through(budget: ParseBudget) -> None:
    with pytest.raises(ProcessingError) as info:
        await budget.run(refuse)
    assert info.value.code == "empty_content"
    with pytest.raises(ProcessingError) as info:
        await budget.run(broken)
    assert info.value.code == "internal"
    assert "secret" not in info.value.message


async def test_other_calls_carry_on_while_one_is_stuck(budget: ParseBudget) -> None:
    await asyncio.gather(budget.run(spin, 0.2), budget.run(spin, 0.2))  # two warm workers
    stuck = asyncio.create_task(budget.run(spin, 30))
    await asyncio.sleep(0.05)
    start = time.monotonic()
    assert (await budget.run(pid_and_echo, "quick"))[1] == "quick"
    assert time.monotonic() - start < 0.9
    with pytest.raises(ProcessingError):
        await stuck


async def test_cancelled_call_kills_its_worker(budget: ParseBudget) -> None:
    task = asyncio.create_task(budget.run(spin, 30))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (await budget.run(pid_and_echo, "next"))[1] == "next"
