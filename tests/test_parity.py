"""Numerical parity with transformers' PyTorch ELECTRA (4.57.6): every model, float32, dropout off."""

import numpy as np
import pytest

import tf_electra

from conftest import copy_hf_weights
from conftest import hf_model
from conftest import padded_batch
from conftest import tiny_config
from conftest import torch_or_skip

TOL = 1e-5

HEADS = {
    "TFElectraModel": ("ElectraModel", "last_hidden_state", None),
    "TFElectraForPreTraining": ("ElectraForPreTraining", "logits", "binary"),
    "TFElectraForMaskedLM": ("ElectraForMaskedLM", "logits", "mlm"),
    "TFElectraForCausalLM": ("ElectraForCausalLM", "logits", "mlm"),
    "TFElectraForSequenceClassification": ("ElectraForSequenceClassification", "logits", "class"),
    "TFElectraForMultipleChoice": ("ElectraForMultipleChoice", "logits", "choice"),
    "TFElectraForTokenClassification": ("ElectraForTokenClassification", "logits", "token"),
    "TFElectraForQuestionAnswering": ("ElectraForQuestionAnswering", "start_logits", "qa"),
}


def make_labels(kind, config, inputs, rng):
    shape = inputs["input_ids"].shape
    if kind == "binary":
        return {"labels": rng.integers(0, 2, shape).astype("int32")}
    if kind == "mlm":
        labels = rng.integers(0, config.vocab_size, shape).astype("int32")
        labels[rng.random(shape) < 0.4] = -100
        return {"labels": labels}
    if kind == "class":
        return {"labels": rng.integers(0, config.num_labels, shape[:1]).astype("int32")}
    if kind == "choice":
        return {"labels": rng.integers(0, shape[1], shape[:1]).astype("int32")}
    if kind == "token":
        labels = rng.integers(0, config.num_labels, shape).astype("int32")
        labels[inputs["attention_mask"] == 0] = -100
        return {"labels": labels}
    if kind == "qa":
        # One position past the end: ignored by both implementations.
        return {
            "start_positions": np.array([1, 3, shape[1] + 4], "int32"),
            "end_positions": np.array([2, 5, 0], "int32"),
        }
    return {}


def run_both(tf_name, config, attn_implementation="eager", with_labels=True, seed=0, **call_kwargs):
    torch, _ = torch_or_skip()
    hf_name, main_key, kind = HEADS[tf_name]
    ours = tf_electra.MODEL_CLASSES[tf_name](config, attn_implementation=attn_implementation)
    theirs = hf_model(hf_name, ours.config, seed=seed)
    copy_hf_weights(ours, theirs)
    rng = np.random.default_rng(seed)
    inputs = padded_batch(config, choices=3 if kind == "choice" else None, seed=seed)
    labels = make_labels(kind, config, inputs, rng) if with_labels else {}
    flags = dict(output_hidden_states=True, output_attentions=attn_implementation == "eager")
    flags.update(call_kwargs)
    out = ours(**inputs, **labels, **flags)
    with torch.no_grad():
        ref = theirs(**{k: torch.as_tensor(v).long() for k, v in {**inputs, **labels}.items()}, **flags)
    return out, ref, main_key


def assert_close(ours, theirs, what):
    ours = np.asarray(ours)
    theirs = theirs.detach().numpy()
    assert ours.shape == theirs.shape, (what, ours.shape, theirs.shape)
    err = np.max(np.abs(ours - theirs))
    assert err < TOL, f"{what}: max abs difference {err:.3g} >= {TOL}"


@pytest.mark.parametrize("tf_name", list(HEADS))
def test_every_model_matches_transformers(tf_name):
    config = tiny_config()
    out, ref, main_key = run_both(tf_name, config)
    assert_close(out[main_key], ref[main_key], main_key)
    if main_key == "start_logits":
        assert_close(out["end_logits"], ref["end_logits"], "end_logits")
    assert len(out.hidden_states) == config.num_hidden_layers + 1
    for i, (a, b) in enumerate(zip(out.hidden_states, ref.hidden_states)):
        assert_close(a, b, f"hidden_states[{i}]")
    assert len(out.attentions) == config.num_hidden_layers
    for i, (a, b) in enumerate(zip(out.attentions, ref.attentions)):
        assert_close(a, b, f"attentions[{i}]")
    if HEADS[tf_name][2] is not None:
        assert_close(out.loss, ref.loss, "loss")


@pytest.mark.parametrize("tf_name", ["TFElectraModel", "TFElectraForMaskedLM", "TFElectraForQuestionAnswering"])
def test_sdpa_matches_transformers(tf_name):
    out, ref, main_key = run_both(tf_name, tiny_config(), attn_implementation="sdpa")
    assert_close(out[main_key], ref[main_key], main_key)
    assert_close(out.hidden_states[-1], ref.hidden_states[-1], "last hidden state")


@pytest.mark.parametrize(
    "overrides",
    [
        {"embedding_size": 16},  # E == H: no embeddings_project
        {"position_embedding_type": "relative_key"},
        {"position_embedding_type": "relative_key_query"},
        {"hidden_act": "gelu_new", "layer_norm_eps": 1e-5},
        {"is_decoder": True},
    ],
)
def test_config_variants_match_transformers(overrides):
    config = tiny_config(**overrides)
    out, ref, _ = run_both("TFElectraForPreTraining", config)
    assert_close(out.logits, ref.logits, f"logits with {overrides}")
    assert_close(out.loss, ref.loss, f"loss with {overrides}")
    if overrides.get("embedding_size") == 16:
        model = tf_electra.TFElectraModel(config)
        assert model.electra.embeddings_project is None


@pytest.mark.parametrize(
    "overrides,labels_dtype",
    [
        ({"num_labels": 1}, "float32"),  # regression
        ({"num_labels": 3, "problem_type": "multi_label_classification"}, "float32"),
        ({"num_labels": 3}, "int32"),
    ],
)
def test_sequence_classification_losses(overrides, labels_dtype):
    torch, _ = torch_or_skip()
    config = tiny_config(**overrides)
    ours = tf_electra.TFElectraForSequenceClassification(config)
    theirs = hf_model("ElectraForSequenceClassification", config)
    copy_hf_weights(ours, theirs)
    inputs = padded_batch(config)
    rng = np.random.default_rng(1)
    if labels_dtype == "int32":
        labels = rng.integers(0, config.num_labels, (3,)).astype("int32")
        torch_labels = torch.as_tensor(labels).long()
    elif config.num_labels == 1:
        labels = rng.normal(size=(3,)).astype("float32")
        torch_labels = torch.as_tensor(labels)
    else:
        labels = (rng.random((3, config.num_labels)) > 0.5).astype("float32")
        torch_labels = torch.as_tensor(labels)
    out = ours(**inputs, labels=labels)
    with torch.no_grad():
        ref = theirs(**{k: torch.as_tensor(v).long() for k, v in inputs.items()}, labels=torch_labels)
    assert_close(out.logits, ref.logits, "logits")
    assert_close(out.loss, ref.loss, "loss")


def test_position_ids_and_inputs_embeds_match_transformers():
    torch, _ = torch_or_skip()
    config = tiny_config()
    ours = tf_electra.TFElectraModel(config)
    theirs = hf_model("ElectraModel", config)
    copy_hf_weights(ours, theirs)
    inputs = padded_batch(config)
    positions = np.tile(np.arange(3, 12, dtype="int32"), (3, 1))
    embeds = np.random.default_rng(2).normal(size=(3, 9, config.embedding_size)).astype("float32")
    out = ours(inputs_embeds=embeds, attention_mask=inputs["attention_mask"], position_ids=positions)
    with torch.no_grad():
        ref = theirs(
            inputs_embeds=torch.as_tensor(embeds),
            attention_mask=torch.as_tensor(inputs["attention_mask"]).long(),
            position_ids=torch.as_tensor(positions).long(),
        )
    assert_close(out.last_hidden_state, ref.last_hidden_state, "last_hidden_state")


def test_return_dict_false_gives_transformers_tuple_order():
    out, ref, _ = run_both("TFElectraForSequenceClassification", tiny_config(), return_dict=False)
    assert isinstance(out, tuple)
    assert len(out) == len(ref)
    assert_close(out[0], ref[0], "loss")
    assert_close(out[1], ref[1], "logits")


def test_the_exact_gelu_is_torchs_and_the_formula_over_its_whole_range():
    import math

    from keras import ops

    from tf_electra.layers.activations import gelu_exact

    torch, _ = torch_or_skip()
    x = np.linspace(-12.0, 12.0, 4801)
    exact = np.array([0.5 * v * math.erfc(-v / math.sqrt(2.0)) for v in x])
    ours = np.asarray(gelu_exact(ops.convert_to_tensor(x, "float32")), dtype=np.float64)
    theirs = torch.nn.functional.gelu(torch.as_tensor(x, dtype=torch.float32)).double().numpy()
    np.testing.assert_allclose(ours, exact, atol=1e-6, rtol=1e-6)
    np.testing.assert_allclose(ours, theirs, atol=1e-6, rtol=1e-6)
    # bfloat16 (mixed precision): within bfloat16's resolution of the input's magnitude
    low = ops.convert_to_numpy(ops.cast(gelu_exact(ops.convert_to_tensor(x, "bfloat16")), "float32"))
    assert np.all(np.abs(low - exact) <= 2**-7 * np.maximum(np.abs(x), 1.0))
