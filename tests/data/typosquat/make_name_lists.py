"""Rebuild rules/data/popular-*.txt and established-*.txt from the workplace's package listings.

Source: the one-day snapshot of the registries' package listings in the workplace's
`.library/env/packages/` (`pypi.tsv`, column `rank_among_15000_most_downloaded`; `npm.tsv`,
column `downloads_a_month`): names and counts only, no registry is asked. The typosquat rule
weighs both names' popularity: `popular-*` are the 2,000 names squatters aim at;
`established-*` are the next most-used names (PyPI: the rest of the 15,000 ranked; npm: at
least 250,000 downloads a month), which are not squats of anything.

    python tests/data/typosquat/make_name_lists.py /work/.library/env/packages
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[3] / "rules" / "data"
POPULAR = 2000
NPM_ESTABLISHED = 250_000


def main(listings: Path) -> None:
    csv.field_size_limit(sys.maxsize)
    ranked: list[tuple[int, str]] = []
    with (listings / "pypi.tsv").open(encoding="utf-8") as f:
        rows = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows)
        ranked += [(int(r[3]), r[0]) for r in rows if len(r) > 3 and r[3].strip().isdigit()]
    pypi = [name for _, name in sorted(ranked)]
    used: list[tuple[int, str]] = []
    with (listings / "npm.tsv").open(encoding="utf-8") as f:
        rows = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows)
        used += [(-int(r[2]), r[0]) for r in rows if len(r) > 2 and r[2].strip().isdigit()]
    npm = [name for count, name in sorted(used) if -count >= NPM_ESTABLISHED]
    for eco, names in (("pypi", pypi), ("npm", npm)):
        (OUT / f"established-{eco}.txt").write_text("\n".join(names[POPULAR:]) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
