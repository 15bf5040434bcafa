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
A class-conditional `VideoGAN` (`num_classes` K) adds a `label` argument to
both: int32 [N] for `generate`, a scalar (every video) or [N] for `sample`,
each in [0, K); `sample(n, s, label)` is `VideoGAN.generate(n, seed=s, labels=label)`.

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
An animator (`AnimationGAN`, image-to-video, `keras-vgan train --task animate`) gets
    animate(frame: float32 [N, H, W, C] in [-1, 1], seed: int32 scalar)
    animate_uint8(frame: uint8 [N, H, W, C], seed: int32 scalar)
both returning `{"videos": uint8 [N, T, H, W, C]}`, the clips of
`AnimationGAN.animate(frame, seed=seed)`.
The metadata file (keras_vgan.json) says which: "task" is "generate", "predict", "enhance" or "animate".

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
from keras_vgan.models.animation import is_animator
from keras_vgan.models.conditioning import class_count
from keras_vgan.noise import CONDITION_INPUT, NoiseSpec
from keras_vgan.pixels import to_uint8
# Re-exported: model loading lived here before keras_vgan.saving.
from keras_vgan.saving import MODEL_FILENAME, load_video_gan, resolve_model_path  # noqa: F401

METADATA_FILENAME = "keras_vgan.json"


def _sampling_generator(model, use_ema):
    """(the generator to export, its NoiseSpec, its number of classes or None if unconditional)."""
    if callable(getattr(model, "generator_for_sampling", None)):
        generator, spec, condition_input = model.generator_for_sampling(use_ema), model.noise_spec, model.condition_input
    elif isinstance(model, keras.Model):
        generator, condition_input = model, CONDITION_INPUT
        spec = NoiseSpec.from_generator(generator, condition_input)
    else:
        raise ValueError(f"model={model!r} is not valid; expected a keras_vgan VideoGAN or a generator keras.Model")
    num_classes = None
    if condition_input in [tensor.name for tensor in generator.inputs]:
        num_classes = getattr(model, "num_classes", None) or class_count(generator, condition_input)
        if not num_classes:
            raise ValueError(f"generator {generator.name!r} takes a {condition_input!r} input that is not a class "
                             "label; export supports unconditional and class-conditional generators and "
                             "TranslationGAN models (a condition clip in)")
    return generator, spec, num_classes


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


LABEL_ARGUMENT = "label"


def _checked_labels(label, count, num_classes):
    """`label` (a scalar or [N]) as int32 [count]; an InvalidArgumentError naming the problem otherwise.

    Checked in the graph: out of range, an Embedding looks up nothing on
    some devices (zeros on a GPU) rather than failing.
    """
    one_per_video = tf.logical_and(tf.equal(tf.rank(label), 1), tf.equal(tf.size(label), count))
    checks = [
        tf.debugging.Assert(tf.logical_or(tf.equal(tf.rank(label), 0), one_per_video),
                            ["label must be a scalar or one per video, [N] with N =", count]),
        tf.debugging.assert_greater_equal(label, 0, message=f"label must lie in [0, {num_classes})"),
        tf.debugging.assert_less(label, num_classes, message=f"label must lie in [0, {num_classes})"),
    ]
    with tf.control_dependencies(checks):
        # A scalar is every video's class; a vector [N] must have one label per video.
        return tf.broadcast_to(label, [count])


class _ServingClassGenerator(tf.Module):
    """A class-conditional generator in `generate(noise..., label)` and `sample(num_videos, seed, label)`."""

    def __init__(self, generator, spec, num_classes, condition_input=CONDITION_INPUT):
        super().__init__(name="class_video_generator")
        self.generator = generator
        order = [tensor.name for tensor in generator.inputs]
        noise_names = [name for name in order if name != condition_input]
        noise_specs = [tf.TensorSpec((None,) + spec.shapes[name], tf.float32, name=name) for name in noise_names]
        label_spec = tf.TensorSpec([None], tf.int32, name=LABEL_ARGUMENT)

        @tf.function(input_signature=noise_specs + [label_spec])
        def generate(*arguments):
            *noise, label = arguments
            values = dict(zip(noise_names, noise))
            values[condition_input] = _checked_labels(label, tf.shape(noise[0])[0], num_classes)
            inputs = [values[name] for name in order]
            return {"videos": to_uint8(self.generator(inputs, training=False))}

        # Any rank, so that one label (a scalar) serves for every video; `_checked_labels` allows 0 or 1.
        @tf.function(input_signature=[tf.TensorSpec([], tf.int32, name="num_videos"),
                                      tf.TensorSpec([], tf.int32, name="seed"),
                                      tf.TensorSpec(None, tf.int32, name=LABEL_ARGUMENT)])
        def sample(num_videos, seed, label):
            # The noise of `VideoGAN.generate(num_videos, seed=seed)`, drawn by the same spec.
            noise = spec.sample(num_videos, seed)
            return generate(*[noise[name] for name in noise_names], _checked_labels(label, num_videos, num_classes))

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


class _ServingAnimator(tf.Module):
    """An animator's generator wrapped in `animate` and `animate_uint8` (pictures, not one-frame clips)."""

    def __init__(self, model, generator):
        super().__init__(name="frame_animator")
        self.generator = generator  # Tracked, so its variables are saved.
        spec = model.noise_spec
        picture_shape = (None,) + tuple(model.picture_shape)
        seed_spec = tf.TensorSpec([], tf.int32, name="seed")

        def videos(frame, seed):
            # The picture as the one-frame clip the generator takes; noise drawn as `animate(…, seed=seed)` draws it.
            noise = spec.sample(tf.shape(frame)[0], seed) if spec.names else {}
            inputs = model.generator_inputs(noise, frame[:, None], self.generator)
            return {"videos": to_uint8(self.generator(inputs, training=False))}

        @tf.function(input_signature=[tf.TensorSpec(picture_shape, tf.float32, name="frame"), seed_spec])
        def animate(frame, seed):
            return videos(frame, seed)

        @tf.function(input_signature=[tf.TensorSpec(picture_shape, tf.uint8, name="frame"), seed_spec])
        def animate_uint8(frame, seed):
            return videos(_uint8_to_unit_range(frame), seed)

        self.animate = animate
        self.animate_uint8 = animate_uint8


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
    if is_animator(model):
        picture, frames = _shape_text(model.picture_shape), _shape_text(model.video_shape)
        return {"animate": f"frame float32 [N, {picture}] in [-1, 1], seed int32 -> videos uint8 [N, {frames}]",
                "animate_uint8": f"frame uint8 [N, {picture}], seed int32 -> videos uint8 [N, {frames}]"}
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
    generator, spec, num_classes = _sampling_generator(model, use_ema=True)
    frames = _shape_text(generator.outputs[0].shape[1:])
    if num_classes:
        labels = f"label int32 [0, {num_classes})"
        return {"generate": f"{noise_arguments(spec)}, {labels} [N] -> videos uint8 [N, {frames}]",
                "sample": f"num_videos int32, seed int32, {labels} (one for all, or [N]) -> videos uint8 [N, {frames}]"}
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


def export_generator(model, directory, use_ema=True, class_names=None):
    """Write the generator of `model` as a TensorFlow SavedModel in `directory`; returns `directory`.

    Args:
        model: a `VideoGAN` (its EMA generator is exported when it has one and
            `use_ema`), or a generator `keras.Model` from noise (N, latent_dim),
            exported with `generate` and `sample`; or a `TranslationGAN`
            (a frame predictor), exported with `predict` and `predict_uint8`, or a
            restorer `TranslationGAN`, exported with `enhance` (and `enhance_uint8`), or an
            `AnimationGAN`, exported with `animate` and `animate_uint8`.
        directory: a new or empty directory, or an earlier export, which is replaced.
        use_ema: export the EMA weights (the default) rather than the raw ones.
        class_names: a class-conditional model's classes by label (a run's
            class_names.json, `keras_vgan.saving.read_class_names`), written
            into the metadata so that a server can name its labels.

    A class-conditional generator (`num_classes` K) is exported with
    `generate(noise..., label)` (label int32 [N]) and
    `sample(num_videos, seed, label)` (label an int32 scalar for every video,
    or [N]); labels outside [0, K) fail with InvalidArgumentError. `sample`
    gives the videos of `VideoGAN.generate(num_videos, seed=seed, labels=label)`.
    The metadata's "labels" holds K and the class names.

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
    if is_animator(model):
        generator = model.generator_for_sampling(use_ema)
        module = _ServingAnimator(model, generator)
        signatures = {"animate": module.animate, "animate_uint8": module.animate_uint8}
        metadata = {"task": "animate", "picture_shape": list(model.picture_shape),
                    "video_shape": list(model.video_shape)}
        spec = model.noise_spec
    elif restorer:
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
        generator, spec, num_classes = _sampling_generator(model, use_ema)
        if num_classes:
            class_names = _checked_class_names(class_names, num_classes)
            module = _ServingClassGenerator(generator, spec, num_classes,
                                            getattr(model, "condition_input", CONDITION_INPUT))
        else:
            if class_names is not None:
                raise ValueError(f"class_names={class_names!r} is not valid for an unconditional generator; "
                                 "expected None")
            module = _ServingGenerator(generator, spec)
        signatures = {"generate": module.generate, "sample": module.sample}
        metadata = {"task": "generate", "latent_dim": spec.latent_dim,
                    "video_shape": [int(d) for d in generator.outputs[0].shape[1:]]}
        if num_classes:
            metadata["labels"] = {"argument": LABEL_ARGUMENT, "dtype": "int32", "num_classes": num_classes,
                                  "class_names": class_names}
    metadata.update({
        "noise": {name: list(shape) for name, shape in spec.shapes.items()},
        "weights": "ema" if generator is getattr(model, "ema_generator", None) else "raw",
        "signatures": signature_descriptions(model),
    })
    _save_atomically(module, signatures, metadata, directory, parent)
    return directory


def _checked_class_names(class_names, num_classes):
    """`class_names` as a list of K strings, or None; ValueError when they do not name the K labels."""
    if class_names is None:
        return None
    names = list(class_names) if isinstance(class_names, (list, tuple)) else None
    if names is None or len(names) != num_classes or not all(isinstance(name, str) for name in names):
        raise ValueError(f"class_names={class_names!r} is not valid; expected a list of {num_classes} strings "
                         "(one per label of the model)")
    return names


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
