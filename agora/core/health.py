"""Liveness of each part Agora depends on, as read by GET /healthz."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

logger = logging.getLogger(__name__)


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def check_cache() -> str:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    value = cache.get(key)
    cache.delete(key)
    if value != "1":
        raise RuntimeError("cache did not return what was written")
    return "ok"


def check_broker() -> str:
    from agora.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


def check_worker() -> str:
    from agora.core.models import WorkerHeartbeat

    fresh_after = timezone.now() - timedelta(seconds=settings.WORKER_HEARTBEAT_STALE_SECONDS)
    if WorkerHeartbeat.objects.filter(last_seen__gte=fresh_after).exists():
        return "ok"
    raise RuntimeError(
        f"no worker heartbeat in the last {settings.WORKER_HEARTBEAT_STALE_SECONDS} s"
    )


CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "worker": check_worker,
}


def run_checks() -> tuple[bool, dict[str, str], dict[str, str]]:
    """Return (all ok, part -> "ok"/"down", part -> error message for the failing parts)."""
    states: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            states[name] = check()
        except Exception as exc:
            logger.warning("health check %s failed: %s", name, exc)
            states[name] = "down"
            errors[name] = f"{type(exc).__name__}: {exc}"[:300]
    return not errors, states, errors
