"""The embedded file broker: jobs appear in the queue folder only whole, and an idle worker is woken
by a job's arrival instead of finding it at its next look."""

import threading
import uuid

import pytest
from kombu import Connection

from agora.core import fsbroker


def queue_name() -> str:
    """kombu keeps the file transport's declared exchanges per process: a fresh name per test."""
    return f"jobs-{uuid.uuid4().hex[:8]}"


def connection(tmp_path, polling_interval: float) -> Connection:
    for sub in ("queue", "control"):
        (tmp_path / sub).mkdir(exist_ok=True)
    return Connection(
        "filesystem://",
        transport_options={
            "data_folder_in": str(tmp_path / "queue"),
            "data_folder_out": str(tmp_path / "queue"),
            "control_folder": str(tmp_path / "control"),
            "store_processed": False,
            "polling_interval": polling_interval,
        },
    )


def test_the_filesystem_scheme_is_agoras_transport(tmp_path):
    with connection(tmp_path, 0.1) as conn:
        assert isinstance(conn.transport, fsbroker.Transport)


def test_a_job_is_written_whole_then_renamed_into_the_queue(tmp_path, monkeypatch):
    seen_while_writing = []
    real_replace = fsbroker.os.replace

    def replace(source, target):
        seen_while_writing.extend(p.name for p in (tmp_path / "queue").iterdir())
        real_replace(source, target)

    monkeypatch.setattr(fsbroker.os, "replace", replace)
    name = queue_name()
    with connection(tmp_path, 0.1) as conn:
        queue = conn.SimpleQueue(name)
        queue.put({"generation": 7})
        # while the job was being written it had a name no reader takes
        assert seen_while_writing and all(n.startswith(".") for n in seen_while_writing)
        names = [p.name for p in (tmp_path / "queue").iterdir()]
        assert len(names) == 1 and names[0].endswith(f".{name}.msg")
        message = queue.get(timeout=5)
        message.ack()
        assert message.payload == {"generation": 7}
        assert list((tmp_path / "queue").iterdir()) == []  # claimed by a rename, then deleted
        queue.close()


def test_an_idle_consumer_is_woken_by_a_new_job(tmp_path, monkeypatch):
    if fsbroker.FolderWatch(str(tmp_path)).fd < 0:
        pytest.skip("no inotify on this system: the broker folder is polled")
    waiting = threading.Event()
    real_wait = fsbroker.FolderWatch.wait

    def wait(self, timeout):
        waiting.set()
        return real_wait(self, timeout)

    monkeypatch.setattr(fsbroker.FolderWatch, "wait", wait)
    received = []
    name = queue_name()
    # It would look again only after an hour: only the wake-up can deliver within the minute.
    with connection(tmp_path, 3600) as consumer_conn, connection(tmp_path, 3600) as producer_conn:
        consumer_queue = consumer_conn.SimpleQueue(name)

        def consume():
            try:
                message = consumer_queue.get(timeout=60)
                message.ack()
                received.append(message.payload)
            except Exception as exc:  # reported by the assertion below
                received.append(exc)

        thread = threading.Thread(target=consume)
        thread.start()
        assert waiting.wait(30), "the consumer never went idle"
        producer_queue = producer_conn.SimpleQueue(name)
        producer_queue.put({"generation": 8})
        thread.join(90)
        assert received == [{"generation": 8}]
        consumer_queue.close()
        producer_queue.close()


def test_a_job_is_taken_by_one_consumer_only(tmp_path):
    name = queue_name()
    with connection(tmp_path, 0.1) as first, connection(tmp_path, 0.1) as second:
        producer = first.SimpleQueue(name)
        for n in range(6):
            producer.put({"n": n})
        queues = [first.SimpleQueue(name), second.SimpleQueue(name)]
        taken = []
        for turn in range(6):
            message = queues[turn % 2].get(timeout=5)
            message.ack()
            taken.append(message.payload["n"])
        assert sorted(taken) == [0, 1, 2, 3, 4, 5]  # each job once
        with pytest.raises(queues[0].Empty):
            queues[0].get(block=False)
        for queue in (producer, *queues):
            queue.close()
