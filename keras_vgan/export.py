"""Exporting the generator as a TensorFlow SavedModel (loading models lives in `keras_vgan.saving`).

The SavedModel needs neither Keras nor keras_vgan to run: TensorFlow alone
(Python, TF Serving, or any TF runtime) loads it. A `VideoGAN` (noise → clip)
gets two serving signatures, both returning `{"videos": uint8 [N, T, H, W, C]}`:
    generate(noise: float32 [N, latent_dim])   one argument per noise input of
                                               the generator, named as it names
                                               them (MoCoGAN: content, motion)
    sample(num_videos: int32 scalar, seed: int32 scalar)
`sample` draws its noise with the model's `NoiseSpec`, so `sample(n, s)`
gives exactly the videos of `VideoGAN.generate(n, seed=s)`.

A `TranslationGAN` (a frame predictor: context clip → future clip) gets
    predict(context: float32 [N, *condition_shape] in [-1, 1][, seed: int32 scalar])
    predict_uint8(context: uint8 [N, *condition_shape][, seed: int32 scalar])
both returning `{"videos": uint8 [N, T_future, H, W, C]}`; `seed` is there
only for a stochastic model (noise inputs), whose noise is drawn as in
`TranslationGAN.translate(context, seed=seed)`, so the outputs are those of
`translate` (byte for byte on one machine, for up to `translate`'s batch of
32 clips a call). `predict_uint8` serves decoded video frames directly.
A restorer (a fully convolutional `TranslationGAN`: degraded clip → clean clip,
`keras-vgan train --task enhance`) gets instead
    enhance(clip: float32 [N, T, h, w, C_in] in [-1, 1])   any T, h, w
    enhance_uint8(clip: uint8 [N, T, h, w, C])              (not for inpainting: its mask is no pixel)
both returning `{"videos": uint8 [N, T, h·scale, w·scale, C], "restored": float32 …}`:
`videos` are the outputs of `translate(clip)`, `restored` the unrounded values
in [-1, 1]-ish, to blend tiles of a long video (`keras_vgan.tiling`).
The metadata file (keras_vgan.json) says which: "task" is "generate", "predict" or "enhance".

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
import numpy as np
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
                         "supports unconditional generators (noise inputs only) and TranslationGAN models "
                         "(a condition clip in)")
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


# uint8 → [-1, 1] as `TranslationGAN.translate` converts it in NumPy. A lookup, not `x / 127.5 - 1` in the
# graph: Grappler turns that division into a multiplication by 1 / 127.5, which differs in the last bit for
# 111 of the 256 values, and now and then a predicted pixel by one grey level.
UNIT_RANGE_OF_UINT8 = np.arange(256, dtype=np.uint8).astype(np.float32) / 127.5 - 1.0


def _uint8_to_unit_range(clips):
    return tf.gather(UNIT_RANGE_OF_UINT8, tf.cast(clips, tf.int32))


class _ServingPredictor(tf.Module):
    """A translation model's generator wrapped in `predict` and `predict_uint8`; only TensorFlow ops."""

    def __init__(self, model, generator):
        super().__init__(name="frame_predictor")
        self.generator = generator  # Tracked, so its variables are saved.
        spec = model.noise_spec
        context_spec = tf.TensorSpec((None,) + model.condition_shape, tf.float32, name="context")
        uint8_context_spec = tf.TensorSpec((None,) + model.condition_shape, tf.uint8, name="context")
        seed_spec = tf.TensorSpec([], tf.int32, name="seed")

        def videos(context, noise):
            # `generator_inputs` orders noise and condition as the generator takes them, as `translate` does.
            return {"videos": to_uint8(self.generator(model.generator_inputs(noise, context, self.generator),
                                                      training=False))}

        if spec.names:
            @tf.function(input_signature=[context_spec, seed_spec])
            def predict(context, seed):
                return videos(context, spec.sample(tf.shape(context)[0], seed))

            @tf.function(input_signature=[uint8_context_spec, seed_spec])
            def predict_uint8(context, seed):
                return predict(_uint8_to_unit_range(context), seed)
        else:
            @tf.function(input_signature=[context_spec])
            def predict(context):
                return videos(context, {})

            @tf.function(input_signature=[uint8_context_spec])
            def predict_uint8(context):
                return predict(_uint8_to_unit_range(context))

        self.predict = predict
        self.predict_uint8 = predict_uint8


class _ServingRestorer(tf.Module):
    """A restorer's generator wrapped in `enhance` (and `enhance_uint8`); clips of any length and size."""

    def __init__(self, generator, condition_channels, channels):
        super().__init__(name="restorer")
        self.generator = generator  # Tracked, so its variables are saved.
        clip_spec = tf.TensorSpec((None, None, None, None, condition_channels), tf.float32, name="clip")

        @tf.function(input_signature=[clip_spec])
        def enhance(clip):
            restored = tf.cast(self.generator(clip, training=False), tf.float32)
            return {"videos": to_uint8(restored), "restored": restored}

        self.enhance = enhance
        self.enhance_uint8 = None
        if condition_channels == channels:
            @tf.function(input_signature=[tf.TensorSpec((None, None, None, None, channels), tf.uint8, name="clip")])
            def enhance_uint8(clip):
                return enhance(_uint8_to_unit_range(clip))

            self.enhance_uint8 = enhance_uint8


def _restorer_geometry(model):
    """(scale, condition channels, channels) of a restorer `model`, or None for any other model."""
    from keras_vgan.models.restorers import is_restorer, restoration_geometry

    return restoration_geometry(model.generator) if is_restorer(model) else None


def is_translation_model(model):
    """Whether `model` maps a condition clip to a clip (a `TranslationGAN`): it exports as `predict`."""
    return callable(getattr(model, "translate", None)) and getattr(model, "condition_shape", None) is not None


def signature_descriptions(model):
    """The signatures an export of `model` has, as text: name → "arguments -> videos …" (metadata, CLI).

    `model`: a `VideoGAN`, a `TranslationGAN` or a generator `keras.Model`.

    Example:
    >>> from keras_vgan.models.predictors import build_convlstm_predictor
    >>> from keras_vgan.models.translation import TranslationGAN
    >>> signature_descriptions(TranslationGAN(build_convlstm_predictor(4, 3, 16, 16, 1, filters=4)))["predict"]
    'context float32 [N, 4, 16, 16, 1] in [-1, 1] -> videos uint8 [N, 3, 16, 16, 1]'
    """
    restorer = _restorer_geometry(model) if is_translation_model(model) else None
    if restorer:
        scale, condition_channels, channels = restorer
        size = "T, h, w" if scale == 1 else f"T, h*{scale}, w*{scale}"
        descriptions = {"enhance": f"clip float32 [N, T, h, w, {condition_channels}] in [-1, 1] -> videos uint8 "
                                   f"[N, {size}, {channels}], restored float32 [N, {size}, {channels}]"}
        if condition_channels == channels:
            descriptions["enhance_uint8"] = f"clip uint8 [N, T, h, w, {channels}] -> videos uint8 " \
                                            f"[N, {size}, {channels}], restored float32 [N, {size}, {channels}]"
        return descriptions
    if is_translation_model(model):
        context, frames = _shape_text(model.condition_shape), _shape_text(model.video_shape)
        seed = ", seed int32" if model.noise_spec.names else ""
        return {"predict": f"context float32 [N, {context}] in [-1, 1]{seed} -> videos uint8 [N, {frames}]",
                "predict_uint8": f"context uint8 [N, {context}]{seed} -> videos uint8 [N, {frames}]"}
    generator, spec = _sampling_generator(model, use_ema=True)
    frames = _shape_text(generator.outputs[0].shape[1:])
    return {"generate": f"{noise_arguments(spec)} -> videos uint8 [N, {frames}]",
            "sample": f"num_videos int32, seed int32 -> videos uint8 [N, {frames}]"}


def _shape_text(shape):
    return ", ".join(str(int(d)) for d in shape)


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
            `use_ema`), or a generator `keras.Model` from noise (N, latent_dim),
            exported with `generate` and `sample`; or a `TranslationGAN`
            (a frame predictor), exported with `predict` and `predict_uint8`, or a
            restorer `TranslationGAN`, exported with `enhance` (and `enhance_uint8`).
        directory: a new or empty directory, or an earlier export, which is replaced.
        use_ema: export the EMA weights (the default) rather than the raw ones.

    The SavedModel is written to a temporary directory beside `directory` and
    renamed into place only once complete, so a failed export leaves nothing
    behind and an earlier export at `directory` stays until the new one is ready.

    Example:
    >>> export_generator(gan, "exported/demo")  # doctest: +SKIP
    'exported/demo'
    >>> export_generator(predictor, "exported/predictor")  # doctest: +SKIP
    'exported/predictor'
    """
    directory, parent = check_export_target(directory)
    restorer = _restorer_geometry(model) if is_translation_model(model) else None
    if restorer:
        scale, condition_channels, channels = restorer
        generator = model.generator_for_sampling(use_ema)
        module = _ServingRestorer(generator, condition_channels, channels)
        signatures = {"enhance": module.enhance}
        if module.enhance_uint8 is not None:
            signatures["enhance_uint8"] = module.enhance_uint8
        metadata = {"task": "enhance", "scale": scale, "condition_channels": condition_channels,
                    "channels": channels}
        spec = model.noise_spec
    elif is_translation_model(model):
        generator = model.generator_for_sampling(use_ema)
        module = _ServingPredictor(model, generator)
        signatures = {"predict": module.predict, "predict_uint8": module.predict_uint8}
        metadata = {"task": "predict", "context_shape": list(model.condition_shape),
                    "future_shape": list(model.video_shape)}
        spec = model.noise_spec
    else:
        generator, spec = _sampling_generator(model, use_ema)
        module = _ServingGenerator(generator, spec)
        signatures = {"generate": module.generate, "sample": module.sample}
        metadata = {"task": "generate", "latent_dim": spec.latent_dim,
                    "video_shape": [int(d) for d in generator.outputs[0].shape[1:]]}
    metadata.update({
        "noise": {name: list(shape) for name, shape in spec.shapes.items()},
        "weights": "ema" if generator is getattr(model, "ema_generator", None) else "raw",
        "signatures": signature_descriptions(model),
    })
    _save_atomically(module, signatures, metadata, directory, parent)
    return directory


def _save_atomically(module, signatures, metadata, directory, parent):
    """The SavedModel and its metadata file, written beside `directory` and renamed into place once complete."""
    temporary = tempfile.mkdtemp(prefix=".tmp-export-", dir=parent)
    try:
        tf.saved_model.save(module, temporary, signatures=signatures)
        with open(os.path.join(temporary, METADATA_FILENAME), "w") as file:
            json.dump(metadata, file, indent=2)
        os.chmod(temporary, 0o777 & ~UMASK)  # mkdtemp makes it private; exports are meant to be shared.
        replace_directory(temporary, directory)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def noise_arguments(spec):
    """The `generate` signature's arguments as text: "noise float32 [N, 64]", or one per structured input.

    Example:
    >>> noise_arguments(NoiseSpec({"content": (50,), "motion": (16, 10)}))
    'content float32 [N, 50], motion float32 [N, 16, 10]'
    """
    return ", ".join(f"{name} float32 [N, {', '.join(map(str, shape))}]" for name, shape in spec.shapes.items())
