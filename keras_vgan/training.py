"""A whole training run from a `TrainingConfig`: data, models, callbacks, outputs.

This is what `keras-vgan train` runs. In a notebook the same pieces are
available one by one (`build_gan`, `training_dataset`, `VideoGAN.fit`).

The run directory it fills:
    config.json        the configuration, to rerun or resume the run
    class_names.json   a conditional run's classes, by label (label i is class_names[i])
    samples/           epoch_NNNN.png sample grids (rows = samples, columns = time),
                       epoch_NNNN.gif / .mp4 the same samples tiled and playing,
                       real.png / real.gif real training clips in the same layout, written
                       before the first step (after `data:` summary and sanity checks)
    tensorboard/       loss scalars and animated samples for `tensorboard --logdir`;
                       tensorboard/real holds the real clips (`real_samples`)
    checkpoints/       the resumable training state (see below)
    model.keras        the trained VideoGAN (`keras.models.load_model`)

Resuming: the state (both networks, the EMA generator, both optimizers, and
the step/epoch counters) is checkpointed every `config.checkpoint_every` steps
and at every epoch end. Running `train` again on the same run directory, with
the same configuration (only `epochs`, `sample_every`, `num_samples`,
`checkpoint_every` and `jit_compile` may change), continues from the last
checkpoint, mid-epoch included, so a killed run loses at most
`checkpoint_every` steps; when the requested epochs are done already it only
rewrites `model.keras`. The sample noise needs no saving: it is derived from
`config.seed`. Not restored: the data order (the shuffle starts over) and the
training-noise stream (reseeded from the seed and the step), so a resumed run
is statistically, not bit-for-bit, the same as an uninterrupted one.

Distribution (`config.strategy` or `strategy=`; see `keras_vgan.distribute`):
the networks and optimizers are built under the strategy's scope and
`config.batch_size` is the global batch, split over the replicas. In a
multi-worker job every worker runs `train` with the same configuration and run
directory (on storage they all reach); each reads its own part of the data
(`load_source(..., shard=...)`) and draws its own noise, and only the chief
writes the run directory (config, samples, TensorBoard, checkpoints,
`model.keras`); the other workers' checkpoint copies go to temporary
directories that they remove (`TrainingCheckpoint`). Restarted, every worker
resumes from the chief's last checkpoint.
"""

import json
import os

import keras
import numpy as np
import tensorflow as tf

from keras_vgan import distribute
from keras_vgan import precision as precision_policy
from keras_vgan.callbacks import RealSamples, SampleGrid, TensorBoardSamples, TrainingCheckpoint
from keras_vgan.datasets.sources import OBJECT_COUNT_OPTIONS
from keras_vgan.datasets import PROCEDURAL_DATASETS, check_first_batch, describe_source, load_source, take_clips
from keras_vgan.datasets.pairs import context_future_pairs
from keras_vgan.datasets.pipeline import make_training_dataset
from keras_vgan.datasets.synthetic import BUILTIN_CLASS_NAMES
from keras_vgan.loss_terms import (FirstFrameL1, MismatchedLabels, ModeSeeking, classification_terms,
                                   reconstruction_terms)
from keras_vgan.models import VideoGAN
from keras_vgan.models.translation import showcase_sampler
from keras_vgan.models.zoo import build_architecture, get_architecture
from keras_vgan.saving import CLASS_NAMES_FILENAME, load_video_gan, resolve_model_path
from keras_vgan.saving import save_model  # noqa: F401  (re-exported: it lived here before keras_vgan.saving)
from keras_vgan.video_io import atomic_path


def build_gan(config, num_classes=None):
    """A compiled `VideoGAN` as `config` describes: a `TranslationGAN` for `task="predict"` or `"enhance"`, an
    `AnimationGAN` for `"animate"`.

    Set the precision policy first. A `config.conditional` model has
    `num_classes` classes: default, as many as the data has
    (`data_class_names`, which for `config.data` reads the source).

    Example:
    >>> from keras_vgan.presets import get_preset
    >>> gan = build_gan(get_preset("quickstart").replace(frames=8, generator_filters=8, discriminator_filters=8))
    >>> gan.generator.output_shape
    (None, 8, 32, 32, 1)
    """
    predicting = config.task == "predict"
    options = config.model_arguments()
    if config.conditional:
        options["num_classes"] = num_classes or len(data_class_names(config))
    elif num_classes:
        raise ValueError(f"num_classes={num_classes!r} is not valid for a run without conditional=True; expected "
                         "None")
    generator, discriminators = build_architecture(
        config.model, config.frames, config.height, config.width, config.channels,
        context_frames=config.context if predicting else None,
        degradation=config.make_degradation() if config.task == "enhance" else None, **options)
    augment = None
    if config.augment:
        from keras_vgan.diffaugment import DiffAugment

        augment = DiffAugment(config.augment)
    if config.task == "animate":
        from keras_vgan.models.animation import AnimationGAN

        gan = AnimationGAN(generator, discriminators, ema_decay=config.ema_decay, augment=augment)
        loss_terms = [FirstFrameL1(config.l1_weight)]
    elif config.task in ("predict", "enhance"):
        from keras_vgan.models.translation import TranslationGAN

        # adversarial_weight 0: the reconstruction-only baseline, with no discriminator to train.
        gan = TranslationGAN(generator, discriminators if config.adversarial_weight else None,
                             ema_decay=config.ema_decay, augment=augment)
        loss_terms = reconstruction_terms(config.l1_weight, config.l2_weight, config.gradient_difference_weight,
                                          config.temporal_weight, config.temporal_motion, config.perceptual_weight,
                                          config.perceptual_layer)
    else:
        gan = VideoGAN(generator, discriminators, ema_decay=config.ema_decay, augment=augment)
        loss_terms = [MismatchedLabels(config.mismatch_weight)] if config.mismatch_weight else []
        if config.classification_weight:
            loss_terms += classification_terms(config.classification_weight, config.classification_fake_class)
    optimizer_options = {"beta_1": config.beta_1, "beta_2": 0.999}
    if config.clipnorm:
        optimizer_options["clipnorm"] = config.clipnorm
    gan.compile(
        g_optimizer=keras.optimizers.Adam(config.g_learning_rate, **optimizer_options),
        d_optimizer=keras.optimizers.Adam(config.d_learning_rate, **optimizer_options),
        loss=config.loss,
        discriminator_steps=config.discriminator_steps,
        label_smoothing=config.label_smoothing,
        gradient_penalty_weight=config.gradient_penalty_weight,
        r1_weight=config.r1_weight,
        r1_interval=config.r1_interval,
        loss_terms=loss_terms + _mode_seeking(config),
        adversarial_weight=config.adversarial_weight,
        jit_compile=precision_policy.resolve_jit_compile(config.jit_compile),
    )
    return gan


def _mode_seeking(config):
    return [ModeSeeking(config.mode_seeking_weight)] if config.mode_seeking_weight else []


def source_clips(config, shard=None):
    """The unbatched clips `config` names, through `load_source`: `config.data`, else the built-in `config.dataset`.

    `shard=(index, count)`: only worker `index` of `count`'s part (see `load_source`).
    A `config.conditional` run's clips are `(clip, label)` pairs, with the
    dataset's `class_names`; data without labels is a ValueError.
    """
    geometry = dict(frames=config.frames, height=config.height, width=config.width, channels=config.channels,
                    seed=config.seed)
    if shard is not None and shard[1] > 1:
        geometry["shard"] = tuple(shard)
    if config.conditional:
        geometry["labels"] = True
    if config.data:
        options = {"clips_per_video": config.clips_per_video} if config.clips_per_video else {}
        if config.layout:
            options["layout"] = config.layout
        try:
            clips = load_source(config.data, **geometry, **options)
        except ValueError as error:
            if not config.conditional or "label" not in str(error):
                raise
            raise ValueError(f"data without labels for a conditional run: {config.data!r} ({error}); expected "
                             "videos or frame folders in class folders, labelled TFRecord shards, a labelled "
                             "tfds: dataset or a built-in dataset") from None
        if config.conditional:
            _check_class_names(getattr(clips, "class_names", None), config.data)
        return clips
    if config.layout:
        raise ValueError(f"layout={config.layout!r} applies to --data arrays (.npy) only, not to the built-in "
                         f"dataset {config.dataset!r}")
    if config.dataset not in PROCEDURAL_DATASETS:
        raise ValueError(f"dataset={config.dataset!r} is not built in; expected one of {list(PROCEDURAL_DATASETS)} "
                         "or --data PATH")
    if config.dataset not in OBJECT_COUNT_OPTIONS:  # photo_clips: one photograph a clip, no objects to count
        return load_source(config.dataset, num_videos=config.num_videos, **geometry)
    return load_source(config.dataset, num_videos=config.num_videos, num_objects=config.num_objects, **geometry)


def _check_class_names(class_names, source):
    if not class_names:
        raise ValueError(f"data without labels for a conditional run: {source!r} gives no class names; expected "
                         "videos or frame folders in class folders, labelled TFRecord shards, a labelled tfds: "
                         "dataset or a built-in dataset")
    if len(class_names) < 2:
        raise ValueError(f"data {source!r} has {len(class_names)} class ({list(class_names)}); a conditional run "
                         "expects at least 2 (videos in one folder per class)")
    return [str(name) for name in class_names]


def data_class_names(config, clips=None):
    """The class names of a conditional run's data, by label; None for an unconditional run.

    The built-in datasets' are fixed (`DIGIT_CLASS_NAMES`, `SHAPE_CLASS_NAMES`);
    those of `config.data` come from the source (`clips`, default
    `source_clips(config)`): its class folders, TFRecord manifest or TFDS
    label feature.

    Example:
    >>> from keras_vgan.presets import get_preset
    >>> data_class_names(get_preset("quickstart").replace(conditional=True, num_objects=1))[:3]
    ['0', '1', '2']
    """
    if not config.conditional:
        return None
    if not config.data and config.dataset in BUILTIN_CLASS_NAMES:
        return list(BUILTIN_CLASS_NAMES[config.dataset])
    clips = source_clips(config) if clips is None else clips
    return _check_class_names(getattr(clips, "class_names", None), config.data or config.dataset)


CLASS_NAMES_FILE = CLASS_NAMES_FILENAME  # read back by keras_vgan.saving.read_class_names


def write_class_names(run_dir, class_names, resuming=False):
    """Save a conditional run's class names as `run_dir/class_names.json`, atomically.

    Resuming a run whose saved classes differ is a ValueError: the model's
    labels would mean other classes than they were trained on.
    """
    path = os.path.join(run_dir, CLASS_NAMES_FILE)
    if resuming and os.path.isfile(path):
        with open(path) as file:
            saved = json.load(file)
        if saved != list(class_names):
            raise ValueError(f"run directory {run_dir!r} was trained on the classes {saved}, not on the data's "
                             f"{list(class_names)}; continue it on the same data, or choose another run name")
    with atomic_path(path) as temporary:
        with open(temporary, "w") as file:
            json.dump(list(class_names), file, indent=2)


# The shuffle buffer holds decoded float32 clips: bound it in bytes, not in clips.
SHUFFLE_BUFFER_BYTES = 256 * 2**20


def training_dataset(config, clips=None, batch_size=None):
    """Shuffled, repeated, batched, prefetched clips for `fit`, in batches of `batch_size` (default: the config's)."""
    clips = source_clips(config) if clips is None else clips
    batch_size = batch_size or config.batch_size
    clip_bytes = 4 * config.frames * config.height * config.width * config.channels
    buffer = int(min(4096, max(4 * batch_size, SHUFFLE_BUFFER_BYTES // clip_bytes)))
    return make_training_dataset(clips, batch_size, shuffle_buffer=buffer, seed=config.seed)


def model_batches(config, batches):
    """What the model trains on: the clip batches, or their (condition, target) pairs for a translation task.

    `task="predict"`: (context, future). `task="enhance"`: (degraded, clean)
    from `degraded_pairs`, which works on single clips: the shuffled, repeated
    batches are unbatched, degraded and batched again at the same size. Each
    clip the stream yields has its own index, so every epoch draws new noise,
    masks or blur for the same clips, reproducibly from `config.seed`.
    """
    if config.task == "predict":
        return context_future_pairs(batches, config.context, config.future)
    if config.task == "enhance":
        from keras_vgan.datasets.degradations import degraded_pairs

        spec = batches.element_spec[0] if isinstance(batches.element_spec, tuple) else batches.element_spec
        batch_size = spec.shape[0] or config.batch_size  # static with drop_remainder, as make_training_dataset batches
        pairs = degraded_pairs(batches.unbatch(), config.make_degradation(), seed=config.seed)
        return pairs.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    return batches


def degraded_examples(config, clips):
    """The degraded clips of `task="enhance"` for these clean clips (N, T, H, W, C), as NumPy (the samples' inputs).

    Clip i is degraded as `degraded_pairs` degrades the i-th clip under `config.seed`.
    """
    degradation = config.make_degradation()
    return np.stack([degradation(clip, seed=config.seed, index=index).numpy() for index, clip in enumerate(clips)])


def distributed_training_dataset(config, clips, strategy):
    """What `fit` reads under `strategy`: the clips as they are, or, across workers, per-replica batches.

    Across workers each reads only its part (`clips`, from `source_clips(config,
    shard=...)`), in batches of the per-replica size, through
    `distribute_datasets_from_function`, so tf.distribute neither shards nor
    re-batches it again.
    """
    role = distribute.worker_role(strategy)
    if role.count == 1:
        return model_batches(config, training_dataset(config, clips))
    per_replica = distribute.per_replica_batch_size(config.batch_size, strategy)

    def worker_dataset(context):
        if context.num_input_pipelines != role.count or context.input_pipeline_id != role.index:
            raise RuntimeError(f"input pipeline {context.input_pipeline_id} of {context.num_input_pipelines} does "
                               f"not match worker {role.index} of {role.count}")
        return model_batches(config, training_dataset(config, clips, batch_size=per_replica))

    return strategy.distribute_datasets_from_function(worker_dataset)


# Options that may differ between a run and its continuation: they change
# neither the model nor the meaning of the step and epoch counters.
RESUMABLE_CHANGES = frozenset({"epochs", "sample_every", "num_samples", "checkpoint_every", "jit_compile",
                               "log_every", "strategy", "discriminator_warmup"})


def check_resumable(config, run_dir):
    """Raise ValueError if `run_dir/config.json` differs from `config` in what a resumed run must keep."""
    path = os.path.join(run_dir, "config.json")
    if not os.path.isfile(path):
        return
    with open(path) as file:
        saved = json.load(file)
    current = json.loads(config.to_json())
    # A field added after the run started was, in effect, at its default then; a model option left
    # unset (None) means the architecture's default, whichever way it was written.
    defaults = json.loads(type(config)().to_json())
    saved = _resolved_model_options({**{name: value for name, value in defaults.items() if name not in saved},
                                     **saved})
    current = _resolved_model_options(current)
    changed = [f"{name}: {saved.get(name)!r} -> {current.get(name)!r}" for name in sorted(set(saved) | set(current))
               if name not in RESUMABLE_CHANGES and saved.get(name) != current.get(name)]
    if changed:
        raise ValueError(
            f"run directory {run_dir!r} holds a checkpoint of a different configuration ({', '.join(changed)}); "
            f"continue it with the same options, choose another run name, or delete "
            f"{os.path.join(run_dir, 'checkpoints')!r} to start over"
        )


def _resolved_model_options(values):
    try:
        options = get_architecture(values.get("model") or "conv3d").options
    except ValueError:
        return values
    return {**values, **{name: options[name] for name in options if values.get(name) is None and name in values}}


class _StopAfterEpoch(keras.callbacks.Callback):
    """Ends `fit` after one epoch: the shortened first epoch of a run resumed mid-epoch."""

    def on_epoch_end(self, epoch, logs=None):
        self.model.stop_training = True


def _merge_histories(histories):
    merged = histories[-1]
    merged.epoch = [e for h in histories for e in h.epoch]
    keys = [k for h in histories for k in h.history]
    merged.history = {k: [v for h in histories for v in h.history.get(k, [])] for k in dict.fromkeys(keys)}
    return merged


def train(config, run_dir, verbose=1, extra_callbacks=(), strategy=None):
    """Train as `config` says, writing into `run_dir`; returns (gan, history).

    If `run_dir` holds a checkpoint, training continues from it (see the
    module docstring); `history` then covers the epochs run by this call.
    The global dtype policy is the run's precision while it trains and what
    it was before once it returns. `strategy`: a `tf.distribute.Strategy`, or
    one of `keras_vgan.distribute.STRATEGIES` (default: `config.strategy`).
    `extra_callbacks` run on every worker; the run's own sample and
    TensorBoard callbacks on the chief only.

    Example:
    >>> gan, history = train(get_preset("quickstart").replace(epochs=2), "runs/demo")  # doctest: +SKIP
    """
    # First, before other TensorFlow work: a multi-worker strategy sets up its collectives at creation.
    if strategy is None or isinstance(strategy, str):
        strategy = distribute.make_strategy(strategy or config.strategy)
    previous_policy = keras.config.dtype_policy()
    try:
        return _train(config, run_dir, verbose, extra_callbacks, strategy)
    finally:
        keras.config.set_dtype_policy(previous_policy)


def initialize_generator(gan, path):
    """Copy the generator of the model at `path` (its weight average, where it has one) into `gan`'s and its EMA copy.

    The standard start for adversarial restoration (ESRGAN): a network
    trained for PSNR alone, then fine-tuned with the adversary. ValueError
    when the two generators' weights differ in number or shape, naming both.

    Example:
    >>> initialize_generator(gan, "runs/enhance-sr-photos-l1")  # doctest: +SKIP
    """
    source = load_video_gan(resolve_model_path(path))
    weights = source.generator_for_sampling(True).get_weights()
    expected = [tuple(weight.shape) for weight in gan.generator.weights]
    given = [tuple(weight.shape) for weight in weights]
    if given != expected:
        difference = next((f"weight {i}: {a} here, {b} there" for i, (a, b) in enumerate(zip(expected, given))
                           if a != b), f"{len(expected)} weights here, {len(given)} there")
        raise ValueError(f"init_generator={os.fspath(path)!r} holds a generator of another architecture "
                         f"({difference}); expected a run of the same model, filters and model options")
    gan.generator.set_weights(weights)
    if gan.ema_generator is not None:
        gan.ema_generator.set_weights(weights)


def _train(config, run_dir, verbose, extra_callbacks, strategy):
    role = distribute.worker_role(strategy)
    distribute.per_replica_batch_size(config.batch_size, strategy)
    checkpoint = TrainingCheckpoint(os.path.join(run_dir, "checkpoints"), every_n_steps=config.checkpoint_every)
    resuming = bool(checkpoint.checkpoints())
    if resuming:
        check_resumable(config, run_dir)
    elif config.init_generator:
        resolve_model_path(config.init_generator)  # a missing starting point fails before any data is read
    if config.task in ("predict", "enhance") and config.perceptual_weight:
        from keras_vgan.metrics.i3d import resolve_weights

        resolve_weights()  # the perceptual loss's network: missing weights fail before any data is read
    keras.utils.set_random_seed(config.seed)
    policy = precision_policy.set_precision(config.precision)
    if verbose:
        print(f"keras-vgan: precision {policy} on {precision_policy.accelerator()}; run directory {run_dir}")
        print(f"keras-vgan: {distribute.describe_strategy(strategy, config.batch_size)}", flush=True)
    clips = source_clips(config, shard=(role.index, role.count))
    class_names = data_class_names(config, clips)
    summary = describe_source(clips, config.data or config.dataset)
    if verbose:
        print(summary, flush=True)
    local_dataset = training_dataset(config, clips)
    # One read of the first batches serves the sanity checks and the real samples.
    first = take_clips(local_dataset, max(config.batch_size, config.num_samples))
    check_first_batch(first[:config.batch_size], config.batch_size, summary.num_items)
    # Only now, with data that reads and passes its checks, does the run directory get anything.
    if role.is_chief:
        os.makedirs(run_dir, exist_ok=True)
        with atomic_path(os.path.join(run_dir, "config.json")) as temporary:
            with open(temporary, "w") as file:
                file.write(config.to_json())
        if class_names is not None:
            write_class_names(run_dir, class_names, resuming)
    dataset = (distributed_training_dataset(config, clips, strategy) if role.count > 1
               else model_batches(config, local_dataset))
    with strategy.scope():
        gan = build_gan(config, num_classes=len(class_names) if class_names else None)
    progress = checkpoint.restore(gan)
    if config.init_generator and not progress.step:
        initialize_generator(gan, config.init_generator)
        if verbose:
            print(f"keras-vgan: generator starts from {config.init_generator}", flush=True)
    if role.count > 1:
        distribute.check_same_on_every_worker(strategy, "the restored step", progress.step,
                                              hint="every worker must read the chief's checkpoints: put the run "
                                                   "directory on storage all of them reach")
    if config.discriminator_warmup and not progress.step:
        d_losses = gan.warm_up_discriminators(dataset, config.discriminator_warmup)
        if verbose:
            print(f"keras-vgan: discriminator warmed up for {len(d_losses)} steps against the starting generator: "
                  f"d_loss {d_losses[:10].mean():.3f} (first 10) -> {d_losses[-10:].mean():.3f} (last 10)",
                  flush=True)
    if progress.step or role.index:
        # Fresh training noise after a resume, instead of replaying the first steps' draws, and
        # each worker's own, instead of every worker drawing the same.
        keras.utils.set_random_seed(distribute.replica_noise_seed(config.seed, role.index, progress.step))
    if progress.step and verbose and progress.epoch < config.epochs:
        print(f"keras-vgan: resuming from step {progress.step} (epoch {progress.epoch + 1}, "
              f"step {progress.step_in_epoch} of {config.steps_per_epoch})", flush=True)
    sample_seed = config.seed + 1  # The fixed sample noise: derived, so a resumed run shows the same points.
    # A predictor's samples are the same real clips every epoch: context → true future | predicted future.
    sampler = None  # the default: `generated_samples`, which shows a conditional model's classes in turn
    if config.task == "predict":
        shown = first[:config.num_samples]
        sampler = showcase_sampler(shown[:, :config.context], shown[:, config.context:])
    elif config.task == "animate":
        # Picture, then the real clip | picture, then the animation of it.
        shown = first[:config.num_samples]
        sampler = showcase_sampler(shown[:, :1], shown)
    elif config.task == "enhance":
        # Degraded | restored | truth, the degraded input at the output's size.
        shown = first[:config.num_samples]
        sampler = showcase_sampler(degraded_examples(config, shown), shown, layout="panels")
    run_outputs = [
        RealSamples(first, os.path.join(run_dir, "samples"), os.path.join(run_dir, "tensorboard", "real"),
                    num_videos=config.num_samples),
        SampleGrid(os.path.join(run_dir, "samples"), num_videos=config.num_samples,
                   every_n_epochs=config.sample_every, seed=sample_seed, sampler=sampler),
        TensorBoardSamples(os.path.join(run_dir, "tensorboard"), num_videos=config.num_samples,
                           every_n_epochs=config.sample_every, seed=sample_seed, log_every_n_steps=config.log_every,
                           write_graph=False, profile_batch=0, sampler=sampler),
    ]
    callbacks = [
        *(run_outputs if role.is_chief else ()),
        *extra_callbacks,
        checkpoint,  # Last: an epoch counts as done once the others have handled its end.
    ]
    histories = []
    epoch = progress.epoch
    if epoch < config.epochs and 0 < progress.step_in_epoch < config.steps_per_epoch:
        remaining = config.steps_per_epoch - progress.step_in_epoch
        histories.append(gan.fit(dataset, epochs=config.epochs, initial_epoch=epoch, steps_per_epoch=remaining,
                                 callbacks=[*callbacks, _StopAfterEpoch()], verbose=verbose, shuffle=False))
        epoch += 1
    if epoch < config.epochs:
        histories.append(gan.fit(dataset, epochs=config.epochs, initial_epoch=epoch,
                                 steps_per_epoch=config.steps_per_epoch, callbacks=callbacks, verbose=verbose,
                                 shuffle=False))
    if not histories:
        if verbose:
            print(f"keras-vgan: {run_dir} is trained for {progress.epoch} epochs already "
                  f"(asked for {config.epochs}); raise --epochs to train longer")
        history = keras.callbacks.History()
        history.epoch, history.history = [], {}
    else:
        history = _merge_histories(histories)
    if role.is_chief:
        save_model(gan, os.path.join(run_dir, "model.keras"))
    return gan, history
