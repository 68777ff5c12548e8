"""The encoder builds: made from the wheel's model, close to it, deterministic, kept apart in the cache, chosen in
cip.yaml."""

import duckdb
import numpy as np
import pytest

from cip_assets.feedback.embeddings import EmbeddingCache
from cip_resources.config_model import ConfigError
from cip_resources.text_encoders import backend_for, cosine_level, get_encoder, model_cache_dir

TEXTS = ["The parcel arrived two weeks late.", "Lovely soft dress, fits perfectly.",
         "Customer service never answered my emails about the refund."]


def test_onnx_int8_is_the_transformer_within_quantization_noise_and_deterministic():
    torch_vectors = get_encoder("torch").encode(TEXTS)
    onnx = get_encoder("onnx-int8")
    assert (model_cache_dir() / "all-MiniLM-L6-v2-onnx-int8" / "model_int8.onnx").exists()
    vectors = onnx.encode(TEXTS)
    assert vectors.shape == (3, 384)
    assert ((vectors * torch_vectors).sum(1) > 0.97).all()
    # one text per call: a text's vector does not depend on the texts beside it (the cache relies on that)
    alone = onnx.encode([TEXTS[1]])[0]
    assert np.array_equal(alone, vectors[1])


def test_static_build_is_normalised_and_ranks_like_the_transformer():
    static = get_encoder("static")
    vectors = static.encode(TEXTS + ["The delivery was late and the parcel took weeks to arrive."])
    assert vectors.shape == (4, 256) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    # the delivery description is nearest the late parcel, not the dress or the refund
    assert int(np.argmax(vectors[:3] @ vectors[3])) == 0


def test_each_build_has_its_own_cache_rows(tmp_path):
    with duckdb.connect(str(tmp_path / "cache.duckdb")) as con:
        static, onnx = EmbeddingCache(con, "static"), EmbeddingCache(con, "onnx-int8")
        assert static.get(TEXTS).shape == (3, 256) and onnx.get(TEXTS).shape == (3, 384)
        assert static.name.endswith("_256") and static.size() == 3 and onnx.size() == 3
        again = EmbeddingCache(con, "static")
        again.get(TEXTS)
        assert again.stats.encoded == 0  # cached per build


def test_builds_are_chosen_per_use_in_the_config():
    assert backend_for("sentiment", {}) == "static" and backend_for("bulk", {}) == "static"
    assert backend_for("sentiment", {"text": {"sentiment_encoder": "onnx-int8"}}) == "onnx-int8"
    with pytest.raises(ConfigError, match="text.bulk_encoder"):
        backend_for("bulk", {"text": {"bulk_encoder": "gpt"}})


def test_thresholds_map_onto_the_static_scale():
    assert cosine_level("onnx-int8", 0.5) == 0.5 == cosine_level("torch", 0.5)
    levels = [cosine_level("static", x) for x in (0.3, 0.4, 0.5, 0.55, 0.6)]
    assert levels == sorted(levels) and levels[2] == pytest.approx(0.712)
