"""The README's Integrations section is a contract: its Python snippets and curl commands run against a served app."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

from tests.conftest import ROOT
from tests.integrations.conftest import KEY, Served

README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("## Integrations") : README.index("## Evaluating answers in pytest")]


def blocks(heading: str, lang: str) -> list[str]:
    """Return the fenced `lang` blocks under a ### heading of the Integrations section."""
    part = SECTION[SECTION.index(f"### {heading}") :]
    nxt = part.find("\n### ", 4)
    part = part if nxt < 0 else part[:nxt]
    return re.findall(rf"```{lang}\n(.*?)```", part, flags=re.S)


def run_python(code: str, served: Served, **names: Any) -> dict[str, Any]:
    """Run a README snippet against the served app; return its variables."""
    scope: dict[str, Any] = {"__name__": "readme", **names}
    exec(compile(code.replace("http://127.0.0.1:5000", served.url), "README.md", "exec"), scope)
    return scope


def test_client_snippet_runs(live: Served, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("QUOTEBOT_API_KEY", "not-the-key")  # the snippet's write fails with a 403, as it shows
    (code,) = blocks("Python client", "python")
    scope = run_python(code, live)
    assert scope["answer"].speaker == "John Kirby" and scope["follow"].intent == "when"
    assert scope["verdict"].label == "verified" and scope["hits"][0].speaker == "John Kirby"
    assert capsys.readouterr().out.endswith("403 the API key is not valid\n")


class _ToolModel(GenericFakeChatModel):
    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self


def test_langchain_snippet_runs(live: Served) -> None:
    from langchain_core.messages import AIMessage

    (code,) = blocks("LangChain", "python")
    scope = run_python(code, live, model=_ToolModel(messages=iter([AIMessage("ok")])))
    assert scope["docs"] and {d.metadata["speaker_id"] for d in scope["docs"]} == {"volodymyr-zelensky"}
    assert scope["agent"].invoke({"messages": [("user", "hi")]})["messages"][-1].content == "ok"


def test_lcel_example_commands_are_the_tested_ones() -> None:
    (sh,) = blocks("LangChain", "sh")
    assert sh.splitlines() == [
        'python examples/lcel_chain.py --corpus seeds/ "who called the claim ludicrous?"',
        'python examples/lcel_chain.py --url http://127.0.0.1:5000 "what did Kirby say?"',
    ]  # tests/integrations/test_langchain.py::test_example_script_runs runs both forms


def test_openai_curl_commands_run(live: Served) -> None:
    (sh,) = blocks("OpenAI-compatible chat", "sh")
    host = live.url.removeprefix("http://")
    commands = [c for c in sh.replace("\\\n", " ").splitlines() if c.strip()]
    plain, streamed = (
        subprocess.run(
            ["bash", "-c", c.replace("localhost:5000", host)], capture_output=True, text=True, timeout=120, check=True
        ).stdout
        for c in commands
    )
    assert json.loads(plain)["quotebot"]["speaker"] == "John Kirby"
    assert streamed.rstrip().endswith("data: [DONE]")


def test_openai_package_snippet_runs(live: Served, capsys: pytest.CaptureFixture[str]) -> None:
    (code,) = blocks("OpenAI-compatible chat", "python")
    scope = run_python(code, live)
    assert scope["done"].model_extra["quotebot"]["citations"]
    assert "Volodymyr Zelensky: 2 statements found." in capsys.readouterr().out


def test_phrasing_commands_name_real_settings() -> None:
    (sh,) = blocks("Optional LLM phrasing behind a verbatim guard", "sh")
    from bot.settings import load_settings

    for var in set(re.findall(r"QUOTEBOT_(\w+?)__(\w+)=", sh)):
        section, key = var[0].lower(), var[1].lower()
        assert key in type(getattr(load_settings(environ={}), section)).model_fields, f"{section}.{key}"
    assert KEY  # the served apps' key is not in the README: writes there use $KEY
