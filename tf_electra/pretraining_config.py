"""PretrainingConfig: the hyperparameters of ELECTRA pre-training, with google-research/electra's names.

The keys and defaults are those of the original `configure_pretraining.py`, so an `--hparams` JSON
written for `run_pretraining.py` works as is. As there, unknown keys are refused by name, the derived
`max_predictions_per_seq` cannot be set, and the values a user gives win over the size defaults.
The model-size defaults are the paper's (the original code keeps them in a comment): Base and Large
use learning rate 2e-4, E = H and sequences of 512; Base a 1/3-width generator; Large masks 25%.
"""

import dataclasses
import difflib

from tf_electra.configuration import ElectraConfig
from tf_electra.errors import ConfigError
from tf_electra.presets import discriminator_sizes
from tf_electra.presets import generator_sizes
from tf_electra.utils.values import is_number
from tf_electra.utils.values import is_positive_int
from tf_electra.utils.values import parse_json_object

# The paper's settings per model size (configure_pretraining.py's comment block, Table 6).
SIZE_DEFAULTS = {
    "small": {"learning_rate": 5e-4, "embedding_size": 128},
    "base": {"learning_rate": 2e-4, "max_seq_length": 512, "generator_hidden_size": 0.33333, "train_batch_size": 256},
    "large": {"learning_rate": 2e-4, "max_seq_length": 512, "mask_prob": 0.25, "train_batch_size": 2048},
}
# Original keys that configure TPUs, paths or Electric; accepted so that old hparams files load.
NO_EFFECT = (
    "model_name",
    "debug",
    "do_train",
    "do_eval",
    "use_tpu",
    "num_tpu_cores",
    "tpu_job_name",
    "tpu_name",
    "tpu_zone",
    "gcp_project",
    "pretrain_tfrecords",
    "vocab_file",
    "model_dir",
    "results_txt",
    "results_pkl",
    "eval_batch_size",
    "num_eval_steps",
)
UNSUPPORTED = ("uniform_generator", "two_tower_generator", "electric_objective")


def max_predictions_per_seq(mask_prob, max_seq_length):
    """The most masked positions per sequence, as the original computes it."""
    return int((mask_prob + 0.005) * max_seq_length)


@dataclasses.dataclass
class PretrainingConfig:
    """ELECTRA pre-training hyperparameters (google-research/electra's PretrainingConfig)."""

    # loss functions
    electra_objective: bool = True  # False trains a BERT-style masked LM (the paper's baseline)
    gen_weight: float = 1.0  # weight of the generator's masked-LM loss
    disc_weight: float = 50.0  # weight of the discriminator's loss (lambda in the paper)
    mask_prob: float = 0.15  # fraction of tokens to mask out / replace
    # optimization
    learning_rate: float = 5e-4  # peak learning rate (2e-4 for base and large)
    lr_decay_power: float = 1.0  # polynomial decay to 0 (1.0: linear)
    weight_decay_rate: float = 0.01  # decoupled weight decay, not on LayerNorm and biases
    num_warmup_steps: int = 10000  # linear warm-up
    # Not in the original, whose AdamWeightDecayOptimizer has no bias correction: its first updates are
    # then (1 - 0.9**t) / sqrt(1 - 0.999**t) x lr (6.5x at step 10, 3.2x at 100). Harmless under 10,000
    # warm-up steps; a short run (a few thousand steps) needs True to get past the unigram plateau.
    adam_bias_correction: bool = False
    # Not in the original either, whose discriminator's output bias starts at 0 (probability 0.5): start it at
    # the log-odds of mask_prob, the share of tokens an untrained generator replaces. Otherwise the first
    # updates push the whole encoder toward that base rate, and a short run ends with a discriminator whose
    # last layer maps every token to nearly one vector (README: "The paper's claim in miniature").
    disc_prior_init: bool = False
    # training settings
    save_checkpoints_steps: int = 1000  # a checkpoint every N steps (and at the last one)
    num_train_steps: int = 1000000  # total steps (the learning-rate horizon)
    keep_checkpoint_max: int = 5  # most recent checkpoints kept (0 keeps all)
    iterations_per_loop: int = 200  # steps between progress lines and TensorBoard scalars
    # model settings
    model_size: str = "small"  # "small", "base" or "large"
    model_hparam_overrides: dict = dataclasses.field(default_factory=dict)  # ElectraConfig fields
    embedding_size: int = None  # E; None: the hidden size (128 for small)
    vocab_size: int = 30522  # rows of the word embeddings (must match the vocabulary)
    do_lower_case: bool = True  # the vocabulary is uncased
    # generator settings
    untied_generator_embeddings: bool = False  # the generator gets its own embeddings
    untied_generator: bool = True  # False: the generator *is* the discriminator (tied weights)
    generator_layers: float = 1.0  # fraction of the discriminator's layers
    generator_hidden_size: float = 0.25  # fraction of the discriminator's hidden size
    disallow_correct: bool = False  # never sample the original token
    temperature: float = 1.0  # temperature of the generator's softmax when sampling
    # batch sizes
    max_seq_length: int = 128
    train_batch_size: int = 128

    @classmethod
    def from_hparams(cls, hparams=None, **overrides):
        """A config from `run_pretraining.py --hparams` (a dict, JSON string or JSON file) and overrides.

        The model size's defaults apply first, then every key the user gave.

        Raises:
            ConfigError: an unknown key (with a suggestion), a value of the wrong type or range, or an
                option this package does not implement (Electric, a uniform generator).
        """
        values = dict(parse_json_object(hparams, "hparams"))
        values.update({k: v for k, v in overrides.items() if v is not None})
        known = [f.name for f in dataclasses.fields(cls)]
        for key in values:
            if key == "max_predictions_per_seq":
                raise ConfigError("max_predictions_per_seq is derived from mask_prob and max_seq_length; do not set it")
            if key not in known and key not in NO_EFFECT and key not in UNSUPPORTED:
                close = difflib.get_close_matches(key, known, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ConfigError(f"unknown hparam {key!r}{hint}")
        for key in UNSUPPORTED:
            if values.get(key):
                raise ConfigError(f"{key}=true is not supported (tf_electra pre-trains ELECTRA and BERT-style MLMs)")
        size = values.get("model_size", "small")
        if size not in SIZE_DEFAULTS:
            raise ConfigError(f"model_size must be one of {sorted(SIZE_DEFAULTS)}, got {size!r}")
        merged = dict(SIZE_DEFAULTS[size])
        merged.update({k: v for k, v in values.items() if k in known})
        config = cls(**merged)
        config.validate()
        return config

    @property
    def max_predictions_per_seq(self):
        """The most masked positions per sequence (see `max_predictions_per_seq`)."""
        return max_predictions_per_seq(self.mask_prob, self.max_seq_length)

    def validate(self):
        """Checks every field's type and range; raises ConfigError naming the first bad one."""
        for name in ("num_warmup_steps", "keep_checkpoint_max"):
            if not (is_positive_int(getattr(self, name)) or getattr(self, name) == 0):
                raise ConfigError(f"{name} must be a non-negative integer, got {getattr(self, name)!r}")
        for name in (
            "num_train_steps",
            "save_checkpoints_steps",
            "iterations_per_loop",
            "vocab_size",
            "max_seq_length",
            "train_batch_size",
        ):
            if not is_positive_int(getattr(self, name)):
                raise ConfigError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        for name, low, high in (
            ("mask_prob", 0.0, 1.0),
            ("learning_rate", 0.0, 1.0),
            ("temperature", 0.0, 1e6),
            ("gen_weight", -1e-9, 1e6),
            ("disc_weight", -1e-9, 1e6),
            ("weight_decay_rate", -1e-9, 1.0),
            ("lr_decay_power", 0.0, 100.0),
        ):
            value = getattr(self, name)
            if not is_number(value) or not low < value <= high:
                raise ConfigError(f"{name} must be a number in ({max(low, 0)}, {high}], got {value!r}")
        for name in (
            "electra_objective",
            "untied_generator_embeddings",
            "untied_generator",
            "disallow_correct",
            "do_lower_case",
            "adam_bias_correction",
            "disc_prior_init",
        ):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be true or false, got {getattr(self, name)!r}")
        if self.num_train_steps >= 2**63:  # TensorFlow's step counter is an int64
            raise ConfigError(f"num_train_steps must be below 2**63, got {self.num_train_steps}")
        if self.gen_weight + (self.disc_weight if self.electra_objective else 0) <= 0:
            raise ConfigError(
                "gen_weight and disc_weight are both 0 (disc_weight alone without the generator): no loss"
            )
        if self.max_seq_length < 4:
            raise ConfigError(f"max_seq_length must be at least 4, got {self.max_seq_length}")
        if self.max_predictions_per_seq < 1:
            raise ConfigError(f"mask_prob={self.mask_prob} masks no token of a {self.max_seq_length}-token sequence")
        self.discriminator_config()  # checks the sizes and overrides
        if self.electra_objective and self.untied_generator:
            self.generator_config()

    def _disc_sizes(self):
        overrides = self.model_hparam_overrides
        if not isinstance(overrides, dict):
            raise ConfigError(f"model_hparam_overrides must be a JSON object of config fields, got {overrides!r}")
        return discriminator_sizes(self.model_size, self.embedding_size, overrides)

    def discriminator_config(self):
        """The discriminator's ElectraConfig (also the BERT-style MLM's, when electra_objective is off)."""
        values = {"vocab_size": self.vocab_size, "max_position_embeddings": max(512, self.max_seq_length)}
        values.update(self._disc_sizes())
        try:
            return ElectraConfig(**values)
        except (ConfigError, TypeError) as e:
            raise ConfigError(f"model_hparam_overrides / model_size give a bad discriminator: {e}") from None

    def generator_config(self):
        """The generator's ElectraConfig: the original sizing rule applied to the discriminator's."""
        if not self.electra_objective or not self.untied_generator:
            return self.discriminator_config()
        sizes = generator_sizes(self._disc_sizes(), self.generator_hidden_size, self.generator_layers)
        if self.untied_generator_embeddings:
            sizes["embedding_size"] = sizes["hidden_size"]
        # the original copies the discriminator's BertConfig and changes only the sizes: activation, dropout,
        # LayerNorm epsilon and initializer range carry over (as model_hparam_overrides set them)
        return self.discriminator_config().copy(**sizes)

    def to_dict(self):
        return dataclasses.asdict(self)
