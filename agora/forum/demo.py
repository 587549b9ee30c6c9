"""Demo forum: the AIGC community's categories (both languages) and a few living threads."""

from __future__ import annotations

from django.contrib.auth.models import Group

from agora.accounts.models import User
from agora.forum import services
from agora.forum.models import Access, Category, CategoryGroupAccess, Tag, TagGroup, Topic

CATEGORIES = [
    # slug, English, Chinese, description, description (zh), colour, everyone access, Q&A
    (
        "announcements",
        "Announcements",
        "公告",
        "News from the Agora team.",
        "Agora 团队的消息。",
        "#dc2626",
        Access.REPLY,
        False,
    ),
    (
        "text-generation",
        "Text generation",
        "文本生成",
        "LLMs, prompting, fine-tuning, evaluation.",
        "大语言模型、提示词、微调与评测。",
        "#2563eb",
        Access.CREATE,
        False,
    ),
    (
        "image-generation",
        "Image generation",
        "图像生成",
        "Diffusion, GANs, ControlNet, LoRA, workflows.",
        "扩散模型、GAN、ControlNet、LoRA 与工作流。",
        "#7c3aed",
        Access.CREATE,
        False,
    ),
    (
        "audio-video",
        "Audio & video",
        "音频与视频",
        "Speech, music and video generation.",
        "语音、音乐与视频生成。",
        "#0891b2",
        Access.CREATE,
        False,
    ),
    (
        "tutorials",
        "Tutorials",
        "教程",
        "Step-by-step guides with math and code.",
        "包含公式与代码的分步教程。",
        "#16a34a",
        Access.CREATE,
        False,
    ),
    (
        "open-source",
        "Open-source projects",
        "开源项目",
        "Share and discuss open-source AIGC tools.",
        "分享与讨论开源 AIGC 工具。",
        "#ea580c",
        Access.CREATE,
        False,
    ),
    (
        "events",
        "Events",
        "活动",
        "Lectures, seminars, meetups and hackathons.",
        "讲座、研讨会、线下聚会与黑客松。",
        "#db2777",
        Access.CREATE,
        False,
    ),
    (
        "partners",
        "Partners",
        "合作伙伴",
        "Find co-founders, collaborators and early users.",
        "寻找联合创始人、合作者与早期用户。",
        "#ca8a04",
        Access.CREATE,
        False,
    ),
    (
        "qa",
        "Q&A",
        "问答",
        "Ask questions; the best answer gets accepted.",
        "提出问题，最佳答案会被采纳。",
        "#0d9488",
        Access.CREATE,
        True,
    ),
    (
        "lounge",
        "Lounge",
        "茶话会",
        "Everything else.",
        "其他话题。",
        "#64748b",
        Access.CREATE,
        False,
    ),
    (
        "staff",
        "Staff",
        "管理组",
        "Private: moderators only.",
        "私密：仅限管理员。",
        "#334155",
        Access.NONE,
        False,
    ),
]

DDPM_POST = r"""DDPM trains a network $\epsilon_\theta$ to predict the noise added to an image.

## The forward process

$$q(x_t \mid x_0) = \mathcal{N}\left(x_t; \sqrt{\bar\alpha_t}\, x_0, (1 - \bar\alpha_t) I\right)$$

## The loss

$$L_{simple} = \mathbb{E}_{t, x_0, \epsilon}\left[\left\| \epsilon - \epsilon_\theta(\sqrt{\bar\alpha_t} x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon, t) \right\|^2\right]$$

```mermaid
graph TD
  A[x_0 clean image] -->|add noise| B[x_t]
  B -->|UNet predicts eps| C[eps_theta]
  C -->|MSE| D[loss]
```

```python
t = torch.randint(0, T, (x0.shape[0],))
eps = torch.randn_like(x0)
x_t = alpha_bar[t].sqrt()[:, None, None, None] * x0 + (1 - alpha_bar[t]).sqrt()[:, None, None, None] * eps
loss = F.mse_loss(model(x_t, t), eps)
```

Try it in the lab — @chenwei asked for a Chinese version, coming soon!
"""


def seed(*, out) -> None:
    if Category.objects.exists():
        return
    staff_group, _ = Group.objects.get_or_create(name="Staff")
    for admin in User.objects.filter(is_superuser=True):
        admin.groups.add(staff_group)
    by_slug: dict[str, Category] = {}
    for position, (slug, name, name_zh, desc, desc_zh, colour, access, qa) in enumerate(CATEGORIES):
        by_slug[slug] = Category.objects.create(
            slug=slug,
            name=name,
            name_zh=name_zh,
            description=desc,
            description_zh=desc_zh,
            color=colour,
            position=position,
            everyone_access=access,
            is_question_answer=qa,
        )
    CategoryGroupAccess.objects.create(
        category=by_slug["staff"], group=staff_group, access=Access.CREATE
    )
    CategoryGroupAccess.objects.create(
        category=by_slug["announcements"], group=staff_group, access=Access.CREATE
    )
    Category.objects.create(
        slug="comfyui",
        name="ComfyUI workflows",
        name_zh="ComfyUI 工作流",
        parent=by_slug["image-generation"],
        description="Share node graphs and tips.",
        description_zh="分享节点图和技巧。",
        color="#9333ea",
        position=20,
    )
    models_group = TagGroup.objects.create(name="Model families")
    for name in ["diffusion", "gan", "vae", "llm", "tts"]:
        models_group.tags.add(Tag.objects.get_or_create(name=name)[0])

    members = {
        u.username: u
        for u in User.objects.filter(username__in=["alice", "bob", "chenwei", "linxiao"])
    }
    admin = User.objects.filter(is_superuser=True).first()
    if len(members) < 4 or admin is None:
        return
    alice, bob, chenwei, linxiao = (members[n] for n in ["alice", "bob", "chenwei", "linxiao"])

    welcome = services.create_topic(
        author=admin,
        category=by_slug["announcements"],
        title="Welcome to Agora — read this first",
        raw="Agora is a home for people who **make and study AI-generated content**.\n\n"
        "- Share works with their full recipe\n- Ask questions in **Q&A**\n- Train models in the lab\n\n"
        "Please read the [community guidelines](/about/guidelines/) first.\n\n"
        "欢迎来到 Agora！请先阅读[社区守则](/about/guidelines/)，然后在 **茶话会** 里介绍一下自己。",
        tags=["welcome"],
    )
    services.set_topic_state(actor=admin, topic=welcome, pinned_globally=True)

    ddpm = services.create_topic(
        author=alice,
        category=by_slug["tutorials"],
        title="DDPM from scratch: the noise-prediction loss",
        raw=DDPM_POST,
        tags=["diffusion", "tutorial"],
    )
    first = ddpm.posts.get(number=1)
    services.create_post(
        author=bob,
        topic=ddpm,
        raw="Great write-up! Why predict $\\epsilon$ instead of $x_0$?",
        reply_to=first,
    )
    services.create_post(
        author=alice,
        topic=ddpm,
        raw="@bob Ho et al. found $\\epsilon$-prediction with the simple loss gives better samples; it "
        "reweights the ELBO terms so that hard, low-noise steps matter less.",
    )
    services.create_post(
        author=chenwei, topic=ddpm, raw="写得很清楚！我准备翻译成中文，方便国内的朋友学习。"
    )
    services.like_post(user=bob, post=first)
    services.like_post(user=chenwei, post=first)

    question = services.create_topic(
        author=linxiao,
        category=by_slug["qa"],
        title="如何在 CPU 上训练一个小的 VAE？",
        raw="我只有一台两核的笔记本，没有 GPU。有什么办法在半小时内训练出能用的 VAE 吗？\n\nHow small can the latent be?",
        tags=["vae"],
    )
    answer = services.create_post(
        author=alice,
        topic=question,
        raw="Use 8x8 digits or MNIST 5k, a 2-layer MLP encoder and a 16-d latent; Adam 1e-3, batch 128. "
        "On two cores it trains in a few minutes. The lab's VAE preset does exactly this.",
    )
    services.accept_answer(user=linxiao, post=answer)

    services.create_topic(
        author=chenwei,
        category=by_slug["partners"],
        title="寻找联合创始人：AIGC 视频创作工具",
        raw="我们在做一个面向短视频创作者的 AIGC 工具，寻找懂扩散模型的技术合伙人。Remote OK.",
    )
    services.create_topic(
        author=bob,
        category=by_slug["image-generation"],
        title="Training a tiny GAN on my own sketches",
        raw="I have 300 pencil sketches. Is a DCGAN at 64x64 realistic on a CPU, or should I start at 32x32?",
        tags=["gan"],
    )
    services.create_topic(
        author=admin,
        category=by_slug["staff"],
        title="Moderation notes (staff only)",
        raw="Private category: only staff can see this.",
    )
    out.write(
        f"Created {Category.objects.count()} categories and {Topic.objects.count()} demo topics."
    )
