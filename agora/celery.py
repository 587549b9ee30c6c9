"""The Celery application: tasks live in each app's tasks.py and take ids, never objects."""

import os

from celery import Celery
from celery.signals import worker_init, worker_ready
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agora.settings")
# The embedded broker: kombu's file transport with atomic writes and an idle worker woken by
# inotify when a job arrives (agora/core/fsbroker.py).
TRANSPORT_ALIASES["filesystem"] = "agora.core.fsbroker:Transport"

# Every task publishes through SpoolingTask: a broker outage spools jobs instead of losing them.
app = Celery("agora", task_cls="agora.core.taskspool:SpoolingTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _send_spooled_jobs(sender=None, **kwargs) -> None:
    from agora.core.taskspool import drain

    drain(app)
    from agora.core.taskjournal import recover

    recover(app)  # jobs whose worker died mid-task (filesystem broker)


@worker_init.connect
def _remember_the_main_worker_process(**kwargs) -> None:
    """Before the pool starts (prefork children inherit it): the task journal names the worker's
    main process, whose death loses the jobs it holds."""
    from agora.core import taskjournal

    taskjournal._main_pid = os.getpid()
