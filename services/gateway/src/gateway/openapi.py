"""OpenAPI 3.1, generated from the route table and the msgspec models — never by hand."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import msgspec
from aiohttp import web
from jobcore.jobid import JOB_ID_PATTERN
from jobcore.models import Problem


@dataclass(frozen=True, slots=True)
class RouteSpec:
    method: str
    path: str
    handler: Any
    summary: str
    request: type | None = None
    responses: dict[int, type | str] = field(default_factory=dict)
    errors: tuple[int, ...] = ()


def build_openapi(routes: list[RouteSpec], version: str) -> dict[str, Any]:
    types: list[Any] = [Problem]
    for route in routes:
        if route.request is not None:
            types.append(route.request)
        types += [t for t in route.responses.values() if isinstance(t, type)]
    unique = list(dict.fromkeys(types))
    schemas, components = msgspec.json.schema_components(
        unique, ref_template="#/components/schemas/{name}"
    )
    by_type = dict(zip(unique, schemas, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        operation: dict[str, Any] = {"summary": route.summary, "responses": {}}
        params = re.findall(r"{(\w+)}", route.path)
        if params:
            operation["parameters"] = [
                {
                    "name": p,
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": JOB_ID_PATTERN},
                }
                for p in params
            ]
        if route.request is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": by_type[route.request]}},
            }
        for status, body in route.responses.items():
            if isinstance(body, str):
                content = {body: {"schema": {"type": "string"}}}
            else:
                content = {"application/json": {"schema": by_type[body]}}
            operation["responses"][str(status)] = {"description": str(status), "content": content}
        for status in route.errors:
            operation["responses"][str(status)] = {
                "description": "problem document (RFC 9457)",
                "content": {"application/problem+json": {"schema": by_type[Problem]}},
            }
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Recast", "version": version},
        "paths": paths,
        "components": {"schemas": components},
    }


def openapi_handler(document: dict[str, Any]) -> Any:
    body = msgspec.json.encode(document)

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    return handler
