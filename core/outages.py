"""What a Redis outage looks like to the code: the errors the cache, the channel layer (both
redis-py) and Celery's broker (kombu) raise when Redis cannot be reached.

Where they surface decides what a fan sees (README, "When Redis is down"): before a request
wrote anything, the API answers 503 (core.exceptions); after its commit, a step that only
speeds things up or tells someone (cache invalidation, a task, a WebSocket message) is logged
and skipped, and a sweep or a timeout catches up."""

import logging
from contextlib import contextmanager

from django_redis.exceptions import ConnectionInterrupted
from kombu.exceptions import OperationalError as BrokerUnreachable
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeout

logger = logging.getLogger(__name__)

REDIS_DOWN = (RedisConnectionError, RedisTimeout, ConnectionInterrupted, BrokerUnreachable)


@contextmanager
def unless_redis_down(what: str):
    """Run a step that may be skipped while Redis is down, logging it instead of raising."""
    try:
        yield
    except REDIS_DOWN as exc:
        logger.warning("Redis is unreachable; skipped %s: %s", what, exc)
