"""Demo members and the first admin. The admin password is printed once, or taken from env."""

from __future__ import annotations

import os
import secrets

from allauth.account.models import EmailAddress

from agora.accounts.models import User

DEMO_MEMBERS = [
    {
        "username": "alice",
        "display_name": "Alice Martin",
        "bio": "Diffusion researcher. I write about samplers, schedules and why EMA matters.",
        "skills": ["pytorch", "diffusion", "research"],
        "interests": ["text-to-image", "sampling"],
        "links": ["https://example.org/alice"],
        "language": "en",
        "timezone": "Europe/Paris",
    },
    {
        "username": "chenwei",
        "display_name": "陈伟",
        "bio": "做 AIGC 创业，关注文生图和视频生成的落地应用。欢迎交流合作。",
        "skills": ["product", "stable diffusion", "comfyui"],
        "interests": ["视频生成", "startups"],
        "links": [],
        "language": "zh-hans",
        "timezone": "Asia/Shanghai",
    },
    {
        "username": "bob",
        "display_name": "Bob Okafor",
        "bio": "Illustrator learning to train small GANs on my own sketches.",
        "skills": ["illustration", "gan"],
        "interests": ["style transfer", "datasets"],
        "links": [],
        "language": "en",
        "timezone": "Africa/Lagos",
    },
    {
        "username": "linxiao",
        "display_name": "林晓",
        "bio": "音频生成与语音合成方向的研究生。",
        "skills": ["audio", "tts", "vae"],
        "interests": ["music generation", "语音合成"],
        "links": [],
        "language": "zh-hans",
        "timezone": "Asia/Shanghai",
    },
]


def seed(*, out) -> None:
    if not User.objects.filter(is_superuser=True).exists():
        username = os.environ.get("AGORA_ADMIN_USERNAME", "admin")
        email = os.environ.get("AGORA_ADMIN_EMAIL", "admin@example.com")
        password = os.environ.get("AGORA_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        admin = User.objects.create_superuser(
            username=username, email=email, password=password, display_name="Agora Admin"
        )
        EmailAddress.objects.create(user=admin, email=email, verified=True, primary=True)
        if "AGORA_ADMIN_PASSWORD" in os.environ:
            out.write(
                f"Created admin account '{username}' with the password from AGORA_ADMIN_PASSWORD."
            )
        else:
            out.write(
                "\n  Admin account created — shown only this once:\n"
                f"    username: {username}\n    password: {password}\n"
            )
    for spec in DEMO_MEMBERS:
        if User.objects.filter(username=spec["username"]).exists():
            continue
        email = f"{spec['username']}@example.com"
        member = User(email=email, **spec)
        member.set_unusable_password()
        member.save()
        EmailAddress.objects.create(user=member, email=email, verified=True, primary=True)
        out.write(f"Created demo member {spec['username']}.")
