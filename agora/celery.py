"""The Celery application: tasks live in each app's tasks.py and take ids, never objects. The
database row is the job and the broker only wakes workers (agora/core/jobs.py)."""

import os

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agora.settings")
# The embedded broker: kombu's file transport with atomic writes and claims
# (agora/core/fsbroker.py).
TRANSPORT_ALIASES["filesystem"] = "agora.core.fsbroker:Transport"

app = Celery("agora")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
