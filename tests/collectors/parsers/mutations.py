"""Hypothesis strategies shared by the TOML lockfile parser tests: a real lock, mutated."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st


@st.composite
def toml_line_mutations(
    draw: st.DrawFn, seed: str, values: st.SearchStrategy[str], tables: Sequence[str] = ()
) -> str:
    """`seed` with 1-4 lines changed: a value replaced, a line dropped or garbled, or (when
    `tables` is given) a table header inserted. Near-valid input finds the most bugs."""
    lines = seed.splitlines()
    actions = ["value", "drop", "garble"] + (["table"] if tables else [])
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(actions))
        if action == "value" and " = " in lines[index]:
            lines[index] = f"{lines[index].split(' = ')[0]} = {draw(values)}"
        elif action == "drop":
            del lines[index]
        elif action == "table":
            lines.insert(index, draw(st.sampled_from(list(tables))))
        else:
            lines[index] = draw(st.text(max_size=20))
    return "\n".join(lines)
