"""The embedded broker (``filesystem://``): a small subclass of kombu's filesystem transport that
fixes its two flaws, and nothing else.

* **In-place writes.** kombu writes a message straight into the queue folder, so a worker can
  read half a job. Here it is written under a hidden name and renamed into place (atomic).
* **Claim by move.** kombu takes a message by moving it to another folder (a copy when that is
  another file system), so two workers can both take it. Here a worker claims it by renaming it
  inside the queue folder: one rename wins, the other worker moves on.

Everything else (polling every ``AGORA_BROKER_POLL_SECONDS``, queues, acknowledgements) is
kombu's. The broker only wakes workers: the job itself is a database row (agora/core/jobs.py),
so a message lost here (a worker killed after taking it) is woken again by the sweep.
Registered for the ``filesystem`` scheme in agora/celery.py.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Write the message under a name the readers skip, then rename it into place."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        hidden = os.path.join(self.data_folder_out, f".{uuid.uuid4().hex}.tmp")
        try:
            with open(hidden, "wb", buffering=0) as handle:
                handle.write(str_to_bytes(dumps(payload)))
            os.replace(hidden, final)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(hidden)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue):
        """Take the oldest message of `queue`: claim it by a rename, read it, delete it."""
        suffix = f".{queue}.msg"
        folder = self.data_folder_in
        for name in sorted(os.listdir(folder)):
            if name.startswith(".") or name.partition(".")[2] != suffix[1:]:
                continue
            claimed = os.path.join(folder, f".{uuid.uuid4().hex}.claimed")
            try:
                os.rename(os.path.join(folder, name), claimed)
            except OSError:
                continue  # another worker took it
            try:
                with open(claimed, "rb") as handle:
                    payload = handle.read()
                if self.store_processed:
                    os.replace(claimed, os.path.join(self.processed_folder, name))
                else:
                    os.unlink(claimed)
            except OSError as exc:
                raise ChannelError(f"Cannot read file {name!r} from queue.") from exc
            return loads(bytes_to_str(payload))
        raise filesystem.Empty()


class Transport(filesystem.Transport):
    Channel = Channel
