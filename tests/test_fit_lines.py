"""The policy explanation on stderr fits the screen: lines wrapped between words, the waiver
TOML never wrapped (pasted, it must still parse)."""

from __future__ import annotations

import tomllib

from hypothesis import given
from hypothesis import strategies as st

from auditor.cli.terminal import fit_lines

WORD = st.text(st.characters(codec="ascii", categories=("L", "N", "P")), min_size=1, max_size=30)


@given(
    lines=st.lists(
        st.tuples(st.integers(0, 8), st.lists(WORD, min_size=1, max_size=30)), max_size=8
    ),
    width=st.integers(40, 160),
)
def test_wrapped_between_words_only(lines: list[tuple[int, list[str]]], width: int) -> None:
    text = "\n".join(" " * indent + " ".join(words) for indent, words in lines)
    fitted = fit_lines(text, width)
    assert fitted.split() == text.split()  # every word kept whole, in order
    for line in fitted.split("\n"):
        # Over the width only when a word too long to fit (a path, a purl) is alone on its
        # line, or with its one label: never cut.
        assert len(line) <= width or len(line.split()) <= 2, line


def test_the_waiver_block_is_never_wrapped() -> None:
    purl = "pkg:huggingface/someone-new/tiny-chat@" + "8" * 40
    waiver = f'[[waivers]]\nrule = "model.unvetted"\npurl = "{purl}"\nreason = "x"\n'
    text = "    why: " + "word " * 40 + "\n" + "\n".join("      " + w for w in waiver.splitlines())
    fitted = fit_lines(text, 80)
    block = "\n".join(line.strip() for line in fitted.splitlines()[-4:])
    assert tomllib.loads(block)["waivers"][0]["purl"] == purl
    assert all(len(line) <= 80 for line in fitted.splitlines()[:-4])
