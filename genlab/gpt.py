"""The gpt family: a decoder-only transformer as in GPT-2 (Radford et al. 2019) and nanoGPT —
token and learned position embeddings, pre-LayerNorm blocks of causal self-attention and a GELU
MLP, a final LayerNorm, and an output layer tied to the token embedding — trained with AdamW
(weight decay on matrices only), linear warm-up and cosine decay.

Sampling: temperature, top-k and top-p (in that order, as transformers' logits processors do),
a seed, a length; for poem models a form (五言/七言 × 绝句/律诗) and an acrostic (藏头诗) enforced
while decoding by masking the logits. A generation is a pure function of the TextRecipe
(checkpoint hash, prompt, form, acrostic, temperature, top_k, top_p, seed, length, count).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from genlab.errors import RecipeError
from genlab.family import DataSpec, Family
from genlab.text import (
    COMMA,
    FORM_NAMES,
    FORMS,
    SEP,
    STOP,
    CharTokenizer,
    TextDataset,
    Tokenizer,
    canonical_form,
    form_of,
)

TEXT_RECIPE_VERSION = 1
MAX_TEXT_COUNT = 256
MAX_LENGTH = 2048
# Sampling defaults of the site and the CLI; the poem preset's form rate is measured at these.
TEXT_DEFAULTS: dict[str, Any] = {"temperature": 0.8, "top_k": 0, "top_p": 1.0, "length": 200}


# ------------------------------------------------------------------------------------ model


class CausalSelfAttention(nn.Module):
    """Multi-head masked self-attention; c_attn makes q, k, v in one matmul (GPT-2's names)."""

    def __init__(self, n_embd: int, n_head: int) -> None:
        super().__init__()
        self.n_head = n_head
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        hs = C // self.n_head
        q = q.view(B, T, self.n_head, hs).transpose(1, 2)
        k = k.view(B, T, self.n_head, hs).transpose(1, 2)
        v = v.view(B, T, self.n_head, hs).transpose(1, 2)
        # softmax(q k^T / sqrt(d) + causal mask) v, Vaswani et al. eq. 1
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).reshape(B, T, C))


class MLP(nn.Module):
    def __init__(self, n_embd: int) -> None:
        super().__init__()
        self.c_fc = nn.Linear(n_embd, 4 * n_embd)
        self.c_proj = nn.Linear(4 * n_embd, n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # GPT-2's GELU is the tanh approximation (transformers' "gelu_new")
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(nn.Module):
    """Pre-LayerNorm residual block (GPT-2 sec. 2.3)."""

    def __init__(self, n_embd: int, n_head: int) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = MLP(n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, vocab_size: int, block_size: int, n_layer: int, n_head: int, n_embd: int):
        super().__init__()
        self.block_size = block_size
        self.transformer = nn.ModuleDict(
            {
                "wte": nn.Embedding(vocab_size, n_embd),
                "wpe": nn.Embedding(block_size, n_embd),
                "h": nn.ModuleList([Block(n_embd, n_head) for _ in range(n_layer)]),
                "ln_f": nn.LayerNorm(n_embd),
            }
        )
        # GPT-2 init: N(0, 0.02), zero biases, residual projections scaled by 1/sqrt(2 n_layer)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * n_layer))
            elif name.endswith(".bias"):
                nn.init.zeros_(p)
            elif p.dim() == 2:
                nn.init.normal_(p, 0.0, 0.02)

    def forward(self, idx: torch.Tensor, last_only: bool = False) -> torch.Tensor:
        """Logits (B, T, vocab), or (B, 1, vocab) for the last position only (sampling); the
        output layer is the token embedding (weight tying)."""
        T = idx.shape[1]
        if self.block_size < T:
            raise RecipeError(f"{T} tokens do not fit the context of {self.block_size}")
        t = self.transformer
        pos = torch.arange(T, device=idx.device)
        x = t.wte(idx) + t.wpe(pos)
        for block in t.h:
            x = block(x)
        if last_only:
            x = x[:, -1:, :]
        return F.linear(t.ln_f(x), t.wte.weight)


# ----------------------------------------------------------------------------------- family


class GPTFamily(Family):
    name = "gpt"

    def __init__(self, cfg, spec: DataSpec) -> None:
        super().__init__(cfg, spec)
        text = spec.text or {}
        if "tokenizer" not in text:
            raise RecipeError("a gpt data spec needs its tokenizer")
        self.tokenizer = Tokenizer.from_json(text["tokenizer"])
        self.forms: dict[str, int] = dict(text.get("forms", {}))
        self.frozen_rows = 0  # a fine-tune's frozen token rows (freeze_early_layers)
        self._frozen: torch.Tensor | None = None
        self.gpt = GPT(
            self.tokenizer.vocab_size, cfg.block_size, cfg.n_layer, cfg.n_head, cfg.n_embd
        )
        decay = [p for p in self.gpt.parameters() if p.dim() >= 2]
        no_decay = [p for p in self.gpt.parameters() if p.dim() < 2]
        self.opt = torch.optim.AdamW(
            [
                {"params": decay, "weight_decay": cfg.weight_decay},
                {"params": no_decay, "weight_decay": 0.0},
            ],
            lr=cfg.lr,
            betas=(0.9, cfg.beta2),
        )

    def trained_modules(self) -> dict[str, nn.Module]:
        return {"gpt": self.gpt}

    def early_modules(self) -> list[nn.Module]:
        """The position embedding and the first half of the blocks (the token embedding is
        frozen by rows: see freeze_early_layers)."""
        t = self.gpt.transformer
        return [t.wpe, *list(t.h)[: self.cfg.n_layer // 2]]

    def freeze_stages(self) -> list[list[nn.Module]]:
        """The transformer blocks (freeze_early_layers adds the embeddings)."""
        return [[block] for block in self.gpt.transformer.h]

    def freeze_early_layers(self, blocks: int | None = None) -> int:
        """A fine-tune's freezing: the position embedding, the first `blocks` transformer blocks
        (None, freeze_early: the first half) and the token embedding's rows of the base's
        vocabulary. Rows added for new characters keep learning (they are the tied output
        layer's too): their gradient flows, the known rows' is zeroed, and after each step the
        known rows are written back (AdamW's weight decay would move them)."""
        n = 0
        t = self.gpt.transformer
        first = self.early_modules() if blocks is None else [t.wpe, *list(t.h)[:blocks]]
        for module in first:
            for p in module.parameters():
                p.requires_grad_(False)
                n += p.numel()
        wte = self.gpt.transformer.wte.weight
        known = int((self.spec.text or {}).get("base_vocab_size") or wte.shape[0])
        if known >= wte.shape[0]:
            wte.requires_grad_(False)
            return n + wte.numel()
        self.frozen_rows = known

        def keep_known(grad: torch.Tensor) -> torch.Tensor:
            grad = grad.clone()
            grad[:known] = 0
            return grad

        wte.register_hook(keep_known)
        return n + known * wte.shape[1]

    def sampling_modules(self) -> dict[str, nn.Module]:
        return {"gpt": self.gpt}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"gpt": self.opt}

    def lr_at(self, step: int) -> float:
        """Linear warm-up, then cosine decay to lr * min_lr_ratio at the last step (nanoGPT)."""
        cfg = self.cfg
        if cfg.warmup and step < cfg.warmup:
            return cfg.lr * (step + 1) / cfg.warmup
        span = max(1, cfg.steps - cfg.warmup)
        progress = min(1.0, (step - cfg.warmup) / span)
        floor = cfg.lr * cfg.min_lr_ratio
        return floor + 0.5 * (1 + math.cos(math.pi * progress)) * (cfg.lr - floor)

    def set_lr(self, opt: torch.optim.Optimizer, step: int) -> None:
        lr = self.lr_at(step)
        for group in opt.param_groups:
            group["lr"] = lr

    def batch_windows(self, data: TextDataset, gen: torch.Generator) -> tuple[torch.Tensor, ...]:
        T = self.cfg.block_size
        n = len(data) - T - 1
        if n < 1:
            raise RecipeError(f"the training text ({len(data)} tokens) is shorter than the context")
        if self.cfg.align_documents:
            starts = data.starts[data.starts < n]
            ix = starts[torch.randint(0, len(starts), (self.cfg.batch_size,), generator=gen)]
        else:
            ix = torch.randint(0, n, (self.cfg.batch_size,), generator=gen)
        window = data.tokens[ix[:, None] + torch.arange(T + 1)]
        return window[:, :-1], window[:, 1:]

    def train_step(self, data, gen: torch.Generator, step: int) -> dict[str, float]:
        self.gpt.train()
        self.set_lr(self.opt, step)
        x, y = self.batch_windows(data, gen)
        logits = self.gpt(x)
        loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), y.reshape(-1))
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        if self.cfg.grad_clip:
            nn.utils.clip_grad_norm_(self.gpt.parameters(), self.cfg.grad_clip)
        wte = self.gpt.transformer.wte.weight
        if self.frozen_rows and self._frozen is None:
            # the known rows as they are now: the base's (or, resumed, the same rows kept)
            self._frozen = wte.detach()[: self.frozen_rows].clone()
        self.opt.step()
        if self._frozen is not None:
            with torch.no_grad():
                wte[: self.frozen_rows] = self._frozen
        return {"loss": float(loss.detach())}

    def generate(
        self, n, gen, labels, sampler, steps, eta, guidance, clip_sample=False, variance="beta"
    ):
        raise RecipeError("a gpt checkpoint generates text: use genlab.gpt.generate_texts")

    def default_sampler(self) -> str:
        return "direct"

    def samplers(self) -> tuple[str, ...]:
        return ("direct",)


# ---------------------------------------------------------------------------------- sampling


def top_k_filter(logits: torch.Tensor, top_k: int) -> torch.Tensor:
    """Keep the k largest logits (ties at the k-th kept), as transformers' TopKLogitsWarper."""
    if top_k <= 0:
        return logits
    k = min(top_k, logits.shape[-1])
    kth = torch.topk(logits, k)[0][..., -1, None]
    return logits.masked_fill(logits < kth, -math.inf)


def top_p_filter(logits: torch.Tensor, top_p: float) -> torch.Tensor:
    """Nucleus filtering (Holtzman et al. 2020), computed as transformers' TopPLogitsWarper:
    drop the least likely tokens whose cumulative probability is at most 1 - top_p."""
    if top_p >= 1.0:
        return logits
    sorted_logits, sorted_indices = torch.sort(logits, descending=False)
    cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    remove = cumulative <= (1 - top_p)
    remove[..., -1:] = False  # keep at least one token
    return logits.masked_fill(remove.scatter(-1, sorted_indices, remove), -math.inf)


def next_token(
    logits: torch.Tensor, temperature: float, top_k: int, top_p: float, gen: torch.Generator
) -> torch.Tensor:
    """(B, V) logits -> (B, 1) tokens; temperature 0 is greedy decoding."""
    if temperature == 0:
        return logits.argmax(dim=-1, keepdim=True)
    logits = top_p_filter(top_k_filter(logits / temperature, top_k), top_p)
    return torch.multinomial(logits.softmax(dim=-1), 1, generator=gen)


class FormConstraint:
    """Which tokens may come next in a poem of a form: Han characters in the character slots,
    ，after odd lines and 。after even ones, the acrostic's characters first in their lines,
    and the end of the poem after the last 。."""

    def __init__(self, tok: CharTokenizer, form: str, acrostic: str) -> None:
        self.k, self.n = FORMS[form]
        self.length = self.n * (self.k + 1)
        V = tok.vocab_size
        self.han = torch.zeros(V, dtype=torch.bool)
        for i, c in enumerate(tok.chars):
            self.han[i] = c not in (SEP, COMMA, STOP) and _is_han(c)
        self.only: dict[str, torch.Tensor] = {}
        for c in (COMMA, STOP, SEP, *acrostic):
            m = torch.zeros(V, dtype=torch.bool)
            m[tok.stoi[c]] = True
            self.only[c] = m
        self.acrostic = acrostic

    def expected(self, j: int) -> str | None:
        """The character slot j of the poem must hold (None: any Han character)."""
        if j >= self.length:
            return SEP
        line, col = divmod(j, self.k + 1)
        if col == self.k:
            return COMMA if line % 2 == 0 else STOP
        if col == 0 and line < len(self.acrostic):
            return self.acrostic[line]
        return None

    def allowed(self, j: int) -> torch.Tensor:
        c = self.expected(j)
        return self.han if c is None else self.only[c]

    def check_prompt(self, prompt: str, form: str) -> None:
        for j, c in enumerate(prompt):
            want = self.expected(j)
            ok = _is_han(c) and c not in (COMMA, STOP) if want is None else c == want
            if not ok:
                where = "the poem is already complete" if want == SEP else f"position {j + 1}"
                need = "a Han character" if want is None else repr(want)
                raise RecipeError(
                    f"the prompt does not fit {FORM_NAMES[form]}: {c!r} at {where}, expected {need}"
                )


def _is_han(c: str) -> bool:
    return len(c) == 1 and (
        "\u3400" <= c <= "\u4dbf" or "\u4e00" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff"
    )


@dataclass(frozen=True)
class TextRecipe:
    """Everything a text generation depends on; canonical JSON and hash like genlab.recipe."""

    checkpoint_sha256: str
    prompt: str = ""
    form: str | None = None
    acrostic: str = ""
    temperature: float = TEXT_DEFAULTS["temperature"]
    top_k: int = TEXT_DEFAULTS["top_k"]  # 0: off
    top_p: float = TEXT_DEFAULTS["top_p"]  # 1: off
    seed: int = 0
    length: int = TEXT_DEFAULTS["length"]  # most new tokens (a form fixes its own length)
    count: int = 1

    def __post_init__(self) -> None:
        for name in ("top_k", "seed", "length", "count"):
            object.__setattr__(self, name, int(getattr(self, name)))
        for name in ("temperature", "top_p"):
            object.__setattr__(self, name, float(getattr(self, name)))
        object.__setattr__(self, "form", canonical_form(self.form))
        object.__setattr__(self, "prompt", self.prompt or "")
        object.__setattr__(self, "acrostic", "".join((self.acrostic or "").split()))
        if not (0 <= self.temperature <= 10 and math.isfinite(self.temperature)):
            raise RecipeError(f"temperature must be between 0 and 10, got {self.temperature}")
        if self.top_k < 0:
            raise RecipeError(f"top_k must be >= 0 (0: off), got {self.top_k}")
        if not 0 < self.top_p <= 1:
            raise RecipeError(f"top_p must be in (0, 1], got {self.top_p}")
        if not 0 <= self.seed < 2**63:
            raise RecipeError(f"seed must be in [0, 2^63), got {self.seed}")
        if not 1 <= self.length <= MAX_LENGTH:
            raise RecipeError(f"length must be between 1 and {MAX_LENGTH}, got {self.length}")
        if not 1 <= self.count <= MAX_TEXT_COUNT:
            raise RecipeError(f"count must be between 1 and {MAX_TEXT_COUNT}, got {self.count}")
        if SEP in self.prompt or "\r" in self.prompt:
            raise RecipeError("the prompt must be one line")
        if self.acrostic and self.form is None:
            # 藏头诗 without a form: a quatrain for up to 4 characters, else regulated verse
            form = "qiyan-jueju" if len(self.acrostic) <= 4 else "qiyan-lushi"
            object.__setattr__(self, "form", form)
        if self.form and len(self.acrostic) > FORMS[self.form][1]:
            n = FORMS[self.form][1]
            raise RecipeError(
                f"the acrostic has {len(self.acrostic)} characters but {FORM_NAMES[self.form]} "
                f"has {n} lines"
            )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["kind"] = "text"
        d["version"] = TEXT_RECIPE_VERSION
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.to_json().encode()).hexdigest()

    @classmethod
    def from_json(cls, text: str) -> TextRecipe:
        try:
            d = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RecipeError(f"recipe is not valid JSON: {exc}") from exc
        if not isinstance(d, dict) or d.pop("kind", "text") != "text":
            raise RecipeError("not a text recipe")
        if d.pop("version", TEXT_RECIPE_VERSION) != TEXT_RECIPE_VERSION:
            raise RecipeError("recipe version not supported")
        try:
            return cls(**d)
        except TypeError as exc:
            raise RecipeError(f"bad recipe fields: {exc}") from exc


def _load(checkpoint: Any):
    from genlab.checkpoint import Checkpoint
    from genlab.checkpoint import load as load_checkpoint

    ckpt = checkpoint if isinstance(checkpoint, Checkpoint) else load_checkpoint(checkpoint)
    if ckpt.family != "gpt":
        raise RecipeError(f"{ckpt.path.name} is a {ckpt.family} checkpoint, not a text model")
    return ckpt


def check_text_recipe(model: GPTFamily, recipe: TextRecipe) -> FormConstraint | None:
    """Refuse what this model cannot do, with a message naming the problem."""
    tok = model.tokenizer
    try:
        prompt_ids = tok.encode(recipe.prompt) if recipe.prompt else []
        if recipe.acrostic:
            tok.encode(recipe.acrostic)
    except RecipeError as exc:
        if model.spec.name == "tang":
            raise RecipeError(
                f"{exc}; the Tang data, and so this model, use traditional characters"
            ) from exc
        raise
    if len(prompt_ids) + 1 > model.cfg.block_size:
        raise RecipeError(
            f"the prompt is {len(prompt_ids)} tokens; this model's context holds "
            f"{model.cfg.block_size - 1} after the start token"
        )
    if recipe.form is None:
        return None
    if not isinstance(tok, CharTokenizer) or recipe.form not in model.forms:
        known = ", ".join(FORM_NAMES[f] for f in model.forms) or "none"
        raise RecipeError(
            f"this model was not trained on {FORM_NAMES[recipe.form]} poems (its forms: {known})"
        )
    if recipe.acrostic:
        tok.encode(recipe.acrostic)  # unknown characters are refused by name
        bad = [c for c in recipe.acrostic if not _is_han(c)]
        if bad:
            raise RecipeError(f"an acrostic is made of Han characters, not {''.join(bad)!r}")
    constraint = FormConstraint(tok, recipe.form, recipe.acrostic)
    constraint.check_prompt(recipe.prompt, recipe.form)
    return constraint


@torch.inference_mode()
def sample_tokens(model: GPTFamily, recipe: TextRecipe) -> list[list[int]]:
    """The new tokens of each of recipe.count samples (without the closing separator)."""
    constraint = check_text_recipe(model, recipe)
    tok = model.tokenizer
    prompt_ids = tok.encode(recipe.prompt) if recipe.prompt else []
    gen = torch.Generator().manual_seed(recipe.seed)  # all sampling randomness comes from here
    net = model.gpt.eval()
    idx = torch.tensor([[tok.sep_id, *prompt_ids]] * recipe.count, dtype=torch.long)
    steps = recipe.length
    if constraint is not None:
        steps = constraint.length - len(recipe.prompt)
    done = torch.zeros(recipe.count, dtype=torch.bool)
    out = torch.empty(recipe.count, 0, dtype=torch.long)
    T = model.cfg.block_size
    for s in range(steps):
        logits = net(idx[:, -T:], last_only=True)[:, -1, :].float()
        if constraint is not None:
            logits = logits.masked_fill(~constraint.allowed(len(recipe.prompt) + s), -math.inf)
        nxt = next_token(logits, recipe.temperature, recipe.top_k, recipe.top_p, gen)
        idx = torch.cat([idx, nxt], dim=1)
        out = torch.cat([out, nxt], dim=1)
        done |= nxt[:, 0] == tok.sep_id
        if constraint is None and bool(done.all()):
            break
    result = []
    for row in out.tolist():
        result.append(row[: row.index(tok.sep_id)] if tok.sep_id in row else row)
    return result


def generate_texts(recipe: TextRecipe, checkpoint: Any) -> list[str]:
    """recipe.count texts, each the prompt followed by what the model wrote."""
    ckpt = _load(checkpoint)
    if recipe.checkpoint_sha256 and recipe.checkpoint_sha256 != ckpt.sha256:
        raise RecipeError(
            f"recipe is for checkpoint {recipe.checkpoint_sha256[:12]}, not {ckpt.sha256[:12]}"
        )
    model: GPTFamily = ckpt.model
    return [recipe.prompt + model.tokenizer.decode(ids) for ids in sample_tokens(model, recipe)]


def generate_text(
    checkpoint: str | Path | Any,
    *,
    prompt: str = "",
    form: str | None = None,
    acrostic: str = "",
    temperature: float = TEXT_DEFAULTS["temperature"],
    top_k: int = TEXT_DEFAULTS["top_k"],
    top_p: float = TEXT_DEFAULTS["top_p"],
    seed: int = 0,
    length: int = TEXT_DEFAULTS["length"],
) -> str:
    """One text from a gpt checkpoint (path or loaded Checkpoint); see TextRecipe."""
    ckpt = _load(checkpoint)
    recipe = TextRecipe(
        ckpt.sha256, prompt, form, acrostic, temperature, top_k, top_p, seed, length, 1
    )
    return generate_texts(recipe, ckpt)[0]


def texts_sha256(texts: list[str]) -> str:
    return hashlib.sha256(json.dumps(texts, ensure_ascii=False).encode()).hexdigest()


# ------------------------------------------------------------------------------- inspection


@dataclass(frozen=True)
class NextChar:
    """The next-token distribution after a prompt (the lessons' GPT widget): `probs` is
    softmax(logits / T) over the whole vocabulary, `kept` the nucleus of top-p (the tokens
    sampling may pick), `nucleus` the probabilities renormalised over it (0 outside)."""

    logits: torch.Tensor  # (V,)
    probs: torch.Tensor  # (V,)
    kept: torch.Tensor  # (V,) bool
    nucleus: torch.Tensor  # (V,)


def prompt_ids(model: GPTFamily, prompt: str) -> list[int]:
    """The start token then the prompt's tokens; unknown characters and a prompt longer than
    the context are refused (RecipeError) with a message naming them."""
    check_text_recipe(model, TextRecipe("", prompt=prompt))
    return [model.tokenizer.sep_id, *(model.tokenizer.encode(prompt) if prompt else [])]


@torch.inference_mode()
def next_char_distribution(
    model: GPTFamily, prompt: str, temperature: float, top_p: float
) -> NextChar:
    """What sample_tokens draws the next token from (no top-k, no form): softmax(logits / T)
    restricted to the nucleus of top-p by the same filter, and renormalised."""
    if not (temperature > 0 and math.isfinite(temperature)):
        raise RecipeError(f"temperature must be above 0, got {temperature}")
    if not 0 < top_p <= 1:
        raise RecipeError(f"top_p must be in (0, 1], got {top_p}")
    idx = torch.tensor([prompt_ids(model, prompt)], dtype=torch.long)
    logits = model.gpt.eval()(idx, last_only=True)[0, -1].float()
    scaled = logits / temperature
    filtered = top_p_filter(scaled, top_p)
    kept = torch.isfinite(filtered)
    return NextChar(logits, scaled.softmax(-1), kept, filtered.softmax(-1))


@torch.inference_mode()
def attention_weights(model: GPTFamily, prompt: str) -> torch.Tensor:
    """The attention weights of every layer and head over the start token and the prompt,
    (n_layer, n_head, T, T): row i is softmax(q_i k_j^T / sqrt(d) + causal mask) over j, the
    weights F.scaled_dot_product_attention applies inside CausalSelfAttention."""
    net = model.gpt.eval()
    idx = torch.tensor([prompt_ids(model, prompt)], dtype=torch.long)
    t = net.transformer
    T = idx.shape[1]
    x = t.wte(idx) + t.wpe(torch.arange(T))
    future = torch.ones(T, T, dtype=torch.bool).triu(1)
    maps = []
    for block in t.h:
        attn = block.attn
        B, _T, C = x.shape
        hs = C // attn.n_head
        q, k, _v = attn.c_attn(block.ln_1(x)).split(C, dim=2)
        q = q.view(B, T, attn.n_head, hs).transpose(1, 2)
        k = k.view(B, T, attn.n_head, hs).transpose(1, 2)
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(hs)
        maps.append(scores.masked_fill(future, -math.inf).softmax(-1)[0])
        x = block(x)
    return torch.stack(maps)


# --------------------------------------------------------------------------------- metrics


def document_windows(data: TextDataset, T: int, max_tokens: int) -> tuple[torch.Tensor, ...]:
    """Context windows that start where the training windows start (align_documents): each
    document is read from its separator, the way it is trained and sampled, so a learned
    position means the same line and column. A window's targets are its document's tokens and
    the next separator (the end of the document is predicted too); a document longer than the
    context goes on in further windows from start + T, 2T, ... Every token of the stream after
    the first is a target exactly once. Returns inputs (W, T), targets (W, T) and their mask,
    covering the first documents up to max_tokens targets."""
    N = len(data.tokens)
    starts = data.starts.tolist()
    rows: list[int] = []
    lengths: list[int] = []
    total = 0
    for i, s in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else N - 1  # the last target's position
        for w in range(s, end, T):
            if total >= max_tokens:  # also inside one long document: the cost stays bounded
                break
            rows.append(w)
            lengths.append(min(T, end - w))
            total += lengths[-1]
    if not rows:
        raise RecipeError("the validation text has no token to predict")
    w0 = torch.tensor(rows, dtype=torch.long)
    offsets = torch.arange(T + 1)
    index = (w0[:, None] + offsets).clamp(max=N - 1)
    window = data.tokens[index]
    mask = offsets[None, :T] < torch.tensor(lengths)[:, None]
    return window[:, :-1], window[:, 1:], mask


@torch.inference_mode()
def bits_per_char(
    model: GPTFamily, data: TextDataset, max_tokens: int = 200_000
) -> dict[str, float]:
    """Validation cross-entropy: bits per token and per character (characters of the decoded
    tokens, separators counted). A model trained on document-aligned windows
    (cfg.align_documents) is read document by document from each separator
    (document_windows); otherwise over non-overlapping windows of the stream (nanoGPT)."""
    net = model.gpt.eval()
    T = model.cfg.block_size
    if getattr(model.cfg, "align_documents", False) and len(data.starts):
        x, y, mask = document_windows(data, T, max_tokens)
    else:
        tokens = data.tokens[: max_tokens + 1]
        n = (len(tokens) - 1) // T
        if n < 1:
            raise RecipeError("the validation text is shorter than one context window")
        x = tokens[: n * T].view(n, T)
        y = tokens[1 : n * T + 1].view(n, T)
        mask = torch.ones_like(y, dtype=torch.bool)
    nats = 0.0
    for i in range(0, len(x), 64):
        m = mask[i : i + 64]
        width = int(m.sum(dim=1).max())  # causal: later positions never change earlier ones
        logits = net(x[i : i + 64, :width])
        losses = F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]),
            y[i : i + 64, :width].reshape(-1),
            reduction="none",
        )
        nats += float(losses[m[:, :width].reshape(-1)].sum())
    predicted = y[mask].tolist()
    chars = (
        sum(len(model.tokenizer.decode([t])) for t in predicted)
        if not isinstance(model.tokenizer, CharTokenizer)
        else len(predicted)
    )
    bits = nats / math.log(2)
    model.train_mode()
    return {"val_bits_per_token": bits / len(predicted), "val_bits_per_char": bits / max(1, chars)}


def heldout_bits_per_char(ckpt: Any) -> dict[str, float]:
    """A run's validation measurement again, from its checkpoint: bits per token and per
    character of the public part of its data set's held-out split (`prepare_text`'s validation
    stream: documents with a character outside the checkpoint's vocabulary skipped)."""
    from genlab.text import load_corpus, to_stream

    ckpt = _load(ckpt)
    model: GPTFamily = ckpt.model
    corpus = load_corpus(ckpt.config.dataset)
    public, _sealed = corpus.heldout_parts()
    return bits_per_char(model, to_stream(corpus.name, model.tokenizer, public, drop_unknown=True))


def form_rate(model: GPTFamily, n: int = 200, seed: int = 0, **settings: Any) -> dict[str, float]:
    """Share of unconstrained samples that are poems of a regular form (exact line count, line
    length and ，。 placement), and of a form the model was trained on."""
    opts = {**TEXT_DEFAULTS, **settings}
    texts: list[str] = []
    # A recipe draws at most MAX_TEXT_COUNT texts: a larger n is drawn in chunks, the k-th with
    # seed + k (n <= MAX_TEXT_COUNT is one recipe, as the site draws it).
    for k, start in enumerate(range(0, n, MAX_TEXT_COUNT)):
        recipe = TextRecipe(
            "",
            temperature=opts["temperature"],
            top_k=opts["top_k"],
            top_p=opts["top_p"],
            seed=seed + k,
            length=min(opts["length"], 100),
            count=min(MAX_TEXT_COUNT, n - start),
        )
        texts += [model.tokenizer.decode(ids) for ids in sample_tokens(model, recipe)]
    forms = [form_of(t) for t in texts]
    model.train_mode()
    return {
        "form_rate": sum(f is not None for f in forms) / n,
        "trained_form_rate": sum(f in model.forms for f in forms) / n,
    }


def constrained_form_rate(model: GPTFamily, n: int = 100, seed: int = 0) -> float:
    """Share of samples drawn with each trained form enforced (n split over the forms) that
    have that form; 1.0 unless the constraint is broken."""
    if not model.forms:
        return float("nan")
    forms = list(model.forms)
    good = total = 0
    for i, form in enumerate(forms):
        count = max(1, n // len(forms))
        recipe = TextRecipe("", form=form, seed=seed + i, count=count)
        for ids in sample_tokens(model, recipe):
            good += form_of(model.tokenizer.decode(ids)) == form
            total += 1
    model.train_mode()
    return good / total


def validation_stream(model: GPTFamily, dataset: str) -> TextDataset:
    """The held-out split of the checkpoint's data set, tokenised with the checkpoint's own
    tokenizer (documents with characters outside its vocabulary are skipped, as in training)."""
    from genlab.text import load_corpus, to_stream

    corpus = load_corpus(dataset)
    _, val = corpus.split()
    return to_stream(corpus.name, model.tokenizer, val, drop_unknown=True)


def evaluate_text(ckpt: Any, n: int = 200, seed: int = 0, **settings: Any) -> dict[str, float]:
    """Validation bits per token and per character; for poem models the form rate of n
    unconstrained samples at the default settings (or `settings`) and of constrained ones."""
    ckpt = _load(ckpt)
    model: GPTFamily = ckpt.model
    out = bits_per_char(model, validation_stream(model, ckpt.config.dataset))
    if model.forms:
        out["n"] = float(n)
        out.update(form_rate(model, n=n, seed=seed, **settings))
        out["constrained_form_rate"] = constrained_form_rate(model, n=min(n, 100), seed=seed)
    return out


def zoo_reference(checkpoint_path: str | Path, reference: dict[str, Any]) -> list[str]:
    """The zoo's reference generation (genlab.zoo): `reference` holds TextRecipe fields."""
    ckpt = _load(checkpoint_path)
    return generate_texts(TextRecipe(ckpt.sha256, **reference), ckpt)
