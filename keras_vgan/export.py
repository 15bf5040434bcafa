"""Loading trained models, and exporting the generator as a TensorFlow SavedModel.

The SavedModel needs neither Keras nor keras_vgan to run: TensorFlow alone
(Python, TF Serving, or any TF runtime) loads it. It has two serving
signatures, both returning `{"videos": uint8 [N, T, H, W, C]}`:
    generate(noise: float32 [N, latent_dim])
    sample(num_videos: int32 scalar, seed: int32 scalar)
`sample` draws its noise with `keras_vgan.noise.latent_noise`, so
`sample(n, s)` gives exactly the videos of `VideoGAN.generate(n, seed=s)`.

Example:
>>> export_generator(load_video_gan("runs/quickstart"), "exported/quickstart")  # doctest: +SKIP
>>> served = tf.saved_model.load("exported/quickstart")  # doctest: +SKIP
>>> served.signatures["sample"](num_videos=tf.constant(4), seed=tf.constant(0))["videos"].shape  # doctest: +SKIP
TensorShape([4, 16, 32, 32, 1])
"""

import json
import os
import shutil
import tempfile

import keras
import tensorflow as tf

from keras_vgan.atomic import UMASK as _UMASK
from keras_vgan.atomic import replace_directory as _replace_directory
from keras_vgan.noise import latent_noise
from keras_vgan.pixels import to_uint8
# Re-exported: model loading lived here before keras_vgan.saving.
from keras_vgan.saving import MODEL_FILENAME, load_video_gan, resolve_model_path  # noqa: F401

METADATA_FILENAME = "keras_vgan.json"


def _sampling_generator(model, use_ema):
    if callable(getattr(model, "generator_for_sampling", None)):
        generator = model.generator_for_sampling(use_ema)
    elif isinstance(model, keras.Model):
        generator = model
    else:
        raise ValueError(f"model={model!r} is not valid; expected a keras_vgan VideoGAN or a generator keras.Model")
    if len(generator.inputs) != 1 or len(generator.inputs[0].shape) != 2:
        raise ValueError(f"generator {generator.name!r} takes {len(generator.inputs)} input(s) of shapes "
                         f"{[tuple(i.shape) for i in generator.inputs]}; export needs a single noise input "
                         "(N, latent_dim) (conditional generators are not supported)")
    return generator


class _ServingGenerator(tf.Module):
    """The generator wrapped in the two signatures; only TensorFlow ops, so TF alone runs it."""

    def __init__(self, generator):
        super().__init__(name="video_generator")
        self.generator = generator
        latent_dim = int(generator.inputs[0].shape[-1])

        @tf.function(input_signature=[tf.TensorSpec([None, latent_dim], tf.float32, name="noise")])
        def generate(noise):
            return {"videos": to_uint8(self.generator(noise, training=False))}

        @tf.function(input_signature=[tf.TensorSpec([], tf.int32, name="num_videos"),
                                      tf.TensorSpec([], tf.int32, name="seed")])
        def sample(num_videos, seed):
            return generate(latent_noise(num_videos, latent_dim, seed))

        self.generate = generate
        self.sample = sample


def check_export_target(directory):
    """Check that `directory` can receive an export; returns (directory, its parent).

    Raises FileNotFoundError when the parent directory does not exist,
    ValueError when `directory` is a file or a non-empty directory that is not
    a SavedModel (it is never deleted), PermissionError when it is read-only.
    """
    directory = os.fspath(directory)
    if not directory:
        raise ValueError("export directory '' is not valid; expected a directory path")
    parent = os.path.dirname(os.path.abspath(directory))
    if not os.path.isdir(parent):
        raise FileNotFoundError(f"cannot export to {directory!r}: directory {parent!r} does not exist")
    if os.path.exists(directory):
        if not os.path.isdir(directory):
            raise ValueError(f"cannot export to {directory!r}: it is a file; expected a directory path")
        if os.listdir(directory) and not os.path.isfile(os.path.join(directory, "saved_model.pb")):
            raise ValueError(f"cannot export to {directory!r}: it exists and is not a SavedModel; "
                             "expected a new or empty directory, or an earlier export to replace")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot export to {directory!r}: directory {parent!r} is not writable")
    return directory, parent


def export_generator(model, directory, use_ema=True):
    """Write the generator of `model` as a TensorFlow SavedModel in `directory`; returns `directory`.

    Args:
        model: a `VideoGAN` (its EMA generator is exported when it has one and
            `use_ema`), or a generator `keras.Model` from noise (N, latent_dim).
        directory: a new or empty directory, or an earlier export, which is replaced.
        use_ema: export the EMA weights (the default) rather than the raw ones.

    The SavedModel is written to a temporary directory beside `directory` and
    renamed into place only once complete, so a failed export leaves nothing
    behind and an earlier export at `directory` stays until the new one is ready.

    Example:
    >>> export_generator(gan, "exported/demo")  # doctest: +SKIP
    'exported/demo'
    """
    directory, parent = check_export_target(directory)
    generator = _sampling_generator(model, use_ema)
    module = _ServingGenerator(generator)
    temporary = tempfile.mkdtemp(prefix=".tmp-export-", dir=parent)
    try:
        tf.saved_model.save(module, temporary, signatures={"generate": module.generate, "sample": module.sample})
        metadata = {
            "latent_dim": int(generator.inputs[0].shape[-1]),
            "video_shape": [int(d) for d in generator.outputs[0].shape[1:]],
            "weights": "ema" if generator is getattr(model, "ema_generator", None) else "raw",
            "signatures": {"generate": "noise float32 [N, latent_dim] -> videos uint8 [N, T, H, W, C]",
                           "sample": "num_videos int32, seed int32 -> videos uint8 [N, T, H, W, C]"},
        }
        with open(os.path.join(temporary, METADATA_FILENAME), "w") as file:
            json.dump(metadata, file, indent=2)
        os.chmod(temporary, 0o777 & ~_UMASK)  # mkdtemp makes it private; exports are meant to be shared.
        _replace_directory(temporary, directory)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return directory
