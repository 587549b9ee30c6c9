"""Demo events: an online lecture with seats left and a full in-person seminar."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from agora.accounts.models import User
from agora.events import services
from agora.events.models import Event


def seed(*, out) -> None:
    if Event.objects.exists():
        return
    people = {
        u.username: u
        for u in User.objects.filter(username__in=["alice", "chenwei", "bob", "linxiao"])
    }
    admin = User.objects.filter(is_superuser=True).first()
    if len(people) < 4 or admin is None:
        return
    soon = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    lecture = services.create_event(
        organizer=admin,
        title="Lecture: diffusion models from DDPM to DDIM",
        kind="lecture",
        description="Alice walks through the **DDPM** loss $\\mathbb{E}\\|\\epsilon - \\epsilon_\\theta\\|^2$ "
        "and why DDIM samples in 50 steps. Bring questions!",
        starts_at=soon,
        ends_at=soon + timedelta(hours=1, minutes=30),
        tz="Europe/Paris",
        online_url="https://meet.example.org/agora-ddim",
        capacity=100,
        speakers="Alice Martin",
    )
    seminar = services.create_event(
        organizer=admin,
        title="上海 AIGC 创作者线下研讨会",
        kind="seminar",
        description="面向 AIGC 创业者和创作者的线下交流：视频生成、版权与商业化。名额有限！",
        starts_at=soon + timedelta(days=7),
        ends_at=soon + timedelta(days=7, hours=3),
        tz="Asia/Shanghai",
        venue="上海市徐汇区 · 创新中心 3F",
        capacity=2,
        speakers="陈伟",
    )
    for name in ["bob", "linxiao"]:
        services.rsvp(user=people[name], event=lecture)
    for name in ["chenwei", "linxiao", "alice"]:  # the third lands on the waiting list
        services.rsvp(user=people[name], event=seminar)
    out.write("Created 2 demo events.")
