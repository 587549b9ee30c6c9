"""Fine-tuning a zoo model vs training from scratch on a small data set of a new class.

Both runs train the same network (the base's architecture, batch, learning rate and warm-up) on
the first --examples items of the data set's training split, one thread, in segments of
--eval-every steps (a resumed run continues bit-identically); after each segment the new class
is scored on held-out data, outside the timed part:

- 2-D points: MMD^2 (genlab.metrics.mmd2_unbiased, 5 bandwidths) of 1,000 samples of the new
  class (the zoo's sampler defaults) against 1,000 held-out points;
- images: the held-out denoising loss L_simple (fixed t and noise) on the validation split;
- text (a gpt base such as tang-gpt): validation bits per character on the held-out poems of
  --data, a text file, or `poet:NAME` for the first --examples regular poems of one poet of the
  Song dynasty in chinese-poetry (plus 5 % held out). The from-scratch run is the base's
  network and vocabulary with fresh random weights, so both runs share the tokenizer (extended
  by the poet's new characters) and are scored on the same held-out poems.

--lr sets both runs' learning rate; --freeze-blocks N freezes the base's first N blocks in the
fine-tune only (genlab's freeze_blocks).

Prints the quality curve against CPU-seconds (process time of the training only) and the
CPU-seconds each run needs to reach the target: --target, else the best quality the
from-scratch run reaches within its budget. Last line: `bench: finetune ...` with the ratio.

    nice -n 10 env OMP_NUM_THREADS=1 python bench/finetune.py --base moons-diffusion \
        --data swissroll --examples 200 --steps 1500 --eval-every 100
    nice -n 10 env OMP_NUM_THREADS=1 python bench/finetune.py --base tang-gpt \
        --data poet:陸游 --examples 200 --steps 250 --eval-every 50
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from genlab import metrics, zoo
from genlab.checkpoint import load
from genlab.config import TrainConfig
from genlab.data import load_dataset
from genlab.diffusion import eps_loss
from genlab.recipe import Recipe
from genlab.sample import generate_tensor, sampler_defaults
from genlab.train import train

HELDOUT: list[str] = []  # text: poems scored besides the data set's own held-out 5 %


def poet_file(poet: str, n: int, folder: Path, extra: int = 0) -> Path:
    """The first n / 0.95 regular poems (genlab.text.form_of) of one Song poet, one per line;
    the `extra` poems after them go to HELDOUT (never trained on)."""
    from genlab.text import form_of, npm_package_dir

    src = npm_package_dir("chinese-poetry") / "dist" / "quantangshi"
    files = sorted(src.glob("poet.song.*.json"), key=lambda p: int(p.stem.split(".")[-1]))
    want = round(n / 0.95)
    poems: list[str] = []
    for f in files:
        for poem in json.loads(f.read_text(encoding="utf-8")):
            text = "".join(poem.get("paragraphs") or [])
            if poem.get("author") == poet and form_of(text) and text not in poems:
                poems.append(text)
        if len(poems) >= want + extra:
            break
    HELDOUT.extend(poems[want : want + extra])
    path = folder / "poems.txt"
    path.write_text("\n".join(poems[:want]) + "\n", encoding="utf-8")
    return path


def random_base(base, folder: Path) -> Path:
    """The base's network and vocabulary with freshly initialised weights (GPT-2 init, seed 0):
    the from-scratch run starts here, so both runs share the tokenizer (a character model
    cannot score characters it lacks) and the held-out poems they are scored on."""
    from genlab import checkpoint
    from genlab.family import build_family

    torch.manual_seed(0)
    path = folder / "random.safetensors"
    checkpoint.save(path, build_family(base.config, base.spec), 0)
    return path


def text_quality(model, data: str) -> float:
    """Bits per character of a gpt Family on the data set's held-out split and HELDOUT, leaving
    out poems with a character its vocabulary lacks (the same poems for both runs: they share
    the vocabulary)."""
    from genlab.gpt import bits_per_char
    from genlab.text import load_corpus, to_stream

    _, val = load_corpus(data).split()
    stream = to_stream("held-out", model.tokenizer, [*val, *HELDOUT], drop_unknown=True)
    return bits_per_char(model, stream)["val_bits_per_char"]


def initial_text_quality(cfg: TrainConfig) -> float:
    """Step 0 of a run: its base's weights in the run's network (the vocabulary extended by the
    new characters, their rows from the mean: genlab.finetune.apply_base)."""
    from genlab import finetune
    from genlab.family import build_family
    from genlab.train import prepare

    run_cfg, _train, _val, spec = prepare(cfg)
    model = build_family(run_cfg, spec)
    finetune.apply_base(model, finetune.load_base(run_cfg)[0])
    model.eval_mode()
    return text_quality(model, cfg.dataset)


def quality(ckpt_path: Path, data: str, n: int = 1000) -> float:
    ckpt = load(ckpt_path)
    if ckpt.spec.kind == "text":
        return text_quality(ckpt.model, data)
    ds = load_dataset(data, image_size=ckpt.spec.shape[-1] if ckpt.spec.kind == "image" else None)
    _, val = ds.split()
    if ckpt.spec.kind == "points":
        k = ckpt.spec.num_classes
        d = sampler_defaults(ckpt)
        labels = (k - 1,) if k else None  # the new class is the last one
        recipe = Recipe(
            ckpt.sha256,
            sampler=d["sampler"],
            steps=d["steps"],
            eta=d["eta"],
            guidance=d["guidance"] if k else 0.0,
            seed=0,
            labels=labels,
            count=n,
        )
        return metrics.mmd2_unbiased(generate_tensor(recipe, ckpt), val.x[:n])
    model = ckpt.model
    gen = torch.Generator().manual_seed(0)
    k = ckpt.spec.num_classes
    y = torch.full((len(val),), k - 1, dtype=torch.long) if k else None
    with torch.no_grad():
        loss = eps_loss(model.ema.shadow.eval(), model.sched, val.x, y, gen)
    return float(loss)


def run(cfg: TrainConfig, data: str, out: Path, total: int, every: int) -> list[tuple]:
    curve = []
    cpu = 0.0
    for step in range(every, total + 1, every):
        seg = TrainConfig.from_dict({**cfg.to_dict(), "steps": step})
        c0 = time.process_time()
        result = train(seg, out_dir=out, resume=step > every)
        cpu += time.process_time() - c0
        q = quality(result.checkpoint, data)
        curve.append((step, round(cpu, 2), q))
        print(f"  {out.name:<9} step {step:>5}  {cpu:8.1f} CPU-s  quality {q:.5f}", flush=True)
    return curve


def run_text(cfg: TrainConfig, out: Path, total: int, every: int) -> list[tuple]:
    """One uninterrupted run (the cosine schedule spans the whole run, so it is not cut into
    resumed segments), scored where it starts (step 0: the base, or the random weights) and at
    each checkpoint; scoring is taken out of the CPU time. The last point includes the driver's
    final metrics (bits/char and 100 sampled poems)."""
    from genlab.train import Callback

    class Score(Callback):
        def __init__(self) -> None:
            self.start = time.process_time()
            self.excluded = 0.0
            self.curve: list[tuple] = []

        def on_checkpoint(self, step: int, path: Path) -> None:
            t0 = time.process_time()
            cpu = t0 - self.start - self.excluded
            q = quality(path, cfg.dataset)
            self.curve.append((step, round(cpu, 2), q))
            print(f"  {out.name:<9} step {step:>5}  {cpu:8.1f} CPU-s  quality {q:.5f}", flush=True)
            self.excluded += time.process_time() - t0

    score = Score()
    start = initial_text_quality(cfg)  # step 0: where it starts
    score.curve.append((0, 0.0, start))
    print(f"  {out.name:<9} step     0       0.0 CPU-s  quality {start:.5f}", flush=True)
    score.start = time.process_time()
    seg = TrainConfig.from_dict({**cfg.to_dict(), "steps": total, "checkpoint_every": every})
    train(seg, out_dir=out, callbacks=[score])
    return score.curve


def reach(curve: list[tuple], target: float) -> float | None:
    for _, cpu, q in curve:
        if q <= target:
            return cpu
    return None


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--base", default="moons-diffusion", help="zoo model (or checkpoint)")
    p.add_argument("--data", default="swissroll", help="data set of the new class")
    p.add_argument("--examples", type=int, default=200)
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--eval-every", dest="every", type=int, default=100)
    p.add_argument("--lr", type=float, help="both runs (default: the base's)")
    p.add_argument(
        "--freeze-blocks",
        dest="freeze_blocks",
        type=int,
        default=0,
        help="the fine-tune only: freeze the base's first N blocks (genlab freeze_blocks)",
    )
    p.add_argument("--target", type=float, help="quality to reach (default: scratch's best)")
    p.add_argument("--json", help="write the curves here")
    p.add_argument(
        "--heldout", type=int, default=0, help="text, poet:NAME: also score the next N poems"
    )
    args = p.parse_args()
    torch.set_num_threads(1)

    base = load(zoo.resolve_base(args.base))
    tmpdir = tempfile.TemporaryDirectory()
    if base.family == "gpt" and args.data.startswith("poet:"):
        args.data = str(poet_file(args.data[5:], args.examples, Path(tmpdir.name), args.heldout))
    common = {
        **base.config.to_dict(),
        "dataset": args.data,
        "steps": args.steps,
        "seed": 0,
        "log_every": 10**9,
        "conditional": None,
    }
    if base.family != "gpt":
        common["max_examples"] = args.examples
    if args.lr:
        common["lr"] = args.lr
    for k in ("base_model", "base_sha256", "freeze_early", "freeze_blocks"):
        common.pop(k, None)
    if base.family == "gpt":  # the same tokenizer, random weights (see random_base)
        from genlab.text import Tokenizer, load_corpus, prepare_text, to_stream

        tuned_cfg = TrainConfig.from_dict({**common, "base_model": args.base})
        spec = prepare_text(tuned_cfg, base=base.spec)[3]  # the vocabulary both runs share
        tok = Tokenizer.from_json(spec.text["tokenizer"])
        _, val = load_corpus(args.data).split()
        kept = to_stream("held-out", tok, [*val, *HELDOUT], drop_unknown=True)
        print(f"text: scored on {kept.documents} held-out poems ({kept.chars} characters)")
        scratch_base = random_base(base, Path(tmpdir.name))
        scratch_cfg = TrainConfig.from_dict({**common, "base_model": str(scratch_base)})
    else:
        scratch_cfg = TrainConfig.from_dict(common)
    frozen = {"freeze_blocks": args.freeze_blocks} if args.freeze_blocks else {}
    tuned_cfg = TrainConfig.from_dict({**common, "base_model": args.base, **frozen})
    load_avg = os.getloadavg()
    print(
        f"base {args.base} ({base.family}, {base.spec.classes}); data {Path(args.data).name}, "
        f"{args.examples} examples; load {load_avg[0]:.1f}"
    )
    with tmpdir as tmp:
        if base.family == "gpt":
            scratch = run_text(scratch_cfg, Path(tmp) / "scratch", args.steps, args.every)
            tuned = run_text(tuned_cfg, Path(tmp) / "finetune", args.steps, args.every)
        else:
            scratch = run(scratch_cfg, args.data, Path(tmp) / "scratch", args.steps, args.every)
            tuned = run(tuned_cfg, args.data, Path(tmp) / "finetune", args.steps, args.every)
    target = args.target if args.target is not None else min(q for _, _, q in scratch)
    a, b = reach(scratch, target), reach(tuned, target)
    print(f"target quality {target:.5f}: scratch {a} CPU-s, fine-tune {b} CPU-s")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"scratch": scratch, "finetune": tuned, "target": target, "load": load_avg},
                indent=1,
            )
        )
    ratio = f"{a / b:.1f}x" if a and b else "inf (the base starts there)" if b == 0 else "n/a"
    print(
        f"bench: finetune base={args.base} data={Path(args.data).name}/{args.examples} "
        f"lr={common['lr']:g} freeze_blocks={args.freeze_blocks} target={target:.4g} "
        f"scratch_cpu_s={a} finetune_cpu_s={b} speedup={ratio} load={load_avg[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
