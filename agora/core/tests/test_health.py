from datetime import timedelta

import pytest
from django.utils import timezone

from agora.celery import app as celery_app
from agora.core.models import WorkerHeartbeat


def beat(seconds_ago: int = 0) -> None:
    now = timezone.now() - timedelta(seconds=seconds_ago)
    WorkerHeartbeat.objects.create(hostname="w1@test", last_seen=now, started_at=now)


@pytest.mark.django_db
def test_healthz_reports_every_part_ok_with_a_live_worker(client):
    beat()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
        "worker": "ok",
    }


@pytest.mark.django_db
def test_healthz_is_503_and_names_the_worker_when_its_heartbeat_is_stale(client):
    beat(seconds_ago=600)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["worker"] == "down"
    assert body["database"] == "ok"
    assert "heartbeat" in body["errors"]["worker"]


@pytest.mark.django_db
def test_healthz_names_the_cache_when_it_is_unreachable(client, settings):
    beat()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["cache"] == "down"
    assert response.json()["worker"] == "ok"


@pytest.mark.django_db
def test_healthz_names_the_broker_when_it_is_unreachable(client):
    beat()
    original = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        celery_app.conf.broker_url = original
    assert response.status_code == 503
    assert response.json()["broker"] == "down"
    assert response.json()["database"] == "ok"
