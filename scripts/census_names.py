"""Write the given names of the US Census 1990 name lists, for telling a given name from a title or an employer.

    python scripts/census_names.py [--out retrieval/quotes/data/census_first_names.txt]

The lists come from the PyPI package `names` (0.3.0, MIT licence; the Census data itself is public domain), a dev
dependency: the shipped file is plain text and quotebot reads it with no extra package. `names.person_names` and
`names.analyse` ask it whether a capitalised word opens a person's name ("Fox News Sean Hannity" is Sean Hannity).
It says nothing of sex: the first-name prior of `gender.py`, counted from PolNeAR train, does that.
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "retrieval" / "quotes" / "data" / "census_first_names.txt"
LISTS = ("dist.male.first", "dist.female.first")
MIN_PERCENT = 0.005  # of the population: rarer entries are mostly words ("Star", "China", "America", "Dakota")
# places that are given names too: "Georgia Power", "Nike’s Jordan Brand" are not people
PLACES = frozenset(
    """alabama alaska arizona arkansas california carolina colorado dakota delaware florida georgia hawaii idaho
    illinois indiana iowa kansas kentucky louisiana maine maryland michigan minnesota missouri montana nebraska
    nevada ohio oklahoma oregon tennessee texas utah vermont virginia washington wisconsin wyoming america china india
    jordan israel france germany japan mexico canada syria turkey russia ukraine iran egypt kenya chad""".split()  # noqa: SIM905
)


def read() -> list[str]:
    """Return the Census given names borne by at least MIN_PERCENT of people, places left out, title-cased, sorted."""
    try:
        folder = resources.files("names")
    except ModuleNotFoundError:
        raise SystemExit("the PyPI package `names` is missing: pip install names==0.3.0") from None
    found: set[str] = set()
    for name in LISTS:
        for line in folder.joinpath(name).read_text(encoding="ascii").splitlines():
            if not line.strip():
                continue
            word, percent = line.split()[:2]
            if float(percent) >= MIN_PERCENT and word.lower() not in PLACES:
                found.add(word.title())
    return sorted(found)


def main(argv: list[str] | None = None) -> int:
    """Write the given-name list; return an exit code."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="file to write (default: %(default)s)")
    args = ap.parse_args(argv)
    names = read()
    head = (
        "# Given names of the US Census 1990 lists (public domain), via PyPI `names` 0.3.0; scripts/census_names.py\n"
    )
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(head + "".join(n + "\n" for n in names), encoding="utf-8")
    tmp.replace(args.out)
    print(f"wrote {args.out}: {len(names)} given names")
    return 0


if __name__ == "__main__":
    sys.exit(main())
