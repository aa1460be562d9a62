"""Recast's shared core: settings, wire models, job ids, Redis keys and the job store."""

__version__ = "0.1.0"
