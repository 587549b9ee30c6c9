"""The embedded file-based broker (``filesystem://``), with two changes to kombu's transport:

* a message file appears in the queue folder only once it is complete (written under a hidden
  name, then renamed), so a worker never reads a half-written job;
* a worker claims a message by renaming it inside the folder (atomic: two workers never both
  take it), where kombu moved it to the temporary folder, a copy when that is another file
  system;
* an idle worker sleeps until a message file is renamed into the folder (Linux inotify) instead of
  only looking every ``polling_interval`` seconds. The polling stays as the fallback (no inotify,
  or a folder shared over a network filesystem, where other machines' writes raise no event).

Registered for the ``filesystem`` scheme in agora/celery.py.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import select
import uuid
from time import monotonic, sleep

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

logger = logging.getLogger(__name__)

IN_MODIFY = 0x00000002
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_TO = 0x00000080


class FolderWatch:
    """Wait until a file is renamed into (or closed after writing in) a folder, or a timeout.
    `events` chooses other inotify events (IN_MODIFY: any write to a file in the folder)."""

    def __init__(self, folder: str, events: int = IN_MOVED_TO | IN_CLOSE_WRITE) -> None:
        self.fd = -1
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
            fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
            if fd < 0:
                raise OSError(ctypes.get_errno(), "inotify_init1")
            if libc.inotify_add_watch(fd, os.fsencode(folder), events) < 0:
                os.close(fd)
                raise OSError(ctypes.get_errno(), "inotify_add_watch")
        except (OSError, AttributeError) as exc:  # not Linux, or out of inotify watches
            logger.info("broker folder %s is polled (no inotify: %s)", folder, exc)
            return
        self.fd = fd

    def wait(self, timeout: float) -> bool:
        """True when something arrived (the caller looks), False after `timeout` seconds."""
        if self.fd < 0:
            return False
        ready, _, _ = select.select([self.fd], [], [], max(timeout, 0))
        if not ready:
            return False
        try:
            while os.read(self.fd, 65536):
                pass
        except BlockingIOError:
            pass
        return True

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


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

    def __init__(self, client, **kwargs):
        super().__init__(client, **kwargs)
        self._watch: FolderWatch | None = None

    def _folder_watch(self) -> FolderWatch:
        if self._watch is None:
            folder = self.client.transport_options.get("data_folder_in", "data_in")
            self._watch = FolderWatch(folder)
        return self._watch

    def drain_events(self, connection, timeout=None):
        """kombu's loop, except that the pause between two looks ends as soon as a message
        file arrives."""
        started = monotonic()
        get = self.cycle.get
        interval = self.polling_interval
        watch = self._folder_watch()
        while True:
            try:
                get(self._deliver, timeout=timeout)
            except filesystem.Empty:
                waited = monotonic() - started
                if timeout is not None and waited >= timeout:
                    raise TimeoutError from None
                pause = interval if interval is not None else 1.0
                if timeout is not None:
                    pause = min(pause, timeout - waited)
                if watch.fd >= 0:
                    watch.wait(pause)
                else:
                    sleep(pause)
            else:
                break

    def close_connection(self, connection):
        if self._watch is not None:
            self._watch.close()
            self._watch = None
        super().close_connection(connection)
