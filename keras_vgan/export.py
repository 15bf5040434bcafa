"""Exporting the generator as a TensorFlow SavedModel (loading models lives in `keras_vgan.saving`).

The SavedModel needs neither Keras nor keras_vgan to run: TensorFlow alone
(Python, TF Serving, or any TF runtime) loads it. It has two serving
signatures, both returning `{"videos": uint8 [N, T, H, W, C]}`:
    generate(noise: float32 [N, latent_dim])   one argument per noise input of
                                               the generator, named as it names
                                               them (MoCoGAN: content, motion)
    sample(num_videos: int32 scalar, seed: int32 scalar)
`sample` draws its noise with the model's `NoiseSpec`, so `sample(n, s)`
gives exactly the videos of `VideoGAN.generate(n, seed=s)`.

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

from keras_vgan.atomic import UMASK, check_parent_directory, replace_directory
from keras_vgan.noise import CONDITION_INPUT, NoiseSpec
from keras_vgan.pixels import to_uint8
# Re-exported: model loading lived here before keras_vgan.saving.
from keras_vgan.saving import MODEL_FILENAME, load_video_gan, resolve_model_path  # noqa: F401

METADATA_FILENAME = "keras_vgan.json"


def _sampling_generator(model, use_ema):
    """(the generator to export, its NoiseSpec)."""
    if callable(getattr(model, "generator_for_sampling", None)):
        generator, spec, condition_input = model.generator_for_sampling(use_ema), model.noise_spec, model.condition_input
    elif isinstance(model, keras.Model):
        generator, condition_input = model, CONDITION_INPUT
        spec = NoiseSpec.from_generator(generator, condition_input)
    else:
        raise ValueError(f"model={model!r} is not valid; expected a keras_vgan VideoGAN or a generator keras.Model")
    if condition_input in [tensor.name for tensor in generator.inputs]:
        raise ValueError(f"generator {generator.name!r} takes a {condition_input!r} input; export "
                         "supports unconditional generators (noise inputs only)")
    return generator, spec


class _ServingGenerator(tf.Module):
    """The generator wrapped in the two signatures; only TensorFlow ops, so TF alone runs it."""

    def __init__(self, generator, spec):
        super().__init__(name="video_generator")
        self.generator = generator
        order = [tensor.name for tensor in generator.inputs]
        # One argument per noise input, named as the generator names it (`noise`; or `content`, `motion`, …).
        specs = [tf.TensorSpec((None,) + spec.shapes[name], tf.float32, name=name) for name in order]

        @tf.function(input_signature=specs)
        def generate(*noise):
            return {"videos": to_uint8(self.generator(noise[0] if len(noise) == 1 else list(noise), training=False))}

        @tf.function(input_signature=[tf.TensorSpec([], tf.int32, name="num_videos"),
                                      tf.TensorSpec([], tf.int32, name="seed")])
        def sample(num_videos, seed):
            noise = spec.sample(num_videos, seed)
            return generate(*[noise[name] for name in order])

        self.generate = generate
        self.sample = sample


def check_export_target(directory):
    """Check that `directory` can receive an export; returns (directory, its parent).

    Raises FileNotFoundError when the parent directory does not exist,
    ValueError when `directory` is a file or a non-empty directory that is not
    a SavedModel (it is never deleted), PermissionError when it is read-only.
    """
    directory, parent = check_parent_directory(directory, "export to", "a directory path")
    if os.path.exists(directory):
        if not os.path.isdir(directory):
            raise ValueError(f"cannot export to {directory!r}: it is a file; expected a directory path")
        if os.listdir(directory) and not os.path.isfile(os.path.join(directory, "saved_model.pb")):
            raise ValueError(f"cannot export to {directory!r}: it exists and is not a SavedModel; "
                             "expected a new or empty directory, or an earlier export to replace")
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
    generator, spec = _sampling_generator(model, use_ema)
    module = _ServingGenerator(generator, spec)
    temporary = tempfile.mkdtemp(prefix=".tmp-export-", dir=parent)
    try:
        tf.saved_model.save(module, temporary, signatures={"generate": module.generate, "sample": module.sample})
        metadata = {
            "latent_dim": spec.latent_dim,
            "noise": {name: list(shape) for name, shape in spec.shapes.items()},
            "video_shape": [int(d) for d in generator.outputs[0].shape[1:]],
            "weights": "ema" if generator is getattr(model, "ema_generator", None) else "raw",
            "signatures": {"generate": f"{noise_arguments(spec)} -> videos uint8 [N, T, H, W, C]",
                           "sample": "num_videos int32, seed int32 -> videos uint8 [N, T, H, W, C]"},
        }
        with open(os.path.join(temporary, METADATA_FILENAME), "w") as file:
            json.dump(metadata, file, indent=2)
        os.chmod(temporary, 0o777 & ~UMASK)  # mkdtemp makes it private; exports are meant to be shared.
        replace_directory(temporary, directory)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return directory


def noise_arguments(spec):
    """The `generate` signature's arguments as text: "noise float32 [N, 64]", or one per structured input.

    Example:
    >>> noise_arguments(NoiseSpec({"content": (50,), "motion": (16, 10)}))
    'content float32 [N, 50], motion float32 [N, 16, 10]'
    """
    return ", ".join(f"{name} float32 [N, {', '.join(map(str, shape))}]" for name, shape in spec.shapes.items())
