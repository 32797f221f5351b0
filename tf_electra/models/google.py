"""Loading one network of an original google-research/electra pre-training checkpoint."""

from tf_electra.errors import CheckpointError
from tf_electra.io import google_format
from tf_electra.io import google_layout
from tf_electra.io.weights import check_config
from tf_electra.layers.initializers import zero_initialized
from tf_electra.models.pretrained import check_dtype
from tf_electra.models.pretrained import checked_config
from tf_electra.models.pretraining import TFElectraForMaskedLM
from tf_electra.models.pretraining import TFElectraForPreTraining

NETWORK_CLASSES = {"discriminator": TFElectraForPreTraining, "generator": TFElectraForMaskedLM}


def load_google_checkpoint(path, model="discriminator", hparams=None, config=None, dtype=None, progress=None):
    """Loads one network of an original ELECTRA pre-training checkpoint.

    Args:
        path: A checkpoint prefix (".../model.ckpt-1000000") or its folder.
        model: "discriminator" (returns TFElectraForPreTraining) or "generator"
            (returns TFElectraForMaskedLM).
        hparams: What run_pretraining.py's --hparams held (dict, JSON string or
            file): model_size, embedding_size, generator_hidden_size,
            generator_layers, model_hparam_overrides, vocab_size, ... Without
            it, the pretrain_config.json a `tf-electra pretrain` run wrote beside
            its checkpoints is used; otherwise sizes come from the shapes and
            heads = max(1, hidden // 64).
        config: An ElectraConfig to use as is (overrides both).
        dtype: Optional Keras dtype policy name for the model.
        progress: Optional callable(done, total) called as tensors are read.

    Returns:
        (model, config).

    Raises:
        CheckpointError: unreadable files, a network the checkpoint lacks, or
            weights that are missing, unexpected, mis-shaped or not floating point (all listed).
    """
    if model not in NETWORK_CLASSES:
        raise CheckpointError(f"model={model!r}; choose 'discriminator' or 'generator'")
    check_dtype(dtype)
    config = None if config is None else checked_config(config)
    prefix, _, shapes, dtypes = google_format.open_checkpoint(path)
    layout = google_layout.detect_layout(shapes, prefix)
    if model == "discriminator" and not layout.has_discriminator:
        raise CheckpointError(f"{prefix} has no discriminator (no discriminator_predictions/*): use model='generator'")
    if model == "generator" and not layout.has_generator:
        raise CheckpointError(
            f"{prefix} has no generator (no generator_predictions/*): it is a discriminator-only checkpoint; "
            "use model='discriminator'"
        )
    if config is None:
        hparams = google_layout.parse_hparams(hparams if hparams is not None else google_layout.run_hparams(prefix))
        config = google_layout.infer_config(shapes, layout, model, hparams, prefix)
    else:
        check_config(config, shapes, "google", source=prefix, **layout.scopes(model))
    with zero_initialized():  # every weight is assigned below, or loading fails as a whole
        network = NETWORK_CLASSES[model](config, **({"dtype": dtype} if dtype else {}))
    plan = google_format.plan_reads(network, shapes, dtypes, layout, model, prefix)
    google_format.read_into(plan, prefix, dtypes, progress)
    return network, config
