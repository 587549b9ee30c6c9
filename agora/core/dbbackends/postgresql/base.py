"""Django's PostgreSQL backend, waiting a few seconds for a database that is restarting.

While PostgreSQL restarts (`pg_ctl restart`, a failover, an upgrade) new connections are refused
for a few seconds. Without this, every request in that window answers the 503 page; with it, a
request that needs a new connection waits up to AGORA_DB_CONNECT_WAIT_SECONDS (default 5) for the
database and then goes on as usual. Only *connecting* is retried — nothing has run on the
connection yet, so it is safe for every request, POST included. Refusals that will not pass by
waiting (a wrong password, a missing database) fail at once."""

from __future__ import annotations

import time

from django.conf import settings
from django.db.backends.postgresql.base import Database
from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLWrapper

# A server that is down, starting up or shutting down; not an authentication or naming error.
PASSING_STATES = {"57P01", "57P02", "57P03"}  # admin_shutdown, crash_shutdown, cannot_connect_now
PASSING_TEXT = ("Connection refused", "starting up", "shutting down", "server closed")


def is_passing(error: Exception) -> bool:
    state = getattr(error, "sqlstate", None)
    return state in PASSING_STATES or any(text in str(error) for text in PASSING_TEXT)


class DatabaseWrapper(PostgreSQLWrapper):
    def get_new_connection(self, conn_params):
        deadline = time.monotonic() + getattr(settings, "DATABASE_CONNECT_WAIT_SECONDS", 0)
        pause = 0.1
        while True:
            try:
                return super().get_new_connection(conn_params)
            except Database.OperationalError as error:
                if not is_passing(error) or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 1.0)
