"""Demo launches and partner requests."""

from __future__ import annotations

from agora.accounts.models import User
from agora.showcase import services
from agora.showcase.models import Launch


def seed(*, out) -> None:
    if Launch.objects.exists():
        return
    people = {
        u.username: u
        for u in User.objects.filter(username__in=["alice", "chenwei", "bob", "linxiao"])
    }
    if len(people) < 4:
        return
    studio = services.create_launch(
        owner=people["chenwei"],
        name="ClipForge",
        tagline="把一段文字变成 15 秒短视频 — text to short video",
        audience="Short-video creators and small studios",
        website="https://clipforge.example.com",
        description="ClipForge turns a script into a storyboard, generates the shots with a video diffusion model, "
        "and edits them together. 中文与英文脚本都支持。",
    )
    services.upvote(user=people["alice"], launch=studio)
    services.upvote(user=people["bob"], launch=studio)
    services.sign_up_to_try(
        user=people["linxiao"], launch=studio, note="做音频的，想试试配乐功能", consent=True
    )
    services.create_launch(
        owner=people["alice"],
        name="TinyDiffusion",
        tagline="A readable DDPM/DDIM library that trains on a laptop",
        audience="Students and researchers",
        website="https://tinydiffusion.example.org",
        repository="https://github.com/example/tinydiffusion",
        description="Small, faithful implementations of DDPM and DDIM with tests against the reference equations.",
    )
    services.create_partner_request(
        author=people["chenwei"],
        title="寻找懂视频扩散模型的技术合伙人",
        role="cofounder",
        description="我们已经有早期用户和种子轮意向，需要一位能负责模型训练与推理优化的合伙人。",
        skills="diffusion, pytorch, video",
        location="上海 Shanghai",
        remote=True,
        days=60,
    )
    services.create_partner_request(
        author=people["bob"],
        title="Looking for an ML engineer to co-build a sketch-to-art tool",
        role="engineer",
        description="I am an illustrator with a dataset of 300 sketches and a clear product idea.",
        skills="gan, pytorch",
        location="",
        remote=True,
        days=30,
    )
    out.write("Created demo launches and partner requests.")
