"""Read a role phrase: the organisation it names ("White House press secretary" -> "White House")."""

from __future__ import annotations

from retrieval.identity.lexicon import noun_kind

# capitalised words inside a role that are titles, not part of an organisation's name
_TITLE_WORDS = {"press", "deputy", "senior", "vice", "former", "chief", "executive", "prime", "first", "acting",
                "assistant", "associate", "principal", "interim", "top", "lead", "then"}  # fmt: skip
# words that make a title another role: the shadow chancellor is not "the chancellor", nor a deputy director "the
# director"; "former" and "vice" are read where a description is fitted, since "the former president" wants them
RANKS = frozenset({"shadow", "deputy", "assistant", "associate", "acting", "interim"})
_NOT_ALONE = {"state", "national", "security", "general", "house", "white", "of", "the", "new"}


def _title_word(word: str) -> bool:
    low = word.lower().strip(".,")
    return low in _TITLE_WORDS or noun_kind(low)[0] == "role"


def affiliations(role: str) -> list[str]:
    """Return the organisations a role phrase names, in order ("Trump campaign spokesman" -> ["Trump campaign"])."""
    words = role.replace("’", "'").split()
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        name = " ".join(run).strip(",")
        if run and not (len(run) == 1 and run[0].lower().strip(".,") in _NOT_ALONE) and name not in out:
            out.append(name)
        run.clear()

    for w in words:
        if w[:1].isupper() and not _title_word(w):
            run.append(w)
        elif run and w.islower() and noun_kind(w)[0] == "org":
            run.append(w)  # "Trump campaign", "Clinton administration"
            flush()
        elif run and w.lower() in {"of", "for"} and len(run) >= 1 and run[-1][:1].isupper():
            run.append(w)  # "Department of Justice"
        else:
            if run and run[-1].lower() in {"of", "for"}:
                run.pop()
            flush()
    if run and run[-1].lower() in {"of", "for"}:
        run.pop()
    flush()
    return out
