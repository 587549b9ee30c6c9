"""Demo: an open model challenge (moons in a CPU-minute) with entries from demo members, each
a tiny run trained here in seconds, and the zoo's published moons model (entered by the zoo
account), all scored on the sealed split and verified by rebuilding; a Tang poems challenge with
the zoo's tang-gpt entered (evaluated by the worker); and a work contest taking entries."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from agora.accounts.models import User
from agora.challenges import evaluation, services
from agora.challenges.models import Challenge, Contest, Entry
from agora.lab import execution
from agora.lab.models import TrainingRun
from agora.lab.services import runs

# (member, steps, seed): different trainings, so the board and its Pareto chart have a shape
ENTRANTS = [("alice", 150, 11), ("bob", 60, 12), ("chenwei", 300, 13)]


def _enter_zoo_models(challenge: Challenge, *, evaluate: bool = True) -> int:
    """The zoo's official models on the challenge's data set, within its budget, entered by the
    zoo account (their owner) and evaluated like any entry: rebuilt from the zoo recipe. With
    `evaluate=False` the entries wait for the worker (the training queue), as members' do."""
    from agora.lab.models import LabModel
    from agora.lab.services.zoo import ZOO_USERNAME

    placed = 0
    models = LabModel.objects.filter(
        official=True,
        superseded_by=None,
        owner__username=ZOO_USERNAME,
        run__dataset=challenge.dataset,
        run__cpu_seconds__gt=0,
        run__cpu_seconds__lte=challenge.cpu_budget_minutes * 60,
    ).select_related("run", "owner")
    sampler = "" if services.is_text(challenge) else "ddim"
    for model in models:
        # A verification nobody is waiting for: members' jobs go first (agora/lab/lane.py).
        entry = services.submit(
            user=model.owner, challenge=challenge, model=model, sampler=sampler, background=True
        )
        if evaluate:
            placed += evaluation.evaluate(submission_id=entry.id) == "scored"
        else:
            placed += 1
    return placed


def seed(*, out) -> None:
    creator = User.objects.filter(is_staff=True).order_by("id").first()
    if creator is None:
        return
    if not Challenge.objects.exists():
        _seed_moons(creator, out)
    if not Challenge.objects.filter(task="tang-poems").exists():
        _seed_tang(creator, out)


def _seed_tang(creator: User, out) -> None:
    """Tang poems: the zoo's tang-gpt enters (scoring it takes seconds; rebuilding it from its
    recipe is a full training, minutes, so its evaluation waits for the worker on the training
    queue instead of slowing the seeding)."""
    now = timezone.now()
    challenge = services.create_challenge(
        creator=creator,
        title="Tang poems in ten CPU-minutes",
        title_zh="十分钟 CPU 写唐诗",
        description=(
            "Train a **gpt** model on the Tang poems within **ten CPU-minutes** and enter it. "
            "The platform measures its bits per character on sealed poems that no training run, "
            "page or download sees (lower is better; ties go to fewer CPU-minutes), and the "
            "share of 100 samples, drawn with fixed settings, that are regular poems."
        ),
        description_zh="在十分钟 CPU 内于唐诗数据上训练 **gpt** 模型并提交。平台在封存的诗上计算"
        "每字比特数（越低越好，同分时 CPU 用时少者在前），并统计以固定设置生成的 100 首中格律"
        "合规的比例。",
        task="tang-poems",
        dataset="tang",
        metric="bits_per_char",
        cpu_budget_minutes=10,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=14),
        count=100,
    )
    entered = _enter_zoo_models(challenge, evaluate=False)
    out.write(f"Opened the Tang poems challenge with {entered} zoo entry(ies) to evaluate.")


def _seed_moons(creator: User, out) -> None:
    now = timezone.now()
    challenge = services.create_challenge(
        creator=creator,
        title="Moons in a CPU-minute",
        title_zh="一分钟 CPU 拟合双月",
        description=(
            "Train any model family on the 2-D **moons** data within **one CPU-minute**, then "
            "enter the run. Entries are scored by unbiased MMD² against a sealed part of the "
            "data set that no training run sees; lower is better, ties go to fewer CPU-minutes."
        ),
        description_zh="在一分钟 CPU 内于二维 **moons** 数据上训练任意模型并提交。"
        "平台用封存数据计算 MMD²，越低越好；同分时 CPU 用时少者在前。",
        task="density-2d",
        dataset="moons",
        metric="mmd2",
        cpu_budget_minutes=1,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=14),
        count=500,
        samplers=["ddim", "ddpm"],
        max_steps=50,
    )
    placed = 0
    for username, steps, run_seed in ENTRANTS:
        member = User.objects.filter(username=username).first()
        if member is None:
            continue
        run = TrainingRun.objects.create(
            owner=member,
            title=f"Moons sprint ({steps} steps)",
            family="diffusion",
            dataset="moons",
            steps=steps,
            seed=run_seed,
            total_steps=steps,
            cpu_budget_s=60,
            settings=runs.validate_run(
                user=member,
                family="diffusion",
                dataset="moons",
                preset="quick",
                steps=steps,
                seed=run_seed,
            ),
        )
        if execution.execute_run(run_id=run.id, worker="seed_demo") != "completed":
            continue
        run.refresh_from_db()
        entry = services.submit(user=member, challenge=challenge, run=run, sampler="ddim")
        placed += evaluation.evaluate(submission_id=entry.id) == "scored"
    placed += _enter_zoo_models(challenge)
    contest = Contest.objects.create(
        creator=creator,
        title="Moonlight",
        theme="Anything the moon inspires",
        rules="One work per member, your own, AI-generated.",
        rules_html="<p>One work per member, your own, AI-generated.</p>",
        opens_at=now - timedelta(days=1),
        entries_close_at=now + timedelta(days=6),
        voting_closes_at=now + timedelta(days=9),
    )
    from agora.gallery.models import Work

    for work in Work.objects.filter(private=False).order_by("id")[:3]:
        Entry.objects.get_or_create(contest=contest, work=work, defaults={"entrant": work.author})
    out.write(f"Opened a demo challenge with {placed} verified entries and a work contest.")
