"""Exception types. Each message names the file, variable, shape or value at fault."""


class ElectraError(Exception):
    """Base class of tf_electra's errors."""


class ConfigError(ElectraError, ValueError):
    """A config field has a bad value, or a config file cannot be read."""


class InputError(ElectraError, ValueError):
    """Model inputs are invalid: token ids out of range, mismatched shapes, too long."""


class WeightsError(ElectraError, ValueError):
    """Weights cannot be read or do not fit the model (missing, mis-shaped, corrupted)."""


class CheckpointError(WeightsError):
    """A Google Research checkpoint cannot be read or has an unexpected layout."""


class ExportError(ElectraError, ValueError):
    """A SavedModel export cannot be written."""
