"""Shared test helpers: tiny configs and the Hugging Face PyTorch oracle."""

import os

# transformers must not import TensorFlow (its TF classes need Keras 2); the oracle is PyTorch.
os.environ.setdefault("USE_TF", "0")
os.environ.setdefault("USE_TORCH", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from tf_electra import ElectraConfig


def tiny_config(**overrides):
    """A 2-layer model with E != H (so embeddings_project exists) and a large init range."""
    values = dict(
        vocab_size=64,
        embedding_size=12,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=24,
        max_position_embeddings=40,
        initializer_range=0.3,
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
    )
    values.update(overrides)
    return ElectraConfig(**values)


@pytest.fixture
def config():
    return tiny_config()


def torch_or_skip():
    """Imports the parity oracle, or skips the test with a message when torch is missing."""
    torch = pytest.importorskip("torch", reason="parity tests need torch==2.13.0 (pip install -e .[test])")
    transformers = pytest.importorskip(
        "transformers", reason="parity tests need transformers==4.57.6 (pip install -e .[test])"
    )
    return torch, transformers


def hf_model(hf_class_name, config, seed=0):
    """A randomly initialised transformers PyTorch model with every parameter random.

    Biases and LayerNorm parameters are randomised too (transformers' own init
    zeroes them), so a wrongly mapped bias cannot hide.
    """
    torch, transformers = torch_or_skip()
    torch.manual_seed(seed)
    hf_config = transformers.ElectraConfig(**{k: v for k, v in config.to_dict().items() if k != "attn_implementation"})
    model = getattr(transformers, hf_class_name)(hf_config).eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            param.normal_(0.0, config.initializer_range)
            if "LayerNorm.weight" in name:
                param.add_(1.0)
        if hasattr(model, "generator_lm_head"):
            model.generator_lm_head.weight = model.electra.embeddings.word_embeddings.weight
    return model


def copy_hf_weights(tf_model, torch_model):
    """Copies all weights from a transformers PyTorch model into ours, by name."""
    from tf_electra.io import weights

    state = {k: v.detach().numpy() for k, v in torch_model.state_dict().items()}
    assignments, missing, unexpected = weights.match(tf_model, state)
    assert not missing, missing
    assert not unexpected, unexpected
    weights.assign(assignments)


def padded_batch(config, batch=3, length=9, seed=0, choices=None):
    """input_ids / attention_mask / token_type_ids with right padding of different lengths."""
    rng = np.random.default_rng(seed)
    shape = (batch, length) if choices is None else (batch, choices, length)
    ids = rng.integers(1, config.vocab_size, shape).astype("int32")
    mask = np.ones(shape, "int32")
    types = np.zeros(shape, "int32")
    for i in range(batch):
        keep = length - 2 * i
        mask[i, ..., keep:] = 0
        ids[i, ..., keep:] = config.pad_token_id
        types[i, ..., keep // 2 : keep] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
