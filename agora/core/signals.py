"""Worker heartbeat: the worker's main process writes a row every few seconds for /healthz."""

from __future__ import annotations

import logging
import threading

from celery.signals import worker_ready, worker_shutdown
from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

logger = logging.getLogger(__name__)
_stop = threading.Event()


@worker_ready.connect
def start_heartbeat(sender, **kwargs) -> None:
    from agora.core.services import record_heartbeat

    hostname = sender.hostname
    queues = ",".join(sorted(q.name for q in sender.app.amqp.queues.consume_from.values()))
    started_at = timezone.now()
    _stop.clear()

    def beat() -> None:
        while not _stop.is_set():
            try:
                close_old_connections()
                record_heartbeat(hostname=hostname, started_at=started_at, queues=queues)
            except Exception:
                logger.exception("worker heartbeat failed")
            finally:
                connection.close()
            _stop.wait(settings.WORKER_HEARTBEAT_SECONDS)

    threading.Thread(target=beat, name="agora-heartbeat", daemon=True).start()


@worker_shutdown.connect
def stop_heartbeat(**kwargs) -> None:
    _stop.set()
