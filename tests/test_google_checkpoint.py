"""Original Google Research checkpoints: every layout, checked against transformers' own loader."""

import json
import os
import shutil

import numpy as np
import pytest
import tensorflow as tf

import tf_electra
from tf_electra import CheckpointError
from tf_electra.io.google_format import inspect_google_checkpoint
from tf_electra.models.google import load_google_checkpoint

from conftest import padded_batch
from conftest import run_cli
from conftest import torch_or_skip
from fixtures import checkpoint_shapes
from fixtures import write_checkpoint
from fixtures import write_vocab

TOL = 5e-5
# Tiny sizes: discriminator H=128 (2 heads by the //64 rule), generator H_g=64 (1 head).
BASE = dict(
    model_size="small",
    embedding_size=32,
    model_hparam_overrides={
        "hidden_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "intermediate_size": 160,
    },
    generator_hidden_size=0.5,
    vocab_size=60,
    max_position=24,
)
LAYOUTS = {
    "shared_embeddings_with_both_projections": {},
    "no_discriminator_projection": {"embedding_size": 128},  # E == H, E != H_g
    "no_generator_projection": {"embedding_size": 64},  # E == H_g, E != H
    "untied_generator_embeddings": {"untied_generator_embeddings": True},
    "tied_generator": {"untied_generator": False},
}
# What transformers' loader needs to read each layout (section 6 of the format notes).
HF_GENERATOR_REWRITE = {
    "untied_generator_embeddings": {"drop": ("electra/",)},
    "tied_generator": {"rename": ("electra/", "generator/")},
}


def hparams_for(layout):
    hp = dict(BASE)
    hp.update(LAYOUTS[layout])
    return hp


def shape_kwargs(hp):
    return dict(hp)


def write(folder, layout, **kwargs):
    hp = hparams_for(layout)
    shapes = checkpoint_shapes(**shape_kwargs(hp))
    # std 0.1 at width 128 keeps logits O(1), so 5e-5 is far above float32 rounding yet any mapping error shows.
    kwargs.setdefault("std", 0.1)
    write_checkpoint(os.path.join(folder, "model.ckpt-100"), shapes, **kwargs)
    return hp


def oracle(prefix, network, config, inputs):
    """transformers' PyTorch ELECTRA loaded with its own load_tf_weights_in_electra."""
    torch, transformers = torch_or_skip()
    from transformers.models.electra.modeling_electra import load_tf_weights_in_electra

    hf_config = transformers.ElectraConfig(**{k: v for k, v in config.to_dict().items() if k != "attn_implementation"})
    cls = transformers.ElectraForPreTraining if network == "discriminator" else transformers.ElectraForMaskedLM
    model = cls(hf_config)
    load_tf_weights_in_electra(model, hf_config, prefix, discriminator_or_generator=network)
    model.eval()
    with torch.no_grad():
        return model(**{k: torch.as_tensor(v).long() for k, v in inputs.items()}).logits.numpy()


@pytest.mark.parametrize("network", ["discriminator", "generator"])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_layout_matches_transformers(tmp_path, layout, network):
    hp = write(tmp_path / "ckpt", layout)
    model, config = load_google_checkpoint(str(tmp_path / "ckpt"), network)
    inputs = padded_batch(config, batch=3, length=10)
    ours = np.asarray(model(inputs).logits)
    prefix = str(tmp_path / "ckpt" / "model.ckpt-100")
    if network == "generator" and layout in HF_GENERATOR_REWRITE:
        # transformers gets this layout wrong; give it a rewritten copy it can read.
        write(tmp_path / "hf", layout, **HF_GENERATOR_REWRITE[layout])
        prefix = str(tmp_path / "hf" / "model.ckpt-100")
    expected = oracle(prefix, network, config, inputs)
    assert ours.shape == expected.shape
    assert np.max(np.abs(ours - expected)) < TOL  # every position, padded ones included
    # The inferred sizes follow the original rules.
    if network == "generator" and layout != "tied_generator":
        assert (config.hidden_size, config.num_attention_heads, config.intermediate_size) == (64, 1, 256)
        assert config.embedding_size == (64 if layout == "untied_generator_embeddings" else hp["embedding_size"])
    else:
        assert (config.hidden_size, config.num_attention_heads) == (128, 2)


def test_transformers_loader_really_fails_on_the_two_layouts(tmp_path):
    """The reason for the rewritten copies above: the original files break transformers' loader."""
    torch, transformers = torch_or_skip()
    from transformers.models.electra.modeling_electra import load_tf_weights_in_electra

    write(tmp_path / "untied", "untied_generator_embeddings")
    _, config = load_google_checkpoint(str(tmp_path / "untied"), "generator")
    hf_config = transformers.ElectraConfig(**{k: v for k, v in config.to_dict().items() if k != "attn_implementation"})
    with pytest.raises(ValueError):
        load_tf_weights_in_electra(
            transformers.ElectraForMaskedLM(hf_config),
            hf_config,
            str(tmp_path / "untied" / "model.ckpt-100"),
            "generator",
        )


def test_hparams_json_string_and_file(tmp_path):
    hp = write(tmp_path / "ckpt", "shared_embeddings_with_both_projections")
    run_hparams = {
        k: hp[k]
        for k in ("model_size", "embedding_size", "model_hparam_overrides", "generator_hidden_size", "vocab_size")
    }
    run_hparams["learning_rate"] = 5e-4  # training hparams are accepted and ignored
    _, from_string = load_google_checkpoint(str(tmp_path / "ckpt"), "generator", hparams=json.dumps(run_hparams))
    path = tmp_path / "hparams.json"
    path.write_text(json.dumps(run_hparams))
    _, from_file = load_google_checkpoint(str(tmp_path / "ckpt"), "discriminator", hparams=str(path))
    assert from_string.num_attention_heads == 1 and from_file.num_attention_heads == 2
    # hparams that contradict the shapes name the field.
    wrong = dict(run_hparams, generator_hidden_size=0.25)
    with pytest.raises(CheckpointError, match="hidden_size=32.*hidden_size=64"):
        load_google_checkpoint(str(tmp_path / "ckpt"), "generator", hparams=wrong)
    # An explicit config overrides both (here: 4 heads instead of the rule's 2).
    config = from_file.copy(num_attention_heads=4)
    model, used = load_google_checkpoint(str(tmp_path / "ckpt"), "discriminator", config=config)
    assert used.num_attention_heads == 4 and model.config.num_attention_heads == 4


def test_adam_slots_and_global_step_are_never_read(tmp_path, monkeypatch):
    write(tmp_path / "ckpt", "shared_embeddings_with_both_projections")
    read = []
    original = tf.raw_ops.RestoreV2

    def recording_restore(**kwargs):
        read.extend(n.decode() if isinstance(n, bytes) else n for n in kwargs["tensor_names"])
        return original(**kwargs)

    monkeypatch.setattr(tf.raw_ops, "RestoreV2", recording_restore)
    model, _ = load_google_checkpoint(str(tmp_path / "ckpt"), "discriminator")
    assert read and not [n for n in read if "adam" in n or n == "global_step"]
    assert len(read) == len(model.weights)


def test_missing_networks_and_wrong_model(tmp_path):
    write(tmp_path / "disc_only", "shared_embeddings_with_both_projections", drop=("generator",))
    with pytest.raises(CheckpointError, match="no generator.*discriminator-only"):
        load_google_checkpoint(str(tmp_path / "disc_only"), "generator")
    model, _ = load_google_checkpoint(str(tmp_path / "disc_only"), "discriminator")
    assert isinstance(model, tf_electra.TFElectraForPreTraining)
    hp = dict(BASE, electra_objective=False)
    write_checkpoint(str(tmp_path / "mlm_only" / "model.ckpt-5"), checkpoint_shapes(**hp))
    with pytest.raises(CheckpointError, match="no discriminator"):
        load_google_checkpoint(str(tmp_path / "mlm_only"), "discriminator")
    generator, config = load_google_checkpoint(str(tmp_path / "mlm_only"), "generator")
    assert config.hidden_size == 128


def test_missing_and_unexpected_variables_are_listed(tmp_path):
    write(
        tmp_path / "ckpt",
        "shared_embeddings_with_both_projections",
        drop=("electra/encoder/layer_1/output/LayerNorm/gamma",),
    )
    with pytest.raises(CheckpointError, match=r"missing \(1\): electra/encoder/layer_1/output/LayerNorm/gamma"):
        load_google_checkpoint(str(tmp_path / "ckpt"), "discriminator")
    _, config = load_google_checkpoint(str(tmp_path / "ckpt"), "generator")
    with pytest.raises(CheckpointError, match=r"unexpected \(not used\).*electra/encoder/layer_1"):
        load_google_checkpoint(
            str(tmp_path / "ckpt"),
            "discriminator",
            config=config.copy(hidden_size=128, intermediate_size=160, num_attention_heads=2, num_hidden_layers=1),
        )


def test_corrupted_and_truncated_files(tmp_path):
    write(tmp_path / "ckpt", "shared_embeddings_with_both_projections")
    folder = tmp_path / "ckpt"
    data = next(p for p in os.listdir(folder) if ".data-" in p)
    truncated = tmp_path / "truncated"
    shutil.copytree(folder, truncated)
    size = os.path.getsize(truncated / data)
    with open(truncated / data, "r+b") as f:
        f.truncate(size // 3)
    with pytest.raises(CheckpointError, match="corrupted or truncated"):
        load_google_checkpoint(str(truncated), "discriminator")
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    (broken / "model.ckpt-100.index").write_bytes(b"garbage" * 20)
    with pytest.raises(CheckpointError, match="model.ckpt-100.index"):
        load_google_checkpoint(str(broken), "discriminator")
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_google_checkpoint(str(tmp_path), "discriminator")
    gone = tmp_path / "gone"  # was: "no 'checkpoint' file" although there is one, naming a moved checkpoint
    gone.mkdir()
    (gone / "checkpoint").write_text('model_checkpoint_path: "model.ckpt-100"\n')
    with pytest.raises(CheckpointError, match=r"gone/checkpoint names .*gone/model.ckpt-100, which has no .index"):
        inspect_google_checkpoint(str(gone))


def test_folder_resolution_picks_the_newest(tmp_path):
    shapes = checkpoint_shapes(**BASE)
    write_checkpoint(str(tmp_path / "model.ckpt-10"), shapes, seed=1)
    write_checkpoint(str(tmp_path / "model.ckpt-200"), shapes, seed=2)
    os.remove(tmp_path / "checkpoint")
    report = inspect_google_checkpoint(str(tmp_path))
    assert report["prefix"].endswith("model.ckpt-200")
    assert set(report["networks"]) == {"discriminator", "generator"}


def test_hparams_beyond_the_sizes_reach_both_networks(tmp_path):
    """model_hparam_overrides may set what shapes cannot show (activation, epsilon, dropout): both networks get it,
    as the original's generator copies the discriminator's BertConfig; unknown keys are refused by name."""
    hp = write(tmp_path / "ckpt", "shared_embeddings_with_both_projections")
    keys = ("model_size", "embedding_size", "model_hparam_overrides", "generator_hidden_size", "vocab_size")
    run = {k: hp[k] for k in keys}
    run["model_hparam_overrides"] = dict(hp["model_hparam_overrides"], hidden_act="relu", layer_norm_eps=1e-3)
    run["model_hparam_overrides"]["hidden_dropout_prob"] = 0.2
    for network in ("discriminator", "generator"):
        _, config = load_google_checkpoint(str(tmp_path / "ckpt"), network, hparams=run)
        assert (config.hidden_act, config.layer_norm_eps, config.hidden_dropout_prob) == ("relu", 1e-3, 0.2)
    _, plain = load_google_checkpoint(str(tmp_path / "ckpt"), "discriminator")
    assert (plain.hidden_act, plain.layer_norm_eps, plain.hidden_dropout_prob) == ("gelu", 1e-12, 0.1)
    with pytest.raises(
        tf_electra.ConfigError, match="unknown hparam 'genrator_layers'; did you mean 'generator_layers'"
    ):
        load_google_checkpoint(str(tmp_path / "ckpt"), "discriminator", hparams=dict(run, genrator_layers=1.0))


def test_inspect_reads_the_sizes_a_pretrain_run_recorded(tmp_path):
    """A pretrain run writes pretrain_config.json beside its checkpoints; inspect uses it as import-google does."""
    hp = write(tmp_path / "run", "shared_embeddings_with_both_projections")
    report = inspect_google_checkpoint(str(tmp_path / "run"))
    assert report["hparams"] is None and report["networks"]["discriminator"]["config"]["num_attention_heads"] == 2
    keys = ("model_size", "embedding_size", "model_hparam_overrides", "generator_hidden_size", "vocab_size")
    recorded = {k: hp[k] for k in keys}
    recorded["model_hparam_overrides"] = dict(hp["model_hparam_overrides"], num_attention_heads=4)  # not the rule's 2
    (tmp_path / "run" / "pretrain_config.json").write_text(json.dumps(recorded))
    report = inspect_google_checkpoint(str(tmp_path / "run"))
    assert report["hparams"] == str(tmp_path / "run" / "pretrain_config.json")
    _, loaded = load_google_checkpoint(str(tmp_path / "run"), "discriminator")
    assert report["networks"]["discriminator"]["config"]["num_attention_heads"] == loaded.num_attention_heads == 4
    result = run_cli("inspect", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    assert (
        "num_attention_heads=4" in result.stdout and "pretrain_config.json, which import-google reads" in result.stdout
    )


@pytest.mark.slow
def test_cli_import_google_and_inspect(tmp_path):
    torch, transformers = torch_or_skip()
    write(tmp_path / "release", "shared_embeddings_with_both_projections")
    write_vocab(str(tmp_path / "release" / "vocab.txt"), BASE["vocab_size"])
    result = run_cli("inspect", str(tmp_path / "release"))
    assert result.returncode == 0, result.stderr
    assert "separate generator/ network sharing electra/embeddings" in result.stdout
    assert "generator:" in result.stdout and "discriminator:" in result.stdout
    out = tmp_path / "out"
    result = run_cli("import-google", str(tmp_path / "release"), "--model", "generator", "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert "loading generator tensors" in result.stderr
    assert sorted(os.listdir(out)) == [
        "config.json",
        "model.safetensors",
        "special_tokens_map.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "vocab.txt",
    ]
    ours = tf_electra.TFElectraForMaskedLM.from_pretrained(str(out))
    theirs = transformers.ElectraForMaskedLM.from_pretrained(str(out)).eval()
    inputs = padded_batch(ours.config)
    with torch.no_grad():
        ref = theirs(**{k: torch.as_tensor(v).long() for k, v in inputs.items()}).logits.numpy()
    np.testing.assert_allclose(ours(inputs).logits, ref, atol=TOL)
    # Refuses to overwrite; --overwrite replaces.
    result = run_cli("import-google", str(tmp_path / "release"), "--model", "generator", "--output", str(out))
    assert result.returncode == 1 and "not empty" in result.stderr
    result = run_cli(
        "import-google", str(tmp_path / "release"), "--model", "discriminator", "--output", str(out), "--overwrite"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads((out / "config.json").read_text())["architectures"] == ["ElectraForPreTraining"]


@pytest.mark.slow
def test_cli_errors_write_nothing(tmp_path):
    write(tmp_path / "disc_only", "shared_embeddings_with_both_projections", drop=("generator",))
    out = tmp_path / "out"
    result = run_cli("import-google", str(tmp_path / "disc_only"), "--model", "generator", "--output", str(out))
    assert result.returncode == 1 and "no generator" in result.stderr
    write_vocab(str(tmp_path / "vocab.txt"), 77)
    result = run_cli(
        "import-google",
        str(tmp_path / "disc_only"),
        "--model",
        "discriminator",
        "--output",
        str(out),
        "--vocab",
        str(tmp_path / "vocab.txt"),
    )
    assert result.returncode == 1 and "77 tokens" in result.stderr and "60 rows" in result.stderr
    assert not out.exists()
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".out")]


def test_skipped_random_init_does_not_leak(tmp_path):
    """The import builds its model from zeros (every weight is then read); later models are random again."""
    write(tmp_path / "ckpt", "shared_embeddings_with_both_projections")
    model, config = load_google_checkpoint(str(tmp_path / "ckpt"), "discriminator")
    assert all(np.abs(w.numpy()).max() > 0 for w in model.weights if "LayerNorm/beta" not in w.path)
    fresh = tf_electra.TFElectraForPreTraining(config)
    kernel = fresh.electra.encoder.layer[0].attention.self_attention.query.kernel.numpy()
    assert np.std(kernel) > 0.5 * config.initializer_range


def test_folder_resolution_follows_the_checkpoint_file_as_tensorflow_writes_it(tmp_path, capfd):
    from tf_electra.io.google_format import resolve_prefix

    folder = tmp_path / 'rún "ä"'  # non-ASCII and a quote: TensorFlow escapes both in its text format
    shapes = checkpoint_shapes(**BASE)
    for step in (10, 200):
        write_checkpoint(str(folder / f"model.ckpt-{step}"), shapes, seed=step)
    tf.compat.v1.train.update_checkpoint_state(str(folder), str(folder / "model.ckpt-10"))  # absolute, escaped
    assert resolve_prefix(str(folder)) == str(folder / "model.ckpt-10")  # the file's choice, not the newest
    tf.compat.v1.train.update_checkpoint_state(str(folder), "model.ckpt-10")
    assert resolve_prefix(str(folder)) == str(folder / "model.ckpt-10")
    (folder / "checkpoint").write_text('model_checkpoint_path: "model.ckpt-999"\n')  # stale: fall back, quietly
    capfd.readouterr()
    assert resolve_prefix(str(folder)) == str(folder / "model.ckpt-200")
    assert "Couldn't match" not in capfd.readouterr().err
    (folder / "checkpoint").write_bytes(b"\xff\xfe garbage")
    assert resolve_prefix(str(folder)) == str(folder / "model.ckpt-200")
