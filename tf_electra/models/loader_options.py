"""transformers' `from_pretrained` loader options, told apart from config fields.

transformers takes its loader options (`revision=`, `torch_dtype=`, `output_loading_info=`, ...) beside config
overrides (`num_labels=3`); anything else is an error there. Taken as config overrides, the options were written
into the next config.json and did nothing.
"""

from dataclasses import dataclass

from tf_electra.config_fields import DEFAULTS
from tf_electra.config_fields import FOREIGN_KEYS
from tf_electra.config_fields import suggestion
from tf_electra.errors import ConfigError

# Options that change nothing here: nothing is downloaded, and every weights format is read.
NO_EFFECT = frozenset(
    """
    local_files_only cache_dir proxies token use_auth_token trust_remote_code resume_download low_cpu_mem_usage
    from_pt from_tf from_flax use_safetensors _fast_init mirror
""".split()
)
TORCH_DTYPES = {
    "float32": "float32",
    "float": "float32",
    "bfloat16": "bfloat16",
    "float16": "float16",
    "half": "float16",
}
CONFIG_KEYS = frozenset(DEFAULTS) | FOREIGN_KEYS | {"num_labels", "id2label", "label2id"}


@dataclass
class LoaderOptions:
    dtype: str = None
    subfolder: str = ""
    output_loading_info: bool = False
    ignore_mismatched_sizes: bool = False


def split_options(kwargs, dtype):
    """(LoaderOptions, config overrides) from `from_pretrained`'s keyword arguments; `check_overrides` follows
    once the config is read.

    Raises:
        ConfigError: an option that asks for what a local reader cannot do (another revision, a download, a
            weights variant).
    """
    kwargs = {k: v for k, v in kwargs.items() if k not in NO_EFFECT}
    if kwargs.get("revision") not in (None, "main"):
        raise ConfigError(f"revision={kwargs['revision']!r}: only the folder (or cached snapshot) as it is is read")
    if kwargs.pop("force_download", False):
        raise ConfigError("force_download: nothing is downloaded; the folder or the local cache is read")
    if kwargs.get("variant") is not None:
        raise ConfigError(f"variant={kwargs['variant']!r}: weights variants (model.<variant>.safetensors) are not read")
    kwargs.pop("revision", None), kwargs.pop("variant", None)
    torch_dtype = kwargs.pop("torch_dtype", None)
    if torch_dtype is not None and dtype is not None:
        raise ConfigError("give dtype or torch_dtype, not both")
    options = LoaderOptions(
        dtype=dtype if torch_dtype is None else str(torch_dtype).removeprefix("torch."),
        subfolder=kwargs.pop("subfolder", "") or "",
        output_loading_info=bool(kwargs.pop("output_loading_info", False)),
        ignore_mismatched_sizes=bool(kwargs.pop("ignore_mismatched_sizes", False)),
    )
    if torch_dtype is not None or dtype == "auto":
        options.dtype = _keras_dtype(options.dtype, None)
    return options, kwargs


def check_overrides(options, config, overrides):
    """Resolves dtype "auto" (the checkpoint's) and refuses overrides that are not config fields, as transformers
    does (its model classes take no unknown arguments)."""
    if options.dtype == "auto":
        options.dtype = _keras_dtype("auto", config)
    unknown = sorted(k for k in overrides if k not in CONFIG_KEYS and k not in config.to_dict())
    close = {k: suggestion(k, CONFIG_KEYS) for k in unknown}
    for key, near in close.items():
        if near:
            raise ConfigError(f"unknown config field {key!r}: did you mean {near!r}?")
    if unknown:
        raise ConfigError(f"from_pretrained got {unknown}: neither config fields nor loader options it knows")


def _keras_dtype(torch_dtype, config):
    """transformers' torch_dtype ("float16", torch.float16; "auto": the checkpoint's, once `config` is read) as a
    Keras dtype policy name ("auto" stays until then)."""
    name = str(torch_dtype).removeprefix("torch.")
    if name == "auto":
        if config is None:
            return "auto"
        name = str(getattr(config, "torch_dtype", None) or getattr(config, "dtype", None) or "float32")
        name = name.removeprefix("torch.")
    if name not in TORCH_DTYPES:
        raise ConfigError(f"torch_dtype={torch_dtype!r} is not one of {sorted(TORCH_DTYPES)} or 'auto'")
    return TORCH_DTYPES[name]
