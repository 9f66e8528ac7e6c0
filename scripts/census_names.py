"""Write the given names of the US Census 1990 name lists and the sex they tell, for names and pronouns.

    python scripts/census_names.py [--out retrieval/quotes/data/census_first_names.txt]

The lists come from the PyPI package `names` (0.3.0, MIT licence; the Census data itself is public domain), a dev
dependency: the shipped file is plain text and quotebot reads it with no extra package. `names.person_names` and
`names.analyse` ask it whether a capitalised word opens a person's name ("Fox News Sean Hannity" is Sean Hannity).
Each name carries +1 (a man's) or -1 (a woman's) when at least SURE_SHARE of its bearers in the lists are of that
sex, else 0 ("Terry", "Jordan"): `gender.prior` falls back on it for a first name PolNeAR train never told.
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "retrieval" / "quotes" / "data" / "census_first_names.txt"
LISTS = ("dist.male.first", "dist.female.first")
MIN_PERCENT = 0.005  # of the population: rarer entries are mostly words ("Star", "China", "America", "Dakota")
SURE_SHARE = 0.98  # of a name's bearers in both lists, for the name to tell their sex ("Helen" yes, "Leslie" no)
# places that are given names too: "Georgia Power", "Nike’s Jordan Brand" are not people
PLACES = frozenset(
    """alabama alaska arizona arkansas california carolina colorado dakota delaware florida georgia hawaii idaho
    illinois indiana iowa kansas kentucky louisiana maine maryland michigan minnesota missouri montana nebraska
    nevada ohio oklahoma oregon tennessee texas utah vermont virginia washington wisconsin wyoming america china india
    jordan israel france germany japan mexico canada syria turkey russia ukraine iran egypt kenya chad""".split()  # noqa: SIM905
)


def read() -> dict[str, int]:
    """Return the Census given names borne by at least MIN_PERCENT of people, places left out, title-cased, each with
    the sex it tells (+1 / -1, or 0 when neither sex has SURE_SHARE of its bearers)."""
    try:
        folder = resources.files("names")
    except ModuleNotFoundError:
        raise SystemExit("the PyPI package `names` is missing: pip install names==0.3.0") from None
    percent: dict[str, list[float]] = {}
    for i, name in enumerate(LISTS):
        for line in folder.joinpath(name).read_text(encoding="ascii").splitlines():
            if line.strip():
                word, share = line.split()[:2]
                percent.setdefault(word.title(), [0.0, 0.0])[i] = float(share)
    out: dict[str, int] = {}
    for word, (male, female) in sorted(percent.items()):
        # each list's percentages are of its own sex, about half the population each, so they compare directly
        if max(male, female) >= MIN_PERCENT and word.lower() not in PLACES:
            sure = SURE_SHARE * (male + female)
            out[word] = 1 if male >= sure else -1 if female >= sure else 0
    return out


def main(argv: list[str] | None = None) -> int:
    """Write the given-name list; return an exit code."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="file to write (default: %(default)s)")
    args = ap.parse_args(argv)
    names = read()
    head = (
        "# Given names of the US Census 1990 lists (public domain), via PyPI `names` 0.3.0; scripts/census_names.py\n"
        f"# name, tab, +1 a man's / -1 a woman's when >= {SURE_SHARE:.0%} of its bearers are, else 0\n"
    )
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(head + "".join(f"{n}\t{sex}\n" for n, sex in names.items()), encoding="utf-8")
    tmp.replace(args.out)
    told = sum(1 for sex in names.values() if sex)
    print(f"wrote {args.out}: {len(names)} given names, {told} telling a sex")
    return 0


if __name__ == "__main__":
    sys.exit(main())
