"""Generation metadata other tools embed in images, read into one structured recipe.

Sources: the PNG text chunk `parameters` (A1111 and compatible tools), the PNG chunks `prompt`
and `workflow` (ComfyUI's API graph and UI graph, JSON), and EXIF UserComment (A1111 in JPEG and
WebP). Each field is read on its own: a malformed part is skipped with a note, never fatal."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

from PIL import Image

MAX_TEXT = 64_000  # longer text chunks are ignored, not parsed
EXIF_USER_COMMENT = 0x9286
EXIF_IFD = 0x8769


@dataclass
class Recipe:
    prompt: str = ""
    negative_prompt: str = ""
    seed: int | None = None
    sampler: str = ""
    steps: int | None = None
    guidance: float | None = None
    width: int | None = None
    height: int | None = None
    model_name: str = ""
    model_hash: str = ""
    source: str = ""  # a1111 | comfyui | exif | lab
    raw: str = ""
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


# A quoted value ("Lora hashes": "a: 1, b: 2"): no two ways to match a character, so linear.
_QUOTED_REST = re.compile(r'(?:[^"\\]|\\.)*"', re.DOTALL)
MAX_KEY = 60  # "Hires upscaler", "Lora hashes": keys are short words


def _key_of(segment: str) -> str:
    """The ``[A-Za-z][\\w ]*`` key that ends ``segment`` (the text before a colon), or ""."""
    start = end = len(segment)
    while start > 0 and (segment[start - 1].isalnum() or segment[start - 1] in "_ "):
        start -= 1
        if end - start > MAX_KEY:
            return ""
    while start < end and not ("A" <= segment[start] <= "Z" or "a" <= segment[start] <= "z"):
        start += 1
    return segment[start:end].strip()


def settings_of(line: str) -> dict[str, str]:
    """``Steps: 20, Sampler: Euler a, Lora hashes: "x: 1, y: 2"`` as lower-case keys to values.

    One pass over the line: a regex over the whole line was quadratic on a long line with no
    colon (63 KB took 83 s). An item without a key is skipped, as is a key longer than
    ``MAX_KEY``; the last value of a repeated key wins.
    """
    values: dict[str, str] = {}
    position, length = 0, len(line)
    unclosed_from = length + 1  # a quote opened at or after this has no closing quote
    while position < length:
        colon = line.find(":", position)
        if colon == -1:
            break
        comma = line.find(",", position, colon)
        if comma != -1:  # text without a colon before the next comma: not an item
            position = comma + 1
            continue
        key = _key_of(line[position:colon])
        if not key:  # ": x" or "(: x": a key may still end at the next colon
            position = colon + 1
            continue
        value_start = colon + 1
        while value_start < length and line[value_start].isspace():
            value_start += 1
        value_end = -1
        if line.startswith('"', value_start) and value_start + 1 < unclosed_from:
            match = _QUOTED_REST.match(line, value_start + 1)
            if match is None:
                unclosed_from = value_start + 1
            elif match.end() == length or line.startswith(",", match.end()):
                value_end = match.end()
        if value_end == -1:  # unquoted, or a quote with more text after it: up to the comma
            value_end = line.find(",", value_start)
            value_end = length if value_end == -1 else value_end
        values[key.lower()] = line[value_start:value_end].strip().strip('"')
        position = value_end + 1
    return values


def parse_a1111(text: str, recipe: Recipe) -> None:
    """`prompt\\nNegative prompt: ...\\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, ...`"""
    lines = text.strip().split("\n")
    settings_line = lines[-1] if lines and "Steps:" in lines[-1] else ""
    body = lines[:-1] if settings_line else lines
    negative_at = next(
        (i for i, line in enumerate(body) if line.startswith("Negative prompt:")), None
    )
    if negative_at is None:
        recipe.prompt = "\n".join(body).strip()
    else:
        recipe.prompt = "\n".join(body[:negative_at]).strip()
        recipe.negative_prompt = "\n".join(body[negative_at:])[len("Negative prompt:") :].strip()
    values = settings_of(settings_line)
    _set_int(recipe, "steps", values.get("steps"))
    _set_int(recipe, "seed", values.get("seed"))
    _set_float(recipe, "guidance", values.get("cfg scale"))
    recipe.sampler = values.get("sampler", "")[:60]
    recipe.model_name = values.get("model", "")[:200]
    recipe.model_hash = values.get("model hash", "")[:80]
    size = values.get("size", "")
    if re.fullmatch(r"\d{1,5}x\d{1,5}", size):
        recipe.width, recipe.height = (int(v) for v in size.split("x"))


def parse_comfyui(prompt_json: str, recipe: Recipe) -> None:
    """ComfyUI's API graph: node id -> {class_type, inputs}; links are [node id, output index]."""
    try:
        graph = json.loads(prompt_json)
    except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        recipe.notes.append("ComfyUI prompt: not valid JSON, ignored")
        return
    if not isinstance(graph, dict):
        recipe.notes.append("ComfyUI prompt: not a node graph, ignored")
        return
    nodes = {str(k): v for k, v in graph.items() if isinstance(v, dict)}

    def node(link):
        return nodes.get(str(link[0])) if isinstance(link, list) and link else None

    def text_of(link) -> str:
        target = node(link)
        if target and isinstance(target.get("inputs"), dict):
            text = target["inputs"].get("text")
            return text if isinstance(text, str) else ""
        return ""

    for item in nodes.values():
        kind = str(item.get("class_type", ""))
        inputs = item.get("inputs") if isinstance(item.get("inputs"), dict) else {}
        if kind.startswith("KSampler"):
            _set_int(recipe, "seed", inputs.get("seed", inputs.get("noise_seed")))
            _set_int(recipe, "steps", inputs.get("steps"))
            _set_float(recipe, "guidance", inputs.get("cfg"))
            sampler = inputs.get("sampler_name")
            scheduler = inputs.get("scheduler")
            if isinstance(sampler, str):
                recipe.sampler = (
                    f"{sampler} {scheduler}".strip() if isinstance(scheduler, str) else sampler
                )
            recipe.prompt = recipe.prompt or text_of(inputs.get("positive"))
            recipe.negative_prompt = recipe.negative_prompt or text_of(inputs.get("negative"))
        elif kind.startswith("CheckpointLoader") and isinstance(inputs.get("ckpt_name"), str):
            recipe.model_name = inputs["ckpt_name"][:200]
        elif kind == "EmptyLatentImage":
            _set_int(recipe, "width", inputs.get("width"))
            _set_int(recipe, "height", inputs.get("height"))


def _set_int(recipe: Recipe, name: str, value) -> None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return
    if 0 <= number < 2**63:
        setattr(recipe, name, number)


def _set_float(recipe: Recipe, name: str, value) -> None:
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return
    if 0 <= number <= 100:
        setattr(recipe, name, number)


def decode_user_comment(raw: bytes | str) -> str:
    """EXIF UserComment: an 8-byte character-code prefix, then the text."""
    if isinstance(raw, str):
        return raw
    # Only what can be kept is decoded (an even count, for UTF-16).
    prefix, body = raw[:8], raw[8 : 8 + 4 * MAX_TEXT]
    if prefix.startswith(b"UNICODE"):
        # A1111 writes UTF-16 big-endian; some tools write little-endian with a BOM.
        for encoding in ("utf-16-be", "utf-16"):
            try:
                return body.decode(encoding).rstrip("\x00")
            except UnicodeDecodeError:
                continue
        return ""
    return body.decode("utf-8", errors="replace").rstrip("\x00")


def read_recipe(image: Image.Image) -> Recipe:
    """Read what the opened (not yet re-encoded) image says about how it was made."""
    recipe = Recipe()
    texts = getattr(image, "text", None) or {}
    parameters = texts.get("parameters")
    if isinstance(parameters, str) and parameters.strip():
        if len(parameters) > MAX_TEXT:
            recipe.notes.append("parameters chunk too large, ignored")
        else:
            recipe.raw, recipe.source = parameters, "a1111"
            parse_a1111(parameters, recipe)
            return recipe
    prompt_json = texts.get("prompt")
    if isinstance(prompt_json, str) and prompt_json.strip():
        if len(prompt_json) > MAX_TEXT * 4:
            recipe.notes.append("ComfyUI prompt chunk too large, ignored")
        else:
            recipe.raw, recipe.source = prompt_json, "comfyui"
            parse_comfyui(prompt_json, recipe)
            workflow = texts.get("workflow")
            if isinstance(workflow, str) and len(workflow) > MAX_TEXT * 4:
                recipe.notes.append("ComfyUI workflow chunk too large, ignored")
            elif isinstance(workflow, str):
                try:
                    json.loads(workflow)
                except (ValueError, RecursionError):
                    recipe.notes.append("ComfyUI workflow: not valid JSON, ignored")
            return recipe
    try:
        exif = image.getexif()
        comment = exif.get_ifd(EXIF_IFD).get(EXIF_USER_COMMENT) if exif else None
    except Exception:  # a broken EXIF block is ignored, like any other broken field
        comment = None
        recipe.notes.append("EXIF: unreadable, ignored")
    if comment:
        text = decode_user_comment(comment)[:MAX_TEXT]
        if text.strip():
            recipe.raw, recipe.source = text, "exif"
            parse_a1111(text, recipe)
    return recipe


def a1111_line(recipe: Recipe) -> str:
    """The recipe written back as an A1111-compatible `parameters` text."""
    parts = [recipe.prompt]
    if recipe.negative_prompt:
        parts.append(f"Negative prompt: {recipe.negative_prompt}")
    settings = []
    if recipe.steps is not None:
        settings.append(f"Steps: {recipe.steps}")
    if recipe.sampler:
        settings.append(f"Sampler: {recipe.sampler}")
    if recipe.guidance is not None:
        settings.append(f"CFG scale: {recipe.guidance:g}")
    if recipe.seed is not None:
        settings.append(f"Seed: {recipe.seed}")
    if recipe.width and recipe.height:
        settings.append(f"Size: {recipe.width}x{recipe.height}")
    if recipe.model_hash:
        settings.append(f"Model hash: {recipe.model_hash}")
    if recipe.model_name:
        settings.append(f"Model: {recipe.model_name}")
    if settings:
        parts.append(", ".join(settings))
    return "\n".join(p for p in parts if p)
