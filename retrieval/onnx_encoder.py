"""A sentence-transformers model run by ONNX Runtime: exported once into a cache, then encoded without torch.

The only module that imports onnxruntime. Torch and transformers (and onnx, which torch's exporter needs) are
imported only to export, once per model and cache folder. The export fuses the graph into ONNX Runtime's BERT
kernels and, for a model with shipped calibration ranges, runs twelve of its matrix products in int8 (see INT8_NODES).
Dynamic int8 was tried and left out: its activation scales are computed per batch, so a text's vector changed with
the texts batched beside it, and a query must embed as its statement did. Static int8 uses fixed ranges.
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
EXPORT_VERSION = "4"
# The matrix products run in int8 (weights per output channel, activations with fixed calibrated ranges): the
# attention output projection and the feed-forward up-projection of every layer. Measured on 1,000 dev sentences
# (lowest cosine to the float model): the six attention outputs together 0.9995; each up-projection alone, unsmoothed,
# 0.9948-0.9985; one down-projection (its input follows GELU) 0.958, smoothed or not. With the up-projections smoothed
# (SMOOTHED_NODES) this set gives mean 0.9983, lowest 0.9957 (1,000 train sentences: 0.9983 / 0.9961), and texts
# encode ~10% faster than with the session-4 set of nine unsmoothed products (0.9931 lowest) and ~18% faster than the
# float graph.
INT8_NODES = tuple(f"/inner/encoder/layer.{i}/attention/output/dense/MatMul" for i in range(6)) + tuple(
    f"/inner/encoder/layer.{i}/intermediate/dense/MatMul" for i in range(6)
)
# The up-projections read LayerNorm outputs in which a few channels run far above the rest (calibrated maxima up to
# ~30 against a median of ~2), and one fixed int8 range for the whole tensor spends its steps on them. Before these
# products the graph divides each channel whose maximum is above the SMOOTH_PERCENTILE-th percentile of the channel
# maxima down to that percentile and multiplies the weight's matching row by the same factor: the same product in float
# (SmoothQuant's migration, for the outlier channels only), a finer int8 step for every other channel.
SMOOTHED_NODES = tuple(f"/inner/encoder/layer.{i}/intermediate/dense/MatMul" for i in range(6))
SMOOTH_PERCENTILE = 95.0
# Activation ranges per model folder ("<package>-<folder>.json", holding the sha256 of the weights they were measured
# on), written by scripts/calibrate_int8.py from PolNeAR train text.
CALIBRATION = Path(__file__).parent / "data" / "int8"
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


def _cache_key(folder: Path, int8: bool) -> str:
    """Return a key that changes with the model's files, the export code, the precision and the int8 calibration."""
    parts = [EXPORT_VERSION, str(OPSET), str(folder.resolve()), f"int8={int8}"]
    shipped = calibration_file(folder) if int8 else None
    if shipped is not None:  # recalibrating (scripts/calibrate_int8.py) must not reuse a graph built on old ranges
        parts.append(hashlib.sha256(shipped.read_bytes()).hexdigest())
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


def weights_digest(folder: Path) -> str:
    """Return the sha256 of a model folder's weights file (what its calibration ranges were measured on)."""
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (folder / name).is_file():
            digest = hashlib.sha256()
            with (folder / name).open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
            return digest.hexdigest()
    raise ValueError(f"{folder}: no model.safetensors or pytorch_model.bin")


def calibration_file(folder: Path) -> Path | None:
    """Return the shipped int8 activation ranges of this model folder, or None when it has none."""
    path = CALIBRATION / f"{folder.parent.name}-{folder.name}.json"
    return path if path.is_file() else None


def _export(folder: Path, target: Path, int8: bool) -> None:
    """Export the model with pooling in the graph, fuse it for ONNX Runtime's CPU kernels, then int8 where it can."""
    ranges = calibration_file(folder) if int8 else None
    if ranges is None:
        float_graph(folder, target)
        return
    fused = target.with_name(target.name + ".fused")
    try:
        float_graph(folder, fused)
        _quantize(folder, fused, ranges, target)
    finally:
        fused.unlink(missing_ok=True)


def float_graph(folder: Path, target: Path) -> None:
    """Write the fused float graph of a model folder (also what scripts/calibrate_int8.py measures ranges on)."""
    raw = target.with_name(target.name + ".raw")
    try:
        _export_graph(folder, raw)
        _fuse(folder, raw, target)
    finally:
        raw.unlink(missing_ok=True)


def prepared_for_int8(source: Path, target: Path) -> None:
    """Write a graph with every tensor's shape inferred, which static quantisation needs to find its MatMul inputs."""
    from onnxruntime.quantization.shape_inference import quant_pre_process

    quant_pre_process(str(source), str(target), skip_optimization=True)


def smoothing_scales(channel_max: NDArray[np.float32]) -> NDArray[np.float32]:
    """Return per-channel divisors: above the SMOOTH_PERCENTILE-th percentile of the maxima, down to it; else 1."""
    ceiling = np.percentile(channel_max, SMOOTH_PERCENTILE)
    return np.maximum(1.0, channel_max / ceiling).astype(np.float32)


def smoothed(source: Path, target: Path, scales: dict[str, dict[str, float]]) -> None:
    """Write `source` with each named MatMul reading its input divided per channel and its weight rows multiplied.

    `scales` maps a MatMul's name to {input channel: divisor}; channels left out keep divisor 1.
    """
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(source))
    weights = {w.name: w for w in model.graph.initializer}
    nodes = []
    for node in model.graph.node:
        if node.name in scales:
            weight = numpy_helper.to_array(weights[node.input[1]])
            scale = np.ones(weight.shape[0], dtype=np.float32)
            for channel, divisor in scales[node.name].items():
                scale[int(channel)] = divisor  # an IndexError for a channel the weight does not have
            weights[node.input[1]].CopyFrom(numpy_helper.from_array(weight * scale[:, None], node.input[1]))
            inverse = node.name + "_smooth_inverse"
            model.graph.initializer.append(numpy_helper.from_array((1 / scale).astype(np.float32), inverse))
            divided = node.name + "_smoothed_input"
            nodes.append(helper.make_node("Mul", [node.input[0], inverse], [divided], name=node.name + "_Smooth"))
            node.input[0] = divided
        nodes.append(node)
    missing = set(scales) - {n.name for n in model.graph.node}
    if missing:
        raise ValueError(f"{source}: no MatMul named {sorted(missing)} to smooth")
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    onnx.save(model, str(target))


def _quantize(folder: Path, source: Path, ranges: Path, target: Path) -> None:
    """Smooth and quantise INT8_NODES of a fused graph with the shipped scales and ranges; refuse any node skipped."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    shaped = target.with_name(target.name + ".shaped")
    smooth = target.with_name(target.name + ".smooth")
    cache = target.with_name(target.name + ".ranges.json")  # a copy: quantize_static may rewrite its cache file
    try:
        shipped = json.loads(ranges.read_text())
        if shipped["weights_sha256"] != weights_digest(folder):
            raise ValueError(f"{ranges} was measured on other weights than {folder}'s; run scripts/calibrate_int8.py")
        found = sorted(shipped.get("smoothing", {}))
        if found != sorted(SMOOTHED_NODES):
            raise ValueError(
                f"{ranges} has smoothing scales for {found or 'no product'}, not {list(SMOOTHED_NODES)}; "
                "run scripts/calibrate_int8.py"
            )
        smoothed(source, smooth, shipped["smoothing"])
        prepared_for_int8(smooth, shaped)
        cache.write_text(json.dumps(shipped["ranges"]))
        quantize_static(
            str(shaped),
            str(target),
            None,  # no calibration data: the ranges come from the cache file
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=["MatMul"],
            nodes_to_quantize=list(INT8_NODES),
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
            calibration_cache_path=str(cache),
        )
    finally:
        for temp in (shaped, smooth, cache):
            temp.unlink(missing_ok=True)
    quantised = int8_products(target)
    if quantised != set(INT8_NODES):
        raise ValueError(f"int8 export quantised {sorted(quantised)}, not {INT8_NODES} ({ranges})")


def int8_products(path: Path) -> set[str]:
    """Return the names of a graph's MatMul nodes whose two inputs both come out of int8 (DequantizeLinear)."""
    import onnx

    nodes = onnx.load(str(path)).graph.node
    dequantised = {out for n in nodes if n.op_type == "DequantizeLinear" for out in n.output}
    return {n.name for n in nodes if n.op_type == "MatMul" and all(i in dequantised for i in n.input)}


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


def exported_model(folder: Path, cache: Path, *, int8: bool = True) -> Path:
    """Return the ONNX file of a model folder, exporting it into `cache` on first use (int8 where ranges exist)."""
    precision = "-int8" if int8 and calibration_file(folder) else ""
    target = cache / f"{folder.parent.name}-{folder.name}-{_cache_key(folder, bool(precision))}{precision}.onnx"
    if not target.exists():
        _atomic_write(target, lambda temp: _export(folder, temp, bool(precision)))
    return target


class OnnxEncoder:
    """Encodes texts with an exported model: fast tokenizer, length-sorted batches, pooling inside the graph."""

    def __init__(self, folder: Path, cache: Path, *, threads: int = 0, int8: bool = True) -> None:
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
        self.path = exported_model(folder, cache, int8=int8)
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
