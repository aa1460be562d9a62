"""The HTTP ceiling: a bare aiohttp app (uvloop, the same Redis pool) doing one Redis GET.

``python -m bench.ceiling_server PORT REDIS_URL KEY``; ``GET /get`` and ``POST /get`` both
answer the value of KEY as JSON (the POST reads its body first, as a submit does).
"""

from __future__ import annotations

import sys

from aiohttp import web
from jobcore.connection import connect
from jobcore.loop import new_event_loop


def main() -> None:
    port, url, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    redis = connect(url)

    async def handler(request: web.Request) -> web.Response:
        if request.can_read_body:
            await request.read()
        value = await redis.get(key)
        return web.Response(body=value, content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/get", handler)
    web.run_app(
        app, loop=new_event_loop(), host="127.0.0.1", port=port, access_log=None, print=None
    )


if __name__ == "__main__":
    main()
