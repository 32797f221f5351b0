"""Hugging Face-style `from_pretrained` / `save_pretrained` for every model class."""

import os
import warnings

from tf_electra.configuration import ElectraConfig
from tf_electra.errors import ConfigError
from tf_electra.errors import WeightsError
from tf_electra.io import hf_formats
from tf_electra.io import weights
from tf_electra.layers.initializers import zero_initialized
from tf_electra.models.loader_options import check_overrides
from tf_electra.models.loader_options import split_options
from tf_electra.utils.files import atomic_directory
from tf_electra.utils.hub import resolve_model_dir

KERAS_WEIGHTS = "model.weights.h5"
DTYPE_POLICIES = ("float32", "bfloat16", "float16", "mixed_bfloat16", "mixed_float16")


def check_dtype(dtype):
    """ConfigError unless `dtype` is None or one of DTYPE_POLICIES."""
    if dtype is not None and dtype not in DTYPE_POLICIES:
        raise ConfigError(f"dtype={dtype!r} is not one of {DTYPE_POLICIES}")


def checked_config(config):
    """`config` as an ElectraConfig (a dict of its fields is converted); ConfigError for anything else."""
    if isinstance(config, dict):
        return ElectraConfig.from_dict(config)
    if not isinstance(config, ElectraConfig):
        raise ConfigError(f"config must be an ElectraConfig or a dict of its fields, got {type(config).__name__}")
    return config


class PretrainedMixin:
    """Loading from and saving to Hugging Face model folders."""

    @classmethod
    def from_pretrained(
        cls,
        path,
        config=None,
        dtype=None,
        attn_implementation=None,
        warn_unmatched=True,
        require_all_weights=False,
        **kwargs,
    ):
        """Builds the model and loads weights from a Hugging Face model folder.

        Args:
            path: A folder with config.json and weights (model.safetensors, a
                sharded safetensors index, tf_model.h5 or pytorch_model.bin), or a
                hub id ("google/electra-small-discriminator") present in the local
                Hugging Face cache. Nothing is downloaded.
            config: An ElectraConfig to use instead of the folder's config.json.
            dtype: A Keras dtype policy name: "float32", "bfloat16", "float16",
                "mixed_bfloat16" or "mixed_float16" (the Keras form of
                transformers' `torch_dtype`).
            attn_implementation: "eager" or "sdpa".
            warn_unmatched: Warn about newly initialised and unused weights (False when a new
                task head is expected, as when fine-tuning a pre-trained folder).
            require_all_weights: Refuse a folder that lacks some of the model's weights (WeightsError), as
                `tf-electra export` does: a head it has no weights for would serve random outputs.
            **kwargs: Config fields to change (e.g. num_labels=3), and transformers' loader options:
                `ignore_mismatched_sizes` (weights whose shape disagrees, e.g. a head for another
                num_labels, are newly initialised instead of refused), `output_loading_info`,
                `torch_dtype` (also "auto"), `subfolder`; `local_files_only`, `from_pt`, `token`,
                `revision="main"`, ... change nothing (nothing is downloaded, every format is read).

        Returns:
            The model (with `output_loading_info`, `(model, {"missing_keys", "unexpected_keys",
            "mismatched_keys", "error_msgs"})`). Weights the checkpoint lacks (e.g. a new task head) are
            newly initialised; both those and checkpoint weights the model does
            not use are reported in one warning.

        Raises:
            WeightsError: no weights, a corrupted file, a non-float tensor, or a
                weight whose shape disagrees with the config (nothing is loaded then).
            ConfigError: missing or invalid config.json, or a bad dtype.
        """
        if path is None or not isinstance(path, (str, os.PathLike)):
            raise WeightsError(f"from_pretrained needs a model folder path, got {type(path).__name__}")
        options, config_overrides = split_options(kwargs, dtype)
        directory = resolve_model_dir(path)
        if options.subfolder:
            directory = os.path.join(directory, options.subfolder)
            if not os.path.isdir(directory):
                raise WeightsError(f"{directory} does not exist (subfolder={options.subfolder!r})")
        if config is None:
            config = ElectraConfig.from_pretrained(directory)
        config = checked_config(config)
        check_overrides(options, config, config_overrides)
        if config_overrides:
            config = config.copy(**config_overrides)
        dtype = options.dtype
        check_dtype(dtype)
        weights_file = hf_formats.find_weights_file(directory)
        fmt, tensors = hf_formats.read_weights(weights_file)
        weights.check_config(config, {k: v.shape for k, v in tensors.items()}, fmt, source=weights_file)
        with zero_initialized():  # every weight the checkpoint holds is assigned below
            model = cls(config, attn_implementation=attn_implementation, **({"dtype": dtype} if dtype else {}))
        mismatched = [] if options.ignore_mismatched_sizes else None
        assignments, missing, unexpected = weights.match(model, tensors, fmt, weights_file, mismatched)
        if not assignments:
            raise WeightsError(f"{weights_file} holds no ELECTRA weights for {cls.__name__}")
        if require_all_weights and missing:
            raise WeightsError(
                f"{weights_file} has no weights for {', '.join(sorted(missing))} of {cls.__name__}: they would be "
                "random; fine-tune the folder for this head first"
            )
        weights.initialize_unassigned(model, assignments, config.initializer_range)
        weights.assign(assignments)
        if warn_unmatched:
            report_unmatched(cls.__name__, weights_file, missing, unexpected, mismatched)
        if options.output_loading_info:
            info = {"missing_keys": missing, "unexpected_keys": unexpected, "mismatched_keys": mismatched or []}
            return model, dict(info, error_msgs=[])
        return model

    def save_pretrained(self, directory, tokenizer=None, keras_weights=False, overwrite=False):
        """Writes config.json and model.safetensors in Hugging Face's PyTorch naming.

        transformers' `ElectraFor*.from_pretrained(directory)` loads the folder
        with no missing or unexpected keys. The folder is written under a
        temporary name and renamed into place.

        Args:
            directory: The folder to create.
            tokenizer: Optionally an ElectraTokenizer, saved into the same folder.
            keras_weights: Also write Keras-native weights (model.weights.h5).
            overwrite: Replace an existing non-empty folder (refused otherwise).

        Returns:
            The folder written.
        """
        mode = getattr(self, "quantization", None) or next(
            (layer.quantization_mode for layer in self._flatten_layers() if getattr(layer, "quantization_mode", None)),
            None,
        )  # ours (quantized_copy) or Keras' model.quantize()
        if mode:
            raise WeightsError(
                f"this {type(self).__name__} is quantized to {mode} for serving, which save_pretrained cannot "
                "store; save the float model, or export it with --quantize int8"
            )
        with atomic_directory(directory, overwrite=overwrite) as tmp:
            config = self.config.copy(architectures=[type(self).__name__[2:]])
            config.save_pretrained(tmp)
            hf_formats.write_safetensors(weights.hf_state_dict(self), os.path.join(tmp, hf_formats.SAFETENSORS))
            if keras_weights:
                self.save_weights(os.path.join(tmp, KERAS_WEIGHTS))
            if tokenizer is not None:
                tokenizer.save_pretrained(tmp)
        return directory


def report_unmatched(class_name, source, missing, unexpected, mismatched=None):
    """One warning listing newly initialised and unused weights, as transformers reports them."""
    lines = []
    if mismatched:
        shapes = ", ".join(f"{k}: {a} in the checkpoint, {b} in the model" for k, a, b in mismatched)
        lines.append(f"Some weights of {class_name} were newly initialized, their shapes differing: {shapes}")
    if unexpected:
        lines.append(
            f"Some weights of the checkpoint at {source} were not used when initializing {class_name}: "
            f"{sorted(unexpected)}"
        )
    if missing:
        lines.append(
            f"Some weights of {class_name} were not initialized from the checkpoint at {source} and are newly "
            f"initialized: {sorted(missing)}. You should probably train this model on a down-stream task."
        )
    if lines:
        warnings.warn("\n".join(lines), UserWarning, stacklevel=3)
