"""Typed application keys: what the gateway keeps on its ``web.Application``."""

from __future__ import annotations

from aiohttp import web
from jobcore.connection import RedisClient
from jobcore.netpolicy import AddressPolicy
from jobcore.personas import PersonaSpec
from jobcore.settings import Settings
from jobcore.store import JobStore

from gateway.hub import EventHub
from gateway.ids import IdKey
from gateway.metrics import Metrics
from gateway.ratelimit import RateLimiter

SETTINGS = web.AppKey("settings", Settings)
REDIS: web.AppKey[RedisClient] = web.AppKey("redis")
STORE = web.AppKey("store", JobStore)
HUB = web.AppKey("hub", EventHub)
METRICS = web.AppKey("metrics", Metrics)
LIMITER = web.AppKey("limiter", RateLimiter)
POLICY = web.AppKey("policy", AddressPolicy)
ID_KEY = web.AppKey("id_key", IdKey)
PERSONAS = web.AppKey("personas", dict[str, PersonaSpec])
