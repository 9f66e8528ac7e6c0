"""An LCEL chain that answers a question from quotebot's statements, every line ending in a verbatim [n] citation.

    python examples/lcel_chain.py --corpus seeds/ "who called the claim ludicrous?"     # in-process index
    python examples/lcel_chain.py --url http://127.0.0.1:5000 "what did Kirby say?"    # a running quotebot

Without an LLM the answer step is extractive (the retrieved words, quoted exactly); pass any LangChain chat model
to build_chain(llm=...) and the same prompt and sources go to it instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda, RunnableParallel, RunnablePassthrough

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

from bot.integrations.langchain import QuotebotRetriever

PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", "Answer only from the numbered sources. Quote words exactly and end every line with its [n]."),
        ("human", "Sources:\n{sources}\n\nQuestion: {question}"),
    ]
)


def _who(doc: Document) -> str:
    return str(doc.metadata.get("speaker") or "Unattributed")


def number_sources(docs: list[Document]) -> str:
    """Return the documents as numbered sources for a prompt."""
    return "\n".join(f"[{n}] {_who(d)}: {d.page_content}" for n, d in enumerate(docs, 1))


def extractive(inputs: dict[str, Any]) -> str:
    """Answer with the retrieved words themselves, one line per source, each with its [n]."""
    docs: list[Document] = inputs["docs"]
    if not docs:
        return "quotebot found no statement about that."
    lines = [f"- {_who(d)}: “{d.page_content}” [{n}]" for n, d in enumerate(docs, 1)]
    return "From the indexed articles:\n" + "\n".join(lines)


def build_chain(retriever: QuotebotRetriever, llm: BaseChatModel | None = None) -> Runnable[str, dict[str, Any]]:
    """Return question -> {"answer", "docs"}: retrieval, then the LLM (or the extractive step) over the sources."""
    answer: Runnable[dict[str, Any], str]
    if llm is None:
        answer = RunnableLambda(extractive)
    else:
        answer = (
            RunnablePassthrough.assign(sources=lambda x: number_sources(x["docs"])) | PROMPT | llm | StrOutputParser()
        )
    return RunnableParallel(docs=retriever, question=RunnablePassthrough()) | RunnablePassthrough.assign(answer=answer)


def main(argv: list[str] | None = None) -> int:
    """Run the chain once and print the answer and its citations as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("question")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="a running quotebot (key: $QUOTEBOT_API_KEY)")
    where.add_argument("--corpus", action="append", help="an article file or folder to index in-process (repeatable)")
    parser.add_argument("--speaker", help="only this speaker's statements")
    parser.add_argument("-k", type=int, default=3, help="sources to retrieve")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.url:
            target: Any = args.url
        else:
            from bot.services import build_services
            from bot.settings import load_settings

            target = build_services(load_settings({"store": {"path": tmp}}))
            target.ingestor.ingest_paths(args.corpus)
        retriever = QuotebotRetriever.over(target, k=args.k, speaker=args.speaker)
        result = build_chain(retriever).invoke(args.question)
    citations = [{"n": n, "text": d.page_content, **d.metadata} for n, d in enumerate(result["docs"], 1)]
    print(json.dumps({"answer": result["answer"], "citations": citations}, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
