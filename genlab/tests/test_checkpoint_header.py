"""A safetensors file whose header length starts with byte 0x80 is not mistaken for pickle."""

import json
import pickle
import struct

import pytest

from genlab.checkpoint import read_header
from genlab.errors import CheckpointError


def test_header_length_with_a_0x80_low_byte_is_read() -> None:
    body = {"__metadata__": {"genlab": "x" * 200}}
    text = json.dumps(body).encode()
    text += b" " * (0x2C80 - len(text))  # safetensors pads its header with spaces
    raw = struct.pack("<Q", len(text)) + text
    assert raw[:1] == b"\x80"
    assert read_header(raw, "model.safetensors") == body


def test_pickle_is_still_refused() -> None:
    with pytest.raises(CheckpointError, match="pickle"):
        read_header(pickle.dumps({"weights": [1, 2, 3]}), "evil.safetensors")
