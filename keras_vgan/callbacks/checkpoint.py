"""Resumable training state: save every N steps, restore after a crash.

Why not `keras.callbacks.BackupAndRestore` (Keras 3.15)? Its `save_weights`
does cover both networks, `g_optimizer`, `d_optimizer` and `ema_generator` of
a `VideoGAN`, but:
  * it resumes at the start of the interrupted epoch: it writes the batch
    index to its metadata yet never reads it back, so a kill late in an epoch
    repeats up to a whole epoch, not `save_freq` steps;
  * it rewrites `latest.weights.h5` and `training_metadata.json` in place,
    one after the other (and `double_checkpoint` copies them in place too),
    so a kill during a save can leave a truncated file or weights and
    counters from different steps.
`tf.train.CheckpointManager` instead writes each checkpoint under a new name
(TensorFlow assembles the files under temporary names and renames them) and
only then rewrites its small `checkpoint` index file, atomically. A kill at any
moment therefore leaves the previous checkpoint listed and intact.

Under a multi-worker strategy every worker saves (reading the distributed
variables may take collective ops, in which all must take part), as
TensorFlow's multi-worker convention has it: the chief into `directory`, every
other worker into a temporary directory of its own that it removes after each
save. Every worker restores from `directory`, which must therefore be storage
that all of them read (a shared file system or a bucket).
"""

import glob
import os
import shutil
import tempfile
import warnings
from typing import NamedTuple

import keras
import tensorflow as tf

from keras_vgan.callbacks.schedule import StepSchedule
from keras_vgan.distribute import worker_role
from keras_vgan.validation import check_positive_ints


class TrainingProgress(NamedTuple):
    """Where a run stands: `step` steps done in all, `epoch` whole epochs, `step_in_epoch` of the next."""

    step: int = 0
    epoch: int = 0
    step_in_epoch: int = 0


class TrainingCheckpoint(keras.callbacks.Callback):
    """Save everything a `VideoGAN` run needs to continue, every `every_n_steps` steps and at every epoch end.

    A checkpoint holds the generator, every discriminator, the EMA generator
    (if any), both optimizers' state (moments and iteration counts), and the
    step, epoch and step-within-epoch counters. The sample callbacks' fixed
    noise is not stored: it is a pure function of their seed.

    The last `max_to_keep` checkpoints are kept; `restore` falls back to an
    older one if the newest cannot be read.

    Put it last in the callback list, so that an epoch is recorded as done only
    after the other callbacks (samples, TensorBoard) have handled its end.

    Example:
    >>> checkpoint = TrainingCheckpoint("runs/demo/checkpoints", every_n_steps=50)
    >>> progress = checkpoint.restore(gan)  # TrainingProgress(step=0, ...) on a fresh run  # doctest: +SKIP
    >>> gan.fit(data, epochs=10, steps_per_epoch=100, initial_epoch=progress.epoch,
    ...         callbacks=[checkpoint])  # doctest: +SKIP
    (`keras_vgan.training.train` also resumes mid-epoch.)
    """

    def __init__(self, directory, every_n_steps=50, max_to_keep=2):
        super().__init__()
        check_positive_ints(every_n_steps=every_n_steps, max_to_keep=max_to_keep)
        self.directory = os.fspath(directory)
        self.schedule = StepSchedule(every_n_steps)
        self.every_n_steps = self.schedule.every_n_steps
        self.max_to_keep = max_to_keep
        self._checkpoint = None
        self._manager = None
        self._tracked_model = None
        self._counters = None
        self._progress = TrainingProgress()
        self._saved_step = 0
        self._epoch_start_step = 0
        self._epoch_offset = 0

    @property
    def progress(self):
        """The `TrainingProgress` as of the last finished step."""
        return self._progress

    # ---- the checkpoint object --------------------------------------------------------------------
    def _track(self, model):
        if self._tracked_model is model:
            return
        for name in ("generator", "discriminators", "g_optimizer", "d_optimizer"):
            if not hasattr(model, name):
                raise ValueError(f"TrainingCheckpoint needs a compiled keras_vgan VideoGAN; "
                                 f"{type(model).__name__} has no {name!r}")
        # Optimizer variables are created lazily; they must exist before a restore fills them.
        if not model.g_optimizer.built:
            model.g_optimizer.build(model.generator.trainable_variables)
        if not model.d_optimizer.built:
            model.d_optimizer.build(model.discriminator_variables)
        self._counters = {name: tf.Variable(0, dtype=tf.int64, trainable=False, name=name)
                          for name in ("step", "epoch", "step_in_epoch")}
        objects = dict(generator=model.generator, g_optimizer=model.g_optimizer, d_optimizer=model.d_optimizer,
                       **self._counters)
        for index, discriminator in enumerate(model.discriminators):
            objects["discriminator" if index == 0 else f"discriminator_{index}"] = discriminator
        if getattr(model, "ema_generator", None) is not None:
            objects["ema_generator"] = model.ema_generator
        self._checkpoint = tf.train.Checkpoint(**objects)
        self._is_chief = worker_role(model.distribute_strategy).is_chief
        # A non-chief worker's copy only takes part in the save; nobody reads it.
        write_directory = self.directory if self._is_chief else tempfile.mkdtemp(prefix="keras_vgan_worker_checkpoint_")
        self._manager = tf.train.CheckpointManager(self._checkpoint, write_directory, max_to_keep=self.max_to_keep)
        self._tracked_model = model

    def set_model(self, model):
        super().set_model(model)
        self._track(model)

    def checkpoints(self):
        """Paths (prefixes) of the kept checkpoints, oldest first; empty before the first save."""
        if not os.path.isdir(self.directory):
            return []
        state = tf.train.get_checkpoint_state(self.directory)
        if state is None:
            return []
        return [os.path.join(self.directory, os.path.basename(p)) for p in state.all_model_checkpoint_paths]

    def restore(self, model):
        """Load the newest readable checkpoint into `model`; returns the `TrainingProgress`.

        With no checkpoint yet it returns `TrainingProgress(0, 0, 0)` and
        leaves the model as it is. Raises ValueError when checkpoints exist but
        none fits the model (a different architecture or option).
        """
        self._track(model)
        # Leftovers of a save that was killed: TensorFlow builds each checkpoint in `<name>_temp`.
        # Only the chief writes here, so only the chief tidies.
        for leftover in glob.glob(os.path.join(self.directory, "*_temp")) if self._is_chief else ():
            shutil.rmtree(leftover, ignore_errors=True)
        candidates = self.checkpoints()
        failures = []
        for path in reversed(candidates):
            try:
                status = self._checkpoint.restore(path)
                status.assert_existing_objects_matched()
            # A damaged file surfaces as OpError, IndexError, ValueError, ...; a
            # different model as AssertionError or ValueError: all mean "not this one".
            except Exception as error:  # noqa: BLE001
                message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                failures.append(f"{os.path.basename(path)}: {message}")
                more = len(failures) < len(candidates)
                warnings.warn(f"TrainingCheckpoint: could not restore {path} ({message})"
                              f"{'; trying an older one' if more else ''}", RuntimeWarning, stacklevel=2)
                continue
            finally:
                status = None  # Its restore coordinator should not outlive this call.
            self._progress = TrainingProgress(*(int(self._counters[n].numpy())
                                                for n in ("step", "epoch", "step_in_epoch")))
            self._saved_step = self._progress.step
            return self._progress
        if candidates:
            raise ValueError(f"no checkpoint in {self.directory!r} fits this model ({'; '.join(failures)}); "
                             "resume with the options the run started with, or delete the directory to start over")
        self._progress = TrainingProgress()
        self._saved_step = 0
        return self._progress

    def save(self):
        """Write a checkpoint of the current state now; returns its path (on a non-chief worker, a removed one)."""
        if self._checkpoint is None:
            raise ValueError("TrainingCheckpoint.save needs a model: call restore(model) or use it in fit first")
        for name, value in self._progress._asdict().items():
            self._counters[name].assign(value)
        path = self._manager.save()
        self._saved_step = self._progress.step
        if not self._is_chief:
            shutil.rmtree(self._manager.directory, ignore_errors=True)
        return path

    # ---- callback hooks ---------------------------------------------------------------------------
    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start_step = self._progress.step
        # Non-zero only in the first epoch of a run resumed mid-epoch.
        self._epoch_offset = self._progress.step_in_epoch if epoch == self._progress.epoch else 0

    def on_train_batch_end(self, batch, logs=None):
        # `batch` is the index of the last step done; with steps_per_execution > 1
        # this hook runs once per execution, so counts come from it, not from calls.
        done = batch + 1
        self._progress = TrainingProgress(self._epoch_start_step + done, self._progress.epoch,
                                          self._epoch_offset + done)
        last_of_epoch = done == (self.params or {}).get("steps")
        # The epoch-end save follows the epoch's last step at once; saving here too would be wasted.
        if not last_of_epoch and self.schedule.due(self._progress.step, self._saved_step):
            self.save()

    def on_epoch_end(self, epoch, logs=None):
        self._progress = TrainingProgress(self._progress.step, epoch + 1, 0)
        self.save()
