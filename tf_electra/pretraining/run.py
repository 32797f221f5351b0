"""`tf-electra pretrain`: ELECTRA pre-training from TFRecords to Google-layout checkpoints.

The run folder is what google-research/electra's `model_dir` is: `checkpoint` plus
`model.ckpt-STEP.{index,data-*}` with both networks, their Adam slots and `global_step`. Run the
same command again (after a crash, a kill -9, or with a larger --steps) and it continues from the
newest complete checkpoint with its optimizer state and step. At the end it also writes Hugging
Face folders of the discriminator and the generator, with the vocabulary. The folder is locked while
a run uses it, and a folder that holds a different run (other sizes or objective) is refused.
"""

import contextlib
import dataclasses
import json
import os

from tf_electra.errors import ConfigError
from tf_electra.errors import DataError
from tf_electra.errors import TrainingError
from tf_electra.errors import failed_check
from tf_electra.io.google_writer import latest_checkpoint
from tf_electra.io.google_writer import restore_checkpoint
from tf_electra.models.electra_pretrainer import ElectraPretrainer
from tf_electra.pretraining.callbacks import Progress
from tf_electra.pretraining.callbacks import StepCheckpoints
from tf_electra.pretraining.callbacks import load_history
from tf_electra.pretraining.run_folder import CONFIG_FILE
from tf_electra.pretraining.run_folder import check_not_foreign
from tf_electra.pretraining.run_folder import check_same_run
from tf_electra.pretraining.run_folder import check_same_vocabulary
from tf_electra.pretraining.run_folder import saved_config
from tf_electra.pretraining_config import PretrainingConfig
from tf_electra.tasks.pretraining import damaged_file
from tf_electra.tasks.pretraining import data_info
from tf_electra.tasks.pretraining import pretraining_dataset
from tf_electra.tokenization.tokenizer import ElectraTokenizer
from tf_electra.training.distribute import check_same_start
from tf_electra.training.distribute import is_chief
from tf_electra.training.distribute import make_strategy
from tf_electra.training.optimization import ElectraAdamW
from tf_electra.training.schedules import WarmupLinearDecay
from tf_electra.utils import graph_rewrites
from tf_electra.utils.files import atomic_write_text
from tf_electra.utils.files import file_sha256
from tf_electra.utils.locks import folder_lock

HISTORY_FILE = "metrics.json"


def pretrain(
    data,
    output,
    config=None,
    vocab=None,
    seed=0,
    mixed_precision=False,
    strategy="default",
    verbose=1,
    log_every=None,
    steps=None,
):
    """Pre-trains ELECTRA (or a BERT-style MLM) on TFRecords; returns the last logged metrics.

    Args:
        data: A folder of pre-training TFRecords (build-pretraining-data's, or the original's), or globs.
        output: The run folder (created, or continued).
        config: A PretrainingConfig; its vocab_size is set from the vocabulary. None continues a run with
            its own settings (the run folder's pretrain_config.json), or starts ELECTRA-Small.
        steps: Total steps (num_train_steps), overriding the config's.
        vocab: vocab.txt (default: the one in `data`).
        seed: Seed of the initial weights, the data order and the masking and sampling draws.
        mixed_precision: Train in mixed_bfloat16.
        strategy: "default", "mirrored" or "multi-worker".
        verbose: 0 silent, 1 progress.
        log_every: Steps between progress lines / TensorBoard scalars (default: iterations_per_loop).

    Raises:
        TrainingError: a run folder in use or holding another run, a NaN loss.
        DataError / ConfigError / TokenizerError: bad data, options or vocabulary (before any training).
    """
    import keras
    import tensorflow as tf

    graph_rewrites.check_settings()  # bad switches, frozen oneDNN weights: refused before any write
    config = config or saved_config(output) or PretrainingConfig()
    if steps is not None:
        config = dataclasses.replace(config, num_train_steps=steps)
    if vocab is None and not os.path.isdir(data):
        raise DataError(f"{data} is not a folder; pass the folder build-pretraining-data wrote (or --vocab too)")
    vocab = vocab or os.path.join(data, "vocab.txt")
    tokenizer = ElectraTokenizer(vocab, do_lower_case=config.do_lower_case)
    config = _with_vocab(config, tokenizer, vocab, data)
    output = os.path.abspath(output)
    chief = is_chief(strategy)
    check_not_foreign(output)  # before the lock, which writes into the folder
    with folder_lock(output, "pre-training run") if chief else contextlib.nullcontext():
        check_same_run(output, config)
        check_same_vocabulary(output, vocab)
        dataset_seed = seed
        keras.utils.set_random_seed(seed)
        distribution = make_strategy(strategy)
        with distribution.scope():
            model = build_pretrainer(config, tokenizer, seed, mixed_precision)
            optimizer = build_optimizer(config)
            model.compile(optimizer=optimizer)
            optimizer.build(model.trainable_variables)
            step = _resume(output, model, optimizer)
        check_same_start(distribution, step, model.trainable_variables, output)
        if step > config.num_train_steps:
            raise TrainingError(
                f"{output} is at step {step:,} already, past --steps {config.num_train_steps:,}; pass a larger "
                "--steps to continue it (its checkpoints and Hugging Face folders are there)"
            )
        dataset_seed = seed + step  # a continued run sees the data in a new order, as the original's does
        dataset = pretraining_dataset(data, config.max_seq_length, config.train_batch_size, dataset_seed)
        if chief:  # after the data's checks: a refused run writes nothing
            atomic_write_text(os.path.join(output, CONFIG_FILE), json.dumps(config.to_dict(), indent=2) + "\n")
            tokenizer.save_pretrained(output)  # vocab.txt beside the checkpoints, as import-google expects
        every = log_every or config.iterations_per_loop
        checkpoints = StepCheckpoints(
            output, config.save_checkpoints_steps, config.num_train_steps, config.keep_checkpoint_max, save=chief
        )
        history_file = os.path.join(output, HISTORY_FILE) if chief else None
        progress = Progress(
            step,
            config.num_train_steps,
            every,
            os.path.join(output, "logs") if chief else None,
            history_file,
            show=bool(verbose),
        )
        progress.history = load_history(history_file, up_to=step) if history_file else []
        callbacks = [checkpoints, progress]
        if step < config.num_train_steps:
            if verbose:
                print(
                    f"pre-training steps {step + 1:,}..{config.num_train_steps:,}; building the training graph...",
                    flush=True,
                )
            epochs = -(-(config.num_train_steps - step) // every)
            try:
                model.fit(
                    dataset,
                    epochs=step // every + epochs,
                    initial_epoch=step // every,
                    steps_per_epoch=every,
                    callbacks=callbacks,
                    verbose=0,
                )
            except (tf.errors.DataLossError, tf.errors.InvalidArgumentError) as e:
                problem = damaged_file(data, config.max_seq_length)
                if problem is None and failed_check(e) is None:
                    raise
                problem = problem or f"{data} holds a record that the model refuses: {failed_check(e)}"
                raise DataError(f"{problem}; the checkpoints saved before it are intact") from None
            checkpoints.raise_if_failed()
            checkpoints.checkpoint(int(optimizer.iterations.numpy()))
        if chief:
            export_networks(model, tokenizer, output)
        last = progress.history[-1] if progress.history else {}
        return dict(last, step=int(optimizer.iterations.numpy()))


def _with_vocab(config, tokenizer, vocab, data):
    """The config with vocab_size taken from the vocabulary (refusing a contradicting explicit value)."""

    size = len(tokenizer)
    if config.vocab_size not in (size, PretrainingConfig().vocab_size):
        raise ConfigError(f"vocab_size={config.vocab_size} but {vocab} holds {size} tokens")
    overrides = config.model_hparam_overrides if isinstance(config.model_hparam_overrides, dict) else {}
    overridden = overrides.get("vocab_size", size)
    if overridden != size:
        raise ConfigError(f"model_hparam_overrides sets vocab_size={overridden!r} but {vocab} holds {size} tokens")
    info = data_info(data)
    if info.get("vocab_size") not in (None, size):
        raise ConfigError(
            f"{data} was tokenized with a {info['vocab_size']}-token vocabulary, but {vocab} holds "
            f"{size}; pass the data's vocab.txt (--vocab)"
        )
    if info.get("do_lower_case") not in (None, config.do_lower_case):
        raise ConfigError(
            f"{data} was built with do_lower_case={str(info['do_lower_case']).lower()}, but the run has "
            f"do_lower_case={str(config.do_lower_case).lower()}; they must agree"
        )
    if info.get("vocab_sha256") not in (None, file_sha256(vocab)):
        raise ConfigError(
            f"{data} was tokenized with another vocabulary than {vocab} (same size, other tokens or order); "
            "pass the data's vocab.txt (--vocab)"
        )
    config = dataclasses.replace(config, vocab_size=size)
    config.validate()
    return config


def build_pretrainer(config, tokenizer, seed=None, mixed_precision=False):
    """The ElectraPretrainer of a PretrainingConfig."""
    ids = [tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.mask_token_id]
    return ElectraPretrainer(
        config.discriminator_config(),
        config.generator_config(),
        tokenizer.mask_token_id,
        ids,
        max_seq_length=config.max_seq_length,
        mask_prob=config.mask_prob,
        gen_weight=config.gen_weight,
        disc_weight=config.disc_weight,
        temperature=config.temperature,
        disallow_correct=config.disallow_correct,
        electra_objective=config.electra_objective,
        untied_generator=config.untied_generator,
        untied_generator_embeddings=config.untied_generator_embeddings,
        disc_prior_init=config.disc_prior_init,
        seed=seed,
        dtype="mixed_bfloat16" if mixed_precision else None,
    )


def build_optimizer(config):
    """The original's optimizer: AdamW (no bias correction unless `adam_bias_correction`), warm-up then
    polynomial decay, clip 1.0."""
    schedule = WarmupLinearDecay(
        config.learning_rate, config.num_train_steps, config.num_warmup_steps, config.lr_decay_power
    )
    return ElectraAdamW(
        learning_rate=schedule,
        weight_decay_rate=config.weight_decay_rate,
        layer_decay=1.0,
        global_clipnorm=1.0,
        epsilon=1e-6,
        bias_correction=config.adam_bias_correction,
    )


def _resume(output, model, optimizer):
    prefix = latest_checkpoint(output)
    if prefix is None:
        return 0
    step = restore_checkpoint(prefix, model.google_variables(), optimizer)
    optimizer.iterations.assign(step)
    return step


def export_networks(model, tokenizer, output):
    """Hugging Face folders of the networks (RUN_DIR/discriminator, RUN_DIR/generator), with the vocabulary."""
    for name, network in model.networks().items():
        network.save_pretrained(os.path.join(output, name), tokenizer=tokenizer, overwrite=True)
