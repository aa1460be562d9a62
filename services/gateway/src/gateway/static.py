"""The browser client and its page, served from the package's static folder."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC_DIR = Path(__file__).parent / "static"


def add_static_routes(app: web.Application) -> None:
    if not STATIC_DIR.is_dir():
        return
    index = STATIC_DIR / "index.html"
    if index.is_file():

        async def page(request: web.Request) -> web.FileResponse:
            return web.FileResponse(index)

        app.router.add_get("/", page)
    app.router.add_static("/static/", STATIC_DIR, show_index=False, follow_symlinks=False)
