"""The browser client and its page, served from the package's static folder.

The page and every static file carry a strict Content-Security-Policy: scripts and
styles only from our own origin (no inline script, no eval), no plugins, no framing,
and Trusted Types required, so no code path can hand a string to an HTML sink. The
page renders fetched content with DOM calls only; the policy is the second wall.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC_DIR = Path(__file__).parent / "static"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "require-trusted-types-for 'script'",
        "trusted-types 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-cache",
}
_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".ts": "text/plain; charset=utf-8",
}


def add_static_routes(app: web.Application) -> None:
    if not STATIC_DIR.is_dir():
        return
    index = STATIC_DIR / "index.html"
    if index.is_file():

        async def page(request: web.Request) -> web.FileResponse:
            return web.FileResponse(index)

        app.router.add_get("/", page)
    app.router.add_static("/static/", STATIC_DIR, show_index=False, follow_symlinks=False)
    app.on_response_prepare.append(_security_headers)


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    path = request.path
    if path != "/" and not path.startswith("/static/"):
        return
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    content_type = _CONTENT_TYPES.get(".html" if path == "/" else Path(path).suffix)
    if content_type and response.status == 200:
        response.headers["Content-Type"] = content_type
