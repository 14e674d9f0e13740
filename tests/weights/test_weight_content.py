"""Weights by content (`auditor.weights.inspect.is_weight_content`), not by suffix."""

from __future__ import annotations

import io
import pickle

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from auditor.weights.inspect import WEIGHT_SUFFIXES, is_weight_content
from tests.lineage_hub import gguf_bytes, safetensors_bytes

HEAD = 16


@given(st.sampled_from(WEIGHT_SUFFIXES), st.binary(max_size=HEAD))
def test_any_bytes_give_an_answer_never_an_error(suffix: str, head: bytes) -> None:
    assert is_weight_content(f"x{suffix}", head) in (True, False)


@given(st.sampled_from(["import ", "/", "./", "#", "C:\\"]), st.text(max_size=HEAD))
def test_path_configuration_files_are_not_weights(start: str, rest: str) -> None:
    """site.py's `.pth` lines: `import …` statements, paths and comments."""
    head = (start + rest).encode()[:HEAD]
    assert not is_weight_content("lib/python3.11/site-packages/x.pth", head)


def test_real_files_are_weights() -> None:
    array = io.BytesIO()
    np.save(array, np.zeros(2))
    real = {
        "m.gguf": gguf_bytes(None, "me"),
        "m.safetensors": safetensors_bytes(1),
        "a.npy": array.getvalue(),
        "m.pkl": pickle.dumps({"w": 1}),
        "old.pth": pickle.dumps({"w": 1}, protocol=2),
        "proto0.pt": pickle.dumps({"w": 1}, protocol=0),
    }
    for name, data in real.items():
        assert is_weight_content(name, data[:HEAD]), name
    assert not is_weight_content("firmware.bin", b"\x7fELF\x02\x01\x01")
    assert not is_weight_content("data.h5", b"plain text fixture")
