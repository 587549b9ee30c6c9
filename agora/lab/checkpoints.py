"""Checkpoints kept loaded in a worker process, so that a model's second generation does not read,
hash, validate and rebuild the network again.

An entry is keyed by the checkpoint's SHA-256 (what a recipe names) and remembers the file it came
from: its path, inode, size and modification time. Every use compares one `stat()` of the file
with them; when the file was replaced or rewritten the entry is dropped and the file is loaded
and hashed again, so a cached network is always the one whose bytes hashed to the recipe's
checkpoint. A file that no longer hashes to the model's recorded SHA-256 is refused.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


@dataclass(frozen=True)
class FileSignature:
    path: str
    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: str | Path) -> FileSignature:
        stat = os.stat(path)
        return cls(str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)


@dataclass
class Entry:
    signature: FileSignature
    checkpoint: object  # genlab.checkpoint.Checkpoint


class CheckpointCache:
    """A small least-recently-used set of loaded checkpoints; `size` 0 keeps nothing."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._lock = threading.Lock()  # a threaded worker pool shares the process
        self.hits = 0
        self.loads = 0

    def get(self, path: str | Path, sha256: str):
        """The loaded checkpoint for `sha256`, read from `path` unless a copy loaded from this
        very file is kept. Raises genlab's CheckpointError when the file is missing, invalid, or
        does not hash to `sha256`."""
        from genlab.checkpoint import load
        from genlab.errors import CheckpointError

        try:
            signature = FileSignature.of(path)
        except OSError:
            signature = None
        with self._lock:
            entry = self._entries.get(sha256)
            if entry is not None and entry.signature == signature:
                self._entries.move_to_end(sha256)
                self.hits += 1
                return entry.checkpoint
            self._entries.pop(sha256, None)  # the file changed or went away
        checkpoint = load(path)  # reads, validates and hashes the whole file
        self.loads += 1
        if checkpoint.sha256 != sha256:
            raise CheckpointError(
                f"checkpoint file {Path(path).name} hashes to {checkpoint.sha256[:12]}, "
                f"not to the model's {sha256[:12]}; it was changed after publishing"
            )
        try:
            unchanged = signature is not None and FileSignature.of(path) == signature
        except OSError:
            unchanged = False
        if self.size > 0 and unchanged:  # not a file rewritten while it was being read
            with self._lock:
                self._entries[sha256] = Entry(signature, checkpoint)
                self._entries.move_to_end(sha256)
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return checkpoint

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.loads = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, sha256: str) -> bool:
        return sha256 in self._entries


_cache: CheckpointCache | None = None


def cache() -> CheckpointCache:
    """This process's cache, sized by LAB_MODEL_CACHE_SIZE."""
    global _cache
    if _cache is None or _cache.size != settings.LAB_MODEL_CACHE_SIZE:
        _cache = CheckpointCache(settings.LAB_MODEL_CACHE_SIZE)
    return _cache


def checkpoint_meta(path: str | Path) -> dict:
    """The metadata genlab stored in a checkpoint's header ({"config", "data", ...}), read
    without loading the weights or importing torch (the web process publishes models and checks
    text recipes with it); {} when the file has none. genlab.checkpoint.load validates the whole
    file when it is used."""
    import json
    import struct

    with open(path, "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        if length > 16 * 1024 * 1024:
            return {}
        try:
            header = json.loads(handle.read(length))
            meta = json.loads(header.get("__metadata__", {}).get("genlab", "null"))
        except (ValueError, AttributeError):
            return {}
    return meta if isinstance(meta, dict) else {}


def data_spec(path: str | Path) -> dict:
    """The data spec of a checkpoint ({"kind", "shape", "classes", "text"?}); {} if none."""
    data = checkpoint_meta(path).get("data")
    return data if isinstance(data, dict) else {}
