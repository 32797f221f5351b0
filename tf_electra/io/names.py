"""The one rule table that names our variables in every other weights format.

Our layers are named after google-research/electra's variable scopes, so a variable's path inside
a model (`electra/encoder/layer_0/attention/self/query/kernel`) is nearly its Google name already.
Each rule rewrites a pattern of our path into the name one format uses; a format's rules are applied
in order, each to the result of the one before:

    hf      Hugging Face's PyTorch state-dict key (model.safetensors, pytorch_model.bin)
    hf_tf   Hugging Face's TF2 weight name in tf_model.h5, without the model's own name and ":0"
    google  google-research/electra's checkpoint variable (docs/checkpoint_format.md); `{scope}` and
            `{embeddings}` are the scopes of the chosen network and of its embeddings, which depend
            on the checkpoint's layout (the generator may live under `generator/`)

PyTorch stores a dense weight as [out, in] where Keras stores [in, out]: the names in `TRANSPOSED`
are transposed on the way in and out.
"""

import re

from tf_electra.errors import WeightsError

FORMATS = ("hf", "hf_tf", "google")

# (format, pattern on our path, replacement)
RULES = (
    ("hf", r"/layer_(\d+)/", r"/layer/\1/"),
    ("hf", r"/(kernel|gamma|embeddings)$", "/weight"),
    ("hf", r"/beta$", "/bias"),
    ("hf", "/", "."),
    ("hf_tf", r"/layer_(\d+)/", r"/layer_._\1/"),
    ("hf_tf", r"/word_embeddings/embeddings$", "/word_embeddings/weight"),
    ("google", r"^electra/embeddings/(\w+_embeddings)/embeddings$", r"{embeddings}/embeddings/\1"),
    ("google", r"^electra/embeddings/", "{embeddings}/embeddings/"),
    ("google", r"^electra/", "{scope}/"),
    ("google", r"^discriminator_predictions/dense_prediction/", "discriminator_predictions/dense_1/"),
    ("google", r"^generator_lm_head/bias$", "generator_predictions/output_bias"),
)
TRANSPOSED = {"hf": re.compile(r"/kernel$")}

# Hugging Face keys that are tied to another weight or are buffers: never stored as weights of their own.
HF_TIED_OR_BUFFER = re.compile(r"(^|\.)generator_lm_head\.weight$|(^|\.)position_ids$|(^|\.)token_type_ids$")
# Key prefixes of transformers' bare ElectraModel, which has no "electra." in front.
HF_BASE_PREFIXES = ("embeddings.", "embeddings_project.", "encoder.")

_COMPILED = {fmt: [(re.compile(p), r) for f, p, r in RULES if f == fmt] for fmt in FORMATS}


def name_in(fmt, path, scope="electra", embeddings="electra"):
    """The name of our variable `path` in format `fmt` ("hf", "hf_tf" or "google")."""
    if fmt not in _COMPILED:
        raise WeightsError(f"unknown weights format {fmt!r}; one of {FORMATS}")
    name = path
    for pattern, replacement in _COMPILED[fmt]:
        name = pattern.sub(replacement, name)
    return name.replace("{scope}", scope).replace("{embeddings}", embeddings) if fmt == "google" else name


def transposed(fmt, path):
    """Whether format `fmt` stores this variable transposed relative to Keras."""
    pattern = TRANSPOSED.get(fmt)
    return bool(pattern and pattern.search(path))


def relative_path(model, variable):
    """The variable's path inside the model, without the model's own name.

    A variable that another model created (an embedding table a generator shares with its
    discriminator) has that model's prefix: its path then starts at the first of this model's own
    top-level layer names.
    """
    prefix = (model.path or model.name) + "/"
    path = variable.path
    if path.startswith(prefix):
        return path[len(prefix) :]
    parts = path.split("/")
    roots = {layer.name for layer in model.layers}
    for i, part in enumerate(parts[1:], 1):
        if part in roots:
            return "/".join(parts[i:])
    return "/".join(parts[1:])


def hf_canonical_key(key):
    """A Hugging Face key with the head models' "electra." prefix (a bare ElectraModel's keys lack it)."""
    return "electra." + key if key.startswith(HF_BASE_PREFIXES) else key
