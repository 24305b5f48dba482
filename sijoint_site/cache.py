"""A Redis cache that is an optimisation, never a dependency.

While Redis answers, this is Django's RedisCache. When a call fails (Redis stopped, unreachable, timing
out), the call is answered from a small cache in this process's memory instead, and Redis is left alone
for RETRY_SECONDS so that no request waits on a dead server; then it is tried again. Every key the site
uses carries the content version, so an entry from the stand-in can never show stale content once Redis
is back; rate-limit counters are counted per process meanwhile, which is the right way to fail.
"""

import logging
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5
STAND_IN_ENTRIES = 2000


class FallbackRedisCache(RedisCache):
    def __init__(self, server, params):
        params = dict(params)
        options = dict(params.get("OPTIONS") or {})
        # A dead or black-holed Redis must cost a request milliseconds, not the default minutes.
        options.setdefault("socket_connect_timeout", 0.25)
        options.setdefault("socket_timeout", 0.5)
        params["OPTIONS"] = options
        super().__init__(server, params)
        self._stand_in = LocMemCache(f"redis-stand-in-{id(self)}", {"OPTIONS": {"MAX_ENTRIES": STAND_IN_ENTRIES}})
        self._down_until = 0.0

    def _call(self, name, *args, **kwargs):
        if time.monotonic() >= self._down_until:
            try:
                return getattr(super(), name)(*args, **kwargs)
            except (RedisError, OSError) as error:
                self._down_until = time.monotonic() + RETRY_SECONDS
                logger.warning("cache unavailable (%s: %s); using this process's memory", type(error).__name__, error)
        return getattr(self._stand_in, name)(*args, **kwargs)

    def shared_cache_answers(self):
        """Whether Redis itself answers right now (for /healthz), regardless of the stand-in."""
        try:
            super().set("healthz", "ok", 10)
            return super().get("healthz") == "ok"
        except (RedisError, OSError):
            return False

    def add(self, *args, **kwargs):
        return self._call("add", *args, **kwargs)

    def get(self, *args, **kwargs):
        return self._call("get", *args, **kwargs)

    def set(self, *args, **kwargs):
        return self._call("set", *args, **kwargs)

    def touch(self, *args, **kwargs):
        return self._call("touch", *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._call("delete", *args, **kwargs)

    def get_many(self, *args, **kwargs):
        return self._call("get_many", *args, **kwargs)

    def has_key(self, *args, **kwargs):
        return self._call("has_key", *args, **kwargs)

    def incr(self, *args, **kwargs):
        return self._call("incr", *args, **kwargs)

    def set_many(self, *args, **kwargs):
        return self._call("set_many", *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._call("delete_many", *args, **kwargs)

    def clear(self):
        self._stand_in.clear()
        return self._call("clear")
