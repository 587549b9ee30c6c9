"""python -m genlab: datasets | train | sample | evaluate | info | zoo.

User errors exit 2 with a message and no traceback."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from genlab.errors import ConfigError, GenlabError


def _threads() -> None:
    import torch

    torch.set_num_threads(int(os.environ.get("GENLAB_THREADS", "2")))


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _overrides(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ConfigError(f"--set expects key=value, got {pair!r}")
        out[key.strip()] = _parse_value(value)
    return out


def cmd_datasets(args: argparse.Namespace) -> int:
    from genlab.data import list_datasets

    for d in list_datasets():
        print(f"{d['name']:<14}{d['kind']:<8}{d['about']}")
    print("or a folder / zip of images (one subfolder per class for labels)")
    return 0


class _Bar:
    """tqdm progress bar fed by the training callbacks."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self.tqdm = tqdm
        self.bar: Any = None

    def on_progress(self, p: Any) -> None:
        if self.bar is None:
            self.bar = self.tqdm(total=p.total, initial=p.step, unit="step", dynamic_ncols=True)
        self.bar.update(p.step - self.bar.n)
        losses = " ".join(f"{k}={v:.4g}" for k, v in p.losses.items())
        self.bar.set_postfix_str(f"{losses} {p.images_per_s:.0f} img/s")

    def on_samples(self, step: int, path: Path) -> None:
        return None

    def on_checkpoint(self, step: int, path: Path) -> None:
        return None

    def should_cancel(self) -> bool:
        return False

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def cmd_train(args: argparse.Namespace) -> int:
    from genlab.config import resolve_config
    from genlab.data import TOYS
    from genlab.train import train

    _threads()
    out = Path(args.out or f"runs/{args.family}-{Path(args.dataset).name}")
    bar = _Bar()
    try:
        if args.resume:
            cfg = None
            given = {
                k: getattr(args, k)
                for k in ("steps", "sample_every", "checkpoint_every")
                if getattr(args, k) is not None
            }
            if given:  # extend the run, or change how often it samples and checkpoints
                from genlab.train import STATE, load_state

                cfg = {**json.loads(load_state(out / STATE)["config"]), **given}
            result = train(cfg, out_dir=out, callbacks=[bar], resume=True)
        else:
            overrides = _overrides(args.set or [])
            for name in ("steps", "seed", "image_size", "sample_every", "checkpoint_every"):
                if getattr(args, name) is not None:
                    overrides[name] = getattr(args, name)
            kind = "points" if args.dataset in TOYS else "image"
            cfg = resolve_config(args.family, args.dataset, args.preset, kind, **overrides)
            result = train(cfg, out_dir=out, callbacks=[bar])
    finally:
        bar.close()
    print(f"{result.status} at step {result.step}: {result.checkpoint} (sha256 {result.sha256})")
    for k, v in result.metrics.items():
        print(f"  {k}: {v:.6g}")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from genlab.checkpoint import load
    from genlab.images import save_png
    from genlab.recipe import Recipe
    from genlab.sample import fill_defaults, generate, images_sha256, parse_labels, to_grid

    _threads()
    ckpt = load(args.checkpoint)
    if args.recipe:
        recipe = Recipe.from_json(Path(args.recipe).read_text())
    else:
        labels = parse_labels(args.label)
        recipe = Recipe(
            ckpt.sha256,
            **fill_defaults(ckpt, args.sampler, args.steps, args.eta, args.guidance),
            seed=args.seed,
            labels=labels,
            count=args.n,
            clip_sample=args.clip_sample,
            variance=args.variance,
        )
    images = generate(recipe, ckpt)
    save_png(args.out, to_grid(images))
    if args.recipe_out:
        from genlab._io import write_bytes_atomic

        write_bytes_atomic(args.recipe_out, recipe.to_json().encode())
    print(
        json.dumps(
            {
                "out": str(args.out),
                "recipe": recipe.to_dict(),
                "recipe_hash": recipe.hash,
                "images_sha256": images_sha256(images),
            }
        )
    )
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from genlab.checkpoint import load
    from genlab.metrics import evaluate

    _threads()
    ckpt = load(args.checkpoint)
    scores = evaluate(
        ckpt,
        n=args.n,
        sampler=args.sampler,
        steps=args.steps,
        guidance=args.guidance,
        eta=args.eta,
        seed=args.seed,
        clip_sample=args.clip_sample,
        variance=args.variance,
        iwae_k=args.iwae_k,
    )
    for k, v in scores.items():
        print(f"{k}: {v:.6g}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from genlab.checkpoint import load
    from genlab.nets import count_parameters

    ckpt = load(args.checkpoint)
    params = sum(count_parameters(m) for m in ckpt.model.sampling_modules().values())
    info = {k: ckpt.meta[k] for k in ("family", "dataset", "steps", "metrics", "genlab_version")}
    info.update(
        {
            "sha256": ckpt.sha256,
            "parameters": params,
            "data": ckpt.spec.to_dict(),
            "samplers": list(ckpt.model.samplers()),
            "config": ckpt.config.to_dict(),
        }
    )
    print(json.dumps(info, indent=2, sort_keys=True))
    return 0


def cmd_zoo(args: argparse.Namespace) -> int:
    from genlab import zoo

    if args.zoo_command == "list":
        for m in zoo.list_models():
            cpu = m.cpu_minutes
            state = f"{cpu:.1f} CPU-min" if cpu is not None else "not built"
            sha = m.weights_sha256[:12] if m.built else "-"
            print(f"{m.name:<20}{m.family:<10}{m.dataset:<10}{state:<14}{sha}  {m.title}")
        return 0
    if args.zoo_command == "build":
        result = zoo.build(args.name, write=args.write)
        same = {True: "identical to the card", False: "DIFFERS from the card", None: "new"}
        print(
            f"{result.name}: weights sha256 {result.weights_sha256} "
            f"({same[result.identical]}); {result.cpu_minutes:.2f} CPU-min, "
            f"{result.wall_minutes:.2f} min wall"
        )
        if args.write:
            zoo.evaluate_card(args.name, n=args.n)
            print(f"{result.name}: card written with metrics")
        return 0 if result.identical is not False or args.write else 1
    checks = zoo.verify(args.names or None, tolerance=args.tolerance)
    for c in checks:
        status = "ok" if c.ok and not c.problems else ("close" if c.ok else "FAILED")
        print(f"{c.name:<20}{status:<8}{c.seconds:6.1f} s  {'; '.join(c.problems)}")
    return 0 if all(c.ok for c in checks) else 1


def _sampler_options(p: argparse.ArgumentParser) -> None:
    """Every option a recipe has; unset ones take the family's measured defaults
    (genlab.sample.SAMPLER_DEFAULTS)."""
    p.add_argument("--sampler", choices=["ddpm", "ddim", "direct"])
    p.add_argument("--steps", type=int, help="DDIM steps (default: the family's)")
    p.add_argument("--eta", type=float, help="DDIM eta (default: the family's measured best)")
    p.add_argument(
        "--clip-sample",
        dest="clip_sample",
        action="store_true",
        help="DDIM on images: clamp each x0 prediction to [-1, 1] (diffusers' clip_sample)",
    )
    p.add_argument(
        "--variance",
        choices=["beta", "beta_tilde"],
        default="beta",
        help="DDPM sampler: sigma_t^2 = beta_t or the posterior variance beta-tilde_t",
    )
    p.add_argument(
        "--guidance", type=float, help="classifier-free guidance w (default: the family's)"
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="genlab", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("datasets", help="list built-in data sets").set_defaults(fn=cmd_datasets)

    t = sub.add_parser("train", help="train a model")
    t.add_argument("family", help="gan, cgan, wgan-gp, vae, beta-vae, diffusion, latent")
    t.add_argument("--dataset", required=True)
    t.add_argument("--preset", default="quick", help="quick or quality")
    t.add_argument("--steps", type=int)
    t.add_argument("--seed", type=int)
    t.add_argument("--image-size", dest="image_size", type=int)
    t.add_argument("--sample-every", dest="sample_every", type=int)
    t.add_argument("--checkpoint-every", dest="checkpoint_every", type=int)
    t.add_argument("--out", help="run folder (default runs/FAMILY-DATASET)")
    t.add_argument("--resume", action="store_true", help="continue the run in --out")
    t.add_argument("--set", action="append", metavar="KEY=VALUE", help="any config option")
    t.set_defaults(fn=cmd_train)

    s = sub.add_parser("sample", help="generate a grid from a checkpoint")
    s.add_argument("checkpoint")
    _sampler_options(s)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--label", help="one class index, or one per sample separated by commas")
    s.add_argument("--n", type=int, default=16)
    s.add_argument("--out", default="grid.png")
    s.add_argument("--recipe", help="read the recipe from this JSON file instead")
    s.add_argument("--recipe-out", dest="recipe_out", help="write the recipe JSON here")
    s.set_defaults(fn=cmd_sample)

    e = sub.add_parser("evaluate", help="print metrics for a checkpoint")
    e.add_argument("checkpoint")
    e.add_argument("--n", type=int, default=1000, help="samples scored (FD at n >= 1,000)")
    _sampler_options(e)
    e.add_argument("--seed", type=int, default=0)
    e.add_argument(
        "--iwae-k",
        dest="iwae_k",
        type=int,
        default=500,
        help="VAE: importance samples of the held-out NLL bound (0: skip)",
    )
    e.set_defaults(fn=cmd_evaluate)

    z = sub.add_parser("zoo", help="the model zoo: list, build, verify")
    zsub = z.add_subparsers(dest="zoo_command", required=True)
    zsub.add_parser("list", help="the zoo's models")
    zb = zsub.add_parser("build", help="retrain a zoo model from its recipe, compare bit for bit")
    zb.add_argument("name")
    zb.add_argument(
        "--write", action="store_true", help="store the weights, reference grid and card"
    )
    zb.add_argument("--n", type=int, default=1000, help="samples for the card's metrics")
    zv = zsub.add_parser("verify", help="check weights' hashes and regenerate reference samples")
    zv.add_argument("names", nargs="*", help="models to check (default: all)")
    zv.add_argument(
        "--tolerance",
        type=int,
        default=0,
        help="accept reference grids within this many 8-bit levels (another CPU's rounding)",
    )
    z.set_defaults(fn=cmd_zoo)

    i = sub.add_parser("info", help="print a checkpoint's metadata")
    i.add_argument("checkpoint")
    i.set_defaults(fn=cmd_info)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.fn(args))
    except GenlabError as exc:
        print(f"genlab: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("genlab: interrupted", file=sys.stderr)
        return 130
