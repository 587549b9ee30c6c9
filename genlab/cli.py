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
    from genlab.text import list_text_datasets

    for d in [*list_datasets(), *list_text_datasets()]:
        print(f"{d['name']:<14}{d['kind']:<8}{d['about']}")
    print("or a folder / zip of images (one subfolder per class for labels)")
    print("or a .txt / .jsonl text file (or a zip of them) for the gpt family")
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
            if args.base:
                overrides["base_model"] = args.base
            if args.freeze_early:
                overrides["freeze_early"] = True
            if args.freeze_blocks is not None:
                overrides["freeze_blocks"] = args.freeze_blocks
            kind = "text" if args.family == "gpt" else "points" if args.dataset in TOYS else "image"
            cfg = resolve_config(args.family, args.dataset, args.preset, kind, **overrides)
            result = train(cfg, out_dir=out, callbacks=[bar])
    finally:
        bar.close()
    print(f"{result.status} at step {result.step}: {result.checkpoint} (sha256 {result.sha256})")
    for k, v in result.metrics.items():
        print(f"  {k}: {v:.6g}")
    return 0


def cmd_sample_text(args: argparse.Namespace, ckpt: Any) -> int:
    from genlab._io import write_bytes_atomic
    from genlab.gpt import TEXT_DEFAULTS, TextRecipe, generate_texts, texts_sha256

    if args.recipe:
        recipe = TextRecipe.from_json(Path(args.recipe).read_text(encoding="utf-8"))
    else:
        given = {
            k: getattr(args, k)
            for k in ("temperature", "top_k", "top_p", "length")
            if getattr(args, k) is not None
        }
        recipe = TextRecipe(
            ckpt.sha256,
            prompt=args.prompt,
            form=args.form,
            acrostic=args.acrostic,
            seed=args.seed,
            count=args.n if args.n_given else 1,
            **{**TEXT_DEFAULTS, **given},
        )
    texts = generate_texts(recipe, ckpt)
    if args.out_given:
        write_bytes_atomic(args.out, ("\n".join(texts) + "\n").encode())
    if args.recipe_out:
        write_bytes_atomic(args.recipe_out, recipe.to_json().encode())
    report = {
        "texts": texts,
        "recipe": recipe.to_dict(),
        "recipe_hash": recipe.hash,
        "texts_sha256": texts_sha256(texts),
    }
    print(json.dumps(report, ensure_ascii=False))
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from genlab.checkpoint import load
    from genlab.images import save_png
    from genlab.recipe import Recipe
    from genlab.sample import fill_defaults, generate, images_sha256, parse_labels, to_grid

    _threads()
    ckpt = load(args.checkpoint)
    args.n_given, args.out_given = args.n is not None, args.out is not None
    if ckpt.family == "gpt":
        return cmd_sample_text(args, ckpt)
    text_options = ("prompt", "form", "acrostic", "temperature", "top_k", "top_p", "length")
    used = [k for k in text_options if getattr(args, k) not in (None, "")]
    if used:
        raise ConfigError(f"--{used[0].replace('_', '-')} applies to gpt (text) checkpoints only")
    args.n = 16 if args.n is None else args.n
    args.out = args.out or "grid.png"
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
    if ckpt.family == "gpt":
        from genlab.gpt import evaluate_text

        settings = {
            k: getattr(args, k)
            for k in ("temperature", "top_k", "top_p")
            if getattr(args, k) is not None
        }
        scores = evaluate_text(ckpt, n=args.n or 200, seed=args.seed, **settings)
        for k, v in scores.items():
            print(f"{k}: {v:.6g}")
        return 0
    scores = evaluate(
        ckpt,
        n=args.n or 1000,
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
            "data": _spec_summary(ckpt.spec.to_dict()),
            "samplers": list(ckpt.model.samplers()),
            "config": ckpt.config.to_dict(),
        }
    )
    print(json.dumps(info, indent=2, sort_keys=True))
    return 0


def _spec_summary(d: dict[str, Any]) -> dict[str, Any]:
    """The data spec without the tokenizer's full vocabulary (its kind and size instead)."""
    if "text" in d:
        from genlab.text import Tokenizer

        text = dict(d["text"])
        tok = Tokenizer.from_json(text.pop("tokenizer"))
        text["tokenizer"] = {"kind": tok.kind, "vocab_size": tok.vocab_size}
        d = {**d, "text": text}
    return d


def _text_options(p: argparse.ArgumentParser, generation: bool = True) -> None:
    """gpt checkpoints: the TextRecipe's options (defaults: genlab.gpt.TEXT_DEFAULTS)."""
    p.add_argument("--temperature", type=float, help="text: 0 is greedy (default 0.8)")
    p.add_argument("--top-k", dest="top_k", type=int, help="text: keep the k likeliest (0: off)")
    p.add_argument("--top-p", dest="top_p", type=float, help="text: nucleus mass (1: off)")
    if generation:
        p.add_argument("--prompt", default="", help="text: what the text starts with")
        p.add_argument(
            "--form",
            help="poems: wuyan-jueju, qiyan-jueju, wuyan-lushi, qiyan-lushi (or 五言绝句 ...)",
        )
        p.add_argument("--acrostic", default="", help="poems: characters that start the lines")
        p.add_argument("--length", type=int, help="text: most new tokens (default 200)")


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
        if result.identical is False and result.built_on != zoo.cpu_kind():
            print(
                f"{result.name}: built on {result.built_on or 'an unrecorded kind of CPU'}, "
                f"rebuilt on {zoo.cpu_kind()}: training is "
                "bit for bit only on the same kind of CPU (docs/genlab.md, the model zoo)"
            )
        if args.write:
            zoo.evaluate_card(args.name, n=args.n)
            print(f"{result.name}: card written with metrics")
        return 0 if result.identical is not False or args.write else 1
    if args.zoo_command == "evaluate":
        scores = zoo.evaluate_card(
            args.name, n=args.n, iwae_k=args.iwae_k, classifier=not args.no_classifier
        )
        for k, v in scores.items():
            print(f"{k}: {v:.6g}")
        return 0
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
    t.add_argument(
        "family",
        help="gan, cgan, wgan-gp, wgan, vae, beta-vae, diffusion, latent, latent-unet, vqvae, "
        "stylegan, gpt",
    )
    t.add_argument("--dataset", required=True)
    t.add_argument("--preset", default="quick", help="quick or quality")
    t.add_argument("--steps", type=int)
    t.add_argument("--seed", type=int)
    t.add_argument("--image-size", dest="image_size", type=int)
    t.add_argument("--sample-every", dest="sample_every", type=int)
    t.add_argument("--checkpoint-every", dest="checkpoint_every", type=int)
    t.add_argument("--out", help="run folder (default runs/FAMILY-DATASET)")
    t.add_argument("--resume", action="store_true", help="continue the run in --out")
    t.add_argument(
        "--base",
        help="fine-tune: start from this zoo model (python -m genlab zoo list) or checkpoint",
    )
    t.add_argument(
        "--freeze-early",
        dest="freeze_early",
        action="store_true",
        help="fine-tune: freeze the first layers of the base model",
    )
    t.add_argument(
        "--freeze-blocks",
        dest="freeze_blocks",
        type=int,
        metavar="N",
        help="fine-tune: freeze the first N blocks (gpt: transformer blocks and the embeddings; "
        "diffusion: UNet resolution levels)",
    )
    t.add_argument("--set", action="append", metavar="KEY=VALUE", help="any config option")
    t.set_defaults(fn=cmd_train)

    s = sub.add_parser(
        "sample", aliases=["generate"], help="generate a grid (or texts) from a checkpoint"
    )
    s.add_argument("checkpoint")
    _sampler_options(s)
    _text_options(s)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--label", help="one class index, or one per sample separated by commas")
    s.add_argument("--n", type=int, help="samples (default 16 images, 1 text)")
    s.add_argument("--out", help="grid.png (default), or a .txt file for texts")
    s.add_argument("--recipe", help="read the recipe from this JSON file instead")
    s.add_argument("--recipe-out", dest="recipe_out", help="write the recipe JSON here")
    s.set_defaults(fn=cmd_sample)

    e = sub.add_parser("evaluate", help="print metrics for a checkpoint")
    e.add_argument("checkpoint")
    e.add_argument(
        "--n", type=int, help="samples scored (default 1,000 images: FD at n >= 1,000; 200 texts)"
    )
    _sampler_options(e)
    _text_options(e, generation=False)
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
    ze = zsub.add_parser("evaluate", help="measure a zoo model with evaluate, write its card")
    ze.add_argument("name")
    ze.add_argument("--n", type=int, default=1000, help="samples scored (FD at n >= 1,000)")
    ze.add_argument("--iwae-k", dest="iwae_k", type=int, default=500, help="VAE: 0 skips")
    ze.add_argument(
        "--no-classifier",
        dest="no_classifier",
        action="store_true",
        help="skip classifier FD/accuracy (likelihood bounds only)",
    )
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
