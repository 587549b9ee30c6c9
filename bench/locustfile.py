"""Agora's members, for locust (driven headless by bench/load.py, which seeds the forum and writes
the file named by AGORA_LOAD_URLS: topic and category URLs, topic ids, members' session keys).

Each member is logged in (a session made at seeding time) and, between clicks, thinks 1–5 s
(locust's conventional `between(1, 5)`): reads a topic 70 %, a list 15 % (latest, top,
categories, a category), searches 10 %, replies to a topic 5 % with the CSRF token, like the
browser's htmx. Any answer ≥ 400 or connection error is a failure; a reply must answer with the
redirect to the new post.

    locust -f bench/locustfile.py --headless -u 50 -r 10 -t 60s --csv out/pg \\
        --host http://127.0.0.1:8151          # with AGORA_LOAD_URLS=var/bench-load/.../urls.json
"""

from __future__ import annotations

import itertools
import json
import os
import random
import secrets
from urllib.parse import quote

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

SEARCH_WORDS = ["sampler", "LoRA", "video", "prompt", "模型", "steps", "training", "扩散"]
CSRF_SECRET = "b" * 32  # an unmasked 32-character secret: Django accepts it as token and cookie
URLS = json.loads(open(os.environ["AGORA_LOAD_URLS"]).read())  # noqa: SIM115
_slots = itertools.count()


class Member(FastHttpUser):
    wait_time = between(1, 5)

    def on_start(self) -> None:
        slot = next(_slots)
        self.rng = random.Random(slot)
        self.slot = slot
        self.posted = 0
        session = URLS["sessions"][slot % len(URLS["sessions"])]
        self.headers = {
            "Accept-Language": "en",
            "Cookie": f"sessionid={session}; csrftoken={CSRF_SECRET}",
        }

    @task(70)
    def topic(self) -> None:
        self.client.get(self.rng.choice(URLS["topics"]), headers=self.headers, name="topic")

    @task(15)
    def lists(self) -> None:
        path = self.rng.choice(["/latest/", "/top/", "/categories/", *URLS["categories"]])
        self.client.get(path, headers=self.headers, name="list")

    @task(10)
    def search(self) -> None:
        word = quote(self.rng.choice(SEARCH_WORDS))
        self.client.get(f"/search/?q={word}", headers=self.headers, name="search")

    @task(5)
    def post(self) -> None:
        self.posted += 1
        raw = f"Load reply {self.slot}-{self.posted}-{secrets.token_hex(4)}: the sampler held up."
        with self.client.post(
            f"/t/{self.rng.choice(URLS['topic_ids'])}/reply/",
            data=f"raw={quote(raw)}",
            headers={
                **self.headers,
                "Content-Type": "application/x-www-form-urlencoded",
                "X-CSRFToken": CSRF_SECRET,
            },
            name="post",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code not in (200, 302):
                response.failure(f"reply answered {response.status_code}")
