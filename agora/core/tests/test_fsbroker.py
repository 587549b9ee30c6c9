"""The embedded file broker: jobs appear in the queue folder only whole, and two workers never
take the same one."""

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
