#!/usr/bin/env python3
"""Agora's REST API from a script, with nothing but the standard library.

    export AGORA_TOKEN=agora_...        # Settings → API tokens, scopes read + write
    python docs/examples/agora_api.py --base-url http://127.0.0.1:8000 --model 3

1. lists the latest topics,
2. uploads a work with its recipe (a PNG carrying an A1111 `parameters` text chunk, which
   Agora reads into the work's prompt, seed, sampler, steps and model),
3. starts a generation from a lab model and waits for its images.

See docs/api.md for authentication, errors, pagination and rate limits.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import sys
import time
import urllib.error
import urllib.request
import uuid
import zlib


class ApiError(Exception):
    def __init__(self, status: int, body: dict) -> None:
        error = body.get("error", {})
        super().__init__(f"{status} {error.get('code')}: {error.get('message')}")
        self.status, self.error = status, error


class Agora:
    def __init__(self, base_url: str, token: str) -> None:
        self.base = base_url.rstrip("/") + "/api/v1"
        self.token = token

    def request(self, method: str, path: str, *, json_body=None, body=None, content_type=None):
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if json_body is not None:
            body, content_type = json.dumps(json_body).encode(), "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(  # noqa: S310 (the --base-url the user gave)
            self.base + path, data=body, method=method, headers=headers
        )
        while True:
            try:
                with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                    return json.loads(response.read() or b"null")
            except urllib.error.HTTPError as exc:
                if exc.code == 429:  # rate limited: wait as told, then try again
                    time.sleep(int(exc.headers.get("Retry-After", "1")))
                    continue
                raise ApiError(exc.code, json.loads(exc.read() or b"{}")) from None

    def latest_topics(self, limit: int = 10) -> list[dict]:
        return self.request("GET", f"/topics?limit={limit}")["items"]

    def upload_work(self, *, title: str, png: bytes, filename: str = "work.png") -> dict:
        boundary = uuid.uuid4().hex
        parts = [
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n{title}\r\n'
            ).encode(),
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="image"; '
                f'filename="{filename}"\r\nContent-Type: image/png\r\n\r\n'
            ).encode()
            + png
            + b"\r\n",
            f"--{boundary}--\r\n".encode(),
        ]
        return self.request(
            "POST",
            "/works",
            body=b"".join(parts),
            content_type=f"multipart/form-data; boundary={boundary}",
        )

    def start_generation(self, model_id: int, **recipe) -> dict:
        return self.request("POST", f"/models/{model_id}/generations", json_body=recipe)

    def wait_for_generation(self, generation_id: int, timeout_s: float = 300) -> dict:
        deadline = time.monotonic() + timeout_s
        while True:
            generation = self.request("GET", f"/generations/{generation_id}")
            if generation["status"] in ("done", "failed") or time.monotonic() > deadline:
                return generation
            time.sleep(1)


def png_with_recipe(parameters: str, *, size: int = 64) -> bytes:
    """A small gradient PNG whose `parameters` text chunk holds an A1111-style recipe."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(
        b"\x00" + bytes(v for x in range(size) for v in (x * 4 % 256, y * 4 % 256, 160))
        for y in range(size)
    )
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
        + chunk(b"tEXt", b"parameters\x00" + parameters.encode("latin-1"))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default=os.environ.get("AGORA_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--token", default=os.environ.get("AGORA_TOKEN", ""))
    parser.add_argument("--model", type=int, required=True, help="id of a lab model to sample")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("pass --token or set AGORA_TOKEN")
    agora = Agora(args.base_url, args.token)

    print("Latest topics:")
    for topic in agora.latest_topics(limit=5):
        print(f"  #{topic['id']} {topic['title']} ({topic['post_count']} posts)")

    recipe = (
        "a lighthouse at dusk, oil painting\nNegative prompt: blurry\n"
        "Steps: 28, Sampler: DPM++ 2M, CFG scale: 6.5, Seed: 1234, Size: 64x64, Model: dreamy-v2"
    )
    work = agora.upload_work(title="Lighthouse at dusk", png=png_with_recipe(recipe))
    r = work["recipe"]
    print(
        f"Uploaded work #{work['id']}: seed {r['seed']}, {r['steps']} steps, "
        f"model {r['model_name']}"
    )

    generation = agora.start_generation(args.model, sampler="ddim", steps=10, seed=7, count=4)
    print(f"Started generation #{generation['id']} ({generation['status']})")
    generation = agora.wait_for_generation(generation["id"])
    print(f"Generation #{generation['id']} {generation['status']}:")
    for image in generation["images"]:
        print(f"  {args.base_url.rstrip('/')}{image['url']}")
    return 0 if generation["status"] == "done" else 1


if __name__ == "__main__":
    sys.exit(main())
