"""``recast``: the command line for the gateway (and local extraction).

Exit codes scripts can rely on: 0 done; 1 job failed; 2 request refused (4xx);
3 cancelled; 4 timed out; 5 server unreachable or unavailable; 64 usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TextIO

import aiohttp
import msgspec

from jobcore.client import (
    DEFAULT_SERVER,
    ApiError,
    AsyncRecastClient,
    JobCancelled,
    JobFailed,
    PollOptions,
    PollTimeout,
)
from jobcore.connection import connect
from jobcore.jobid import is_job_id
from jobcore.keys import Keys
from jobcore.models import JobSnapshot, TransformResult
from jobcore.settings import Settings
from jobcore.store import JobStore

EXIT_OK, EXIT_FAILED, EXIT_REFUSED, EXIT_CANCELLED, EXIT_TIMEOUT = 0, 1, 2, 3, 4
EXIT_UNAVAILABLE, EXIT_USAGE = 5, 64


class Progress:
    """A progress bar on a terminal; one plain line per change when piped."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.started = time.monotonic()
        self.last: tuple[str, int] | None = None

    def __call__(self, snapshot: JobSnapshot) -> None:
        state = (snapshot.stage, snapshot.progress)
        elapsed = time.monotonic() - self.started
        if self.tty:
            filled = snapshot.progress * 30 // 100
            bar = "#" * filled + "." * (30 - filled)
            self.stream.write(
                f"\r[{bar}] {snapshot.progress:3d}% {snapshot.stage:<12} {elapsed:5.1f}s"
            )
            if snapshot.status in ("completed", "failed", "cancelled"):
                self.stream.write("\n")
            self.stream.flush()
        elif state != self.last:
            self.stream.write(
                f"{snapshot.job_id} {snapshot.status} {snapshot.stage} {snapshot.progress}% "
                f"{elapsed:.1f}s\n"
            )
        self.last = state


def render(result: TransformResult, as_json: bool) -> str:
    if as_json:
        return msgspec.json.format(msgspec.json.encode(result).decode(), indent=2)
    return result.markdown


def _common_options(suppress: bool) -> argparse.ArgumentParser:
    """--server and --json, accepted before or after the subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    default_server = os.environ.get("RECAST_SERVER", DEFAULT_SERVER)
    common.add_argument(
        "--server",
        default=argparse.SUPPRESS if suppress else default_server,
        help=f"gateway URL (env RECAST_SERVER; default {default_server})",
    )
    common.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="print JSON instead of Markdown",
    )
    return common


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="recast",
        description=__doc__.splitlines()[0],
        parents=[_common_options(False)],
        epilog="exit codes: 0 done, 1 job failed, 2 refused, 3 cancelled, 4 timed out, "
        "5 unreachable/unavailable/rate-limited, 64 usage or input error",
    )
    common = _common_options(True)
    sub = parser.add_subparsers(dest="command", required=True)
    web = sub.add_parser("webpage", help="transform a web page", parents=[common])
    web.add_argument("url")
    text = sub.add_parser("text", help="transform a text file (- for stdin)", parents=[common])
    text.add_argument("file")
    text.add_argument("--title", help="the text's title (default: its first sentence)")
    for p in (web, text):
        p.add_argument("--persona", default="professional", help="default %(default)s")
        p.add_argument("--refresh", action="store_true", help="ignore a cached result")
        p.add_argument(
            "--poll", action="store_true", help="poll the job instead of following its events"
        )
        p.add_argument(
            "--max-attempts", type=int, default=120, help="polls before giving up (%(default)s)"
        )
        p.add_argument(
            "--interval", type=float, default=1.0, help="seconds between polls (%(default)s)"
        )
    for name, what in (
        ("status", "show a job"),
        ("watch", "follow a job until it ends"),
        ("cancel", "cancel a job"),
    ):
        sub.add_parser(name, help=what, parents=[common]).add_argument("job_id")
    sub.add_parser("personas", help="list the personas", parents=[common])
    sub.add_parser("dead-letters", help="list entries set aside (reads REDIS_URL directly)")
    requeue = sub.add_parser("requeue", help="replay dead-lettered jobs (reads REDIS_URL)")
    requeue.add_argument("job_ids", nargs="*", help="job ids; none: every dead letter")
    extract = sub.add_parser("extract", help="extract a page's main content locally")
    extract.add_argument("file", help="HTML file, - for stdin")
    extract.add_argument("--format", choices=["text", "markdown", "json"], default="markdown")
    extract.add_argument("--url", help="the page's URL, to make links absolute")
    return parser


def _read_bytes(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    with open(name, "rb") as f:
        return f.read()


def _read_text(name: str) -> str:
    return _read_bytes(name).decode("utf-8", errors="replace")


def extract_command(args: argparse.Namespace) -> int:
    from worker.extract import extract_article  # the worker package does the parsing

    article = extract_article(_read_bytes(args.file), args.url)
    if args.format == "json":
        sys.stdout.write(msgspec.json.format(msgspec.json.encode(article).decode(), indent=2))
    else:
        sys.stdout.write(article.text if args.format == "text" else article.markdown)
    sys.stdout.write("\n")
    return EXIT_OK


async def _remote(args: argparse.Namespace) -> int:
    progress = Progress(sys.stderr)
    async with AsyncRecastClient(args.server) as client:
        cmd = args.command
        if cmd == "personas":
            for persona in await client.personas():
                print(f"{persona.name:<14} {persona.description}")
            return EXIT_OK
        if cmd in ("status", "cancel"):
            call = client.status if cmd == "status" else client.cancel
            snapshot = await call(args.job_id)
            print(msgspec.json.format(msgspec.json.encode(snapshot).decode(), indent=2))
            return EXIT_OK
        if cmd == "watch":
            result = await client.follow(args.job_id, on_progress=progress)
        else:
            poll = PollOptions(args.max_attempts, args.interval, progress)
            follow: Literal["poll", "sse"] = "poll" if args.poll else "sse"
            if cmd == "webpage":
                result = await client.webpage(
                    args.url, args.persona, poll=poll, follow=follow, refresh=args.refresh
                )
            else:
                result = await client.text(
                    args.text,
                    args.persona,
                    title=args.title,
                    poll=poll,
                    follow=follow,
                    refresh=args.refresh,
                )
        print(render(result, args.json))
        return EXIT_OK


def _guard(run: Callable[[], Coroutine[Any, Any, int]]) -> int:
    try:
        return asyncio.run(run())
    except JobFailed as exc:
        print(f"recast: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except JobCancelled as exc:
        print(f"recast: {exc}", file=sys.stderr)
        return EXIT_CANCELLED
    except PollTimeout as exc:
        print(f"recast: {exc}", file=sys.stderr)
        return EXIT_TIMEOUT
    except ApiError as exc:
        print(f"recast: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE if exc.status >= 500 or exc.status == 429 else EXIT_REFUSED
    except BrokenPipeError:
        sys.stderr.close()
        return EXIT_OK
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        print(f"recast: cannot reach the server: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except KeyboardInterrupt:
        return 130


async def _admin(args: argparse.Namespace) -> int:
    """Dead-letter commands talk to Redis itself, configured like the services."""
    settings = Settings.from_env(os.environ)
    redis = connect(settings.redis_url, max_connections=4)
    store = JobStore(
        redis,
        Keys(settings.key_prefix, settings.stream_partitions),
        job_ttl=settings.job_ttl_seconds,
        cache_ttl=settings.cache_ttl_seconds,
        lock_ttl=settings.job_lock_ttl_seconds,
    )
    try:
        letters = await store.dead_letters(limit=10_000)
        if args.command == "dead-letters":
            for letter in letters:
                print(f"{letter.entry_id}  {letter.job_id or '-':<32}  {letter.reason}")
            print(f"{len(letters)} dead letter(s)", file=sys.stderr)
            return EXIT_OK
        wanted = set(args.job_ids)
        bad = sorted(j for j in wanted if not is_job_id(j))
        if bad:
            print(f"recast: not a job id: {', '.join(repr(b[:40]) for b in bad)}", file=sys.stderr)
            return EXIT_USAGE
        chosen = [d for d in letters if not wanted or d.job_id in wanted]
        entries = {d.job_id: d.entry_id for d in chosen if d.job_id}
        for job_id in wanted - set(entries):
            entries[job_id] = ""  # a failed job that was never dead-lettered
        for job_id, entry_id in entries.items():
            print(f"{job_id}  {await store.requeue(job_id, entry_id)}")
        return EXIT_OK
    finally:
        await redis.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not str(getattr(args, "server", "http://")).startswith(("http://", "https://")):
        parser.error(f"--server must start with http:// or https:// (got {args.server!r})")
    try:
        if args.command == "extract":
            return extract_command(args)
        if args.command in ("dead-letters", "requeue"):
            return _guard(lambda: _admin(args))
        if args.command == "text":
            args.text = _read_text(args.file)
        return _guard(lambda: _remote(args))
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):  # e.g. piped into head: not an error
            sys.stderr.close()
            return EXIT_OK
        print(f"recast: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
