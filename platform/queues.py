"""Redis connection and RQ queues by urgency."""

from __future__ import annotations

from functools import lru_cache

from redis import Redis
from rq import Queue

# Highest first: a worker always takes outgoing supplier mail before reports.
QUEUE_NAMES = ("high", "default", "low")


@lru_cache(maxsize=4)
def redis_connection(url: str) -> Redis:
    """One client (and pool) per process; it reconnects by itself after an outage."""
    return Redis.from_url(
        url, socket_connect_timeout=2, socket_timeout=10, health_check_interval=15
    )


def queue(url: str, name: str) -> Queue:
    return Queue(name, connection=redis_connection(url))
