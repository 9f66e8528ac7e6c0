"""A sentence-transformers model run by ONNX Runtime: exported once into a cache, then encoded without torch.

The only module that imports onnxruntime. Torch and transformers (and onnx, which torch's exporter needs) are
imported only to export, once per model and cache folder. Quantisation was tried and left out: dynamic int8 of every
MatMul drifted to cosine 0.88 (per tensor) or 0.977 (per channel) on dev sentences; int8 of the feed-forward
up-projections alone kept 0.990 but its activation scales are computed per batch, so a text's vector changed with
the texts batched beside it (up to 0.016 per component), and a query must embed as its statement did.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

# Bump when the exported graph changes (inputs, pooling, opset), so old cache files are not reused.
EXPORT_VERSION = "2"
OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def default_cache() -> Path:
    """Return the default folder for exported models ($XDG_CACHE_HOME or ~/.cache, then quotebot/onnx)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "quotebot" / "onnx"


def read_pipeline(folder: Path) -> tuple[int, int]:
    """Return (max_seq_length, dimension) of a sentence-transformers folder; refuse pooling other than mean."""
    modules = json.loads((folder / "modules.json").read_text())
    pooling = [m for m in modules if m["type"].endswith(".Pooling")]
    if len(pooling) != 1:
        raise ValueError(f"{folder}: the ONNX backend needs exactly one Pooling module, found {len(pooling)}")
    config = json.loads((folder / pooling[0]["path"] / "config.json").read_text())
    modes = sorted(k for k, v in config.items() if k.startswith("pooling_mode") and v)
    if modes != ["pooling_mode_mean_tokens"]:
        raise ValueError(f"{folder}: the ONNX backend does mean pooling only, the model asks for {modes}")
    bert = json.loads((folder / "sentence_bert_config.json").read_text())
    return int(bert["max_seq_length"]), int(config["word_embedding_dimension"])


def _cache_key(folder: Path) -> str:
    """Return a key that changes with the model's files and the export code."""
    parts = [EXPORT_VERSION, str(OPSET), str(folder.resolve())]
    for path in sorted(folder.glob("*")):
        if path.is_file():
            stat = path.stat()
            parts.append(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _atomic_write(target: Path, write: Any) -> None:
    """Call write(temp_path) in target's folder, then rename: racing processes each finish with a whole file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(temp))
        os.chmod(temp, 0o644)  # mkstemp makes it private; a shared cache must be readable by other users
        os.replace(temp, target)
    finally:
        Path(temp).unlink(missing_ok=True)


def _export(folder: Path, target: Path) -> None:
    """Export the model with pooling in the graph, then fuse its attention and layer norms for ONNX Runtime's CPU."""
    raw = target.with_name(target.name + ".raw")
    try:
        _export_graph(folder, raw)
        _fuse(folder, raw, target)
    finally:
        raw.unlink(missing_ok=True)


def _fuse(folder: Path, source: Path, target: Path) -> None:
    """Rewrite a BERT graph with ONNX Runtime's fused CPU kernels (Attention, SkipLayerNormalization, BiasGelu).

    The same arithmetic in fewer, larger kernels: vectors match the unfused graph to cosine 0.999999 and chunk-length
    texts encode ~15% faster. Refused (ValueError) when the attention does not fuse, so an unexpected architecture
    fails at export instead of running unfused without a word.
    """
    from onnxruntime.transformers import optimizer

    config = json.loads((folder / "config.json").read_text())
    fused = optimizer.optimize_model(
        str(source),
        model_type="bert",
        num_heads=int(config["num_attention_heads"]),
        hidden_size=int(config["hidden_size"]),
        opt_level=1,  # the graph fusions only; the session applies its own optimisations at load
    )
    found = fused.get_fused_operator_statistics()
    layers = int(config["num_hidden_layers"])
    if found.get("Attention", 0) != layers:
        raise ValueError(f"{folder}: fused {found.get('Attention', 0)} of {layers} attention layers")
    fused.save_model_to_file(str(target))


def _export_graph(folder: Path, target: Path) -> None:
    """Export the transformer with mean pooling and L2 normalisation in the graph, as sentence-transformers does."""
    import warnings

    import torch
    from transformers import AutoModel

    # Eager attention exports the plain softmax(QK^T)V pattern that the fusion recognises (sdpa's does not fuse).
    model = AutoModel.from_pretrained(str(folder), local_files_only=True, attn_implementation="eager").eval()

    class Pooled(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    # Two rows of different lengths, so the trace keeps batch and sequence dynamic.
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]])
    mask = (ids != 0).long()
    axes = {name: {0: "batch", 1: "tokens"} for name in INPUTS}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about Python branches that do not depend on the inputs
        torch.onnx.export(
            Pooled(model),
            (ids, mask, torch.zeros_like(ids)),
            str(target),
            input_names=list(INPUTS),
            output_names=["embedding"],
            dynamic_axes={**axes, "embedding": {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,  # the TorchScript exporter needs no onnxscript and handles BERT's dynamic shapes
        )


def exported_model(folder: Path, cache: Path) -> Path:
    """Return the ONNX file of a model folder, exporting it into `cache` on first use."""
    target = cache / f"{folder.parent.name}-{folder.name}-{_cache_key(folder)}.onnx"
    if not target.exists():
        _atomic_write(target, lambda temp: _export(folder, temp))
    return target


class OnnxEncoder:
    """Encodes texts with an exported model: fast tokenizer, length-sorted batches, pooling inside the graph."""

    def __init__(self, folder: Path, cache: Path, *, threads: int = 0) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.max_length, self.dimension = read_pipeline(folder)
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_length)
        self.tokenizer.no_padding()  # each batch is padded to its own longest text below
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle threads sleep instead of spinning: on a shared machine spinning burned ~15% more CPU per chunk batch.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if threads:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        self.path = exported_model(folder, cache)
        self.session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str], batch_size: int) -> NDArray[np.float32]:
        """Return one unit vector per text; batches hold texts of similar length, so little padding is computed."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        lengths = np.array([len(e.ids) for e in encodings])
        order = np.argsort(lengths, kind="stable")
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            width = int(lengths[rows].max())
            ids = np.zeros((len(rows), width), dtype=np.int64)
            types = np.zeros_like(ids)
            mask = np.zeros_like(ids)
            for r, i in enumerate(rows):
                e = encodings[i]
                ids[r, : len(e.ids)] = e.ids
                types[r, : len(e.ids)] = e.type_ids
                mask[r, : len(e.ids)] = 1
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            out[rows] = self.session.run(None, feed)[0]
        return out
