"""`TranslationGAN`: a condition clip in, a target clip out; frame prediction first, enhancement next.

The second training shape beside `VideoGAN`'s noise → clip: batches of
`(condition, target)`, a reconstruction term that dominates the objective
(`keras_vgan.loss_terms.L1Reconstruction` and friends), an optional adversary
that judges the output with its condition, and optional noise. It is a
`VideoGAN` with the other batch order, no requirement of a discriminator and
`translate(condition)` for use, so the training step, the loss terms, the
augmentation hook, EMA, checkpoints and the callbacks are the same code.
"""

import numpy as np
import keras
import tensorflow as tf

from keras_vgan.models.gan import VideoGAN
from keras_vgan.pixels import to_uint8
from keras_vgan.validation import check_positive_int


@keras.saving.register_keras_serializable(package="keras_vgan")
class TranslationGAN(VideoGAN):
    """A generator from a condition (context frames, a degraded clip) to a target clip, trained by `fit`.

    Args:
        generator: a `keras.Model` whose input named `condition` takes the
            condition clip, any other input noise (see `VideoGAN`), and whose
            output is the target clip in [-1, 1].
        discriminator: a model of the target clip and the condition (inputs
            `video` and `condition`) to a logit, a list of them, or None to
            train on the reconstruction terms alone (the L1-only baseline).
        ema_decay, augment, noise_spec, condition_input: as for `VideoGAN`.

    The data `fit` receives yields `(condition, target)` pairs. Compile it with
    reconstruction terms, e.g.
    `loss_terms=keras_vgan.loss_terms.reconstruction_terms(l1_weight=100.0)`;
    the adversarial loss joins them with `adversarial_weight`.

    Example:
    >>> from keras_vgan.models.predictors import build_convlstm_predictor
    >>> from keras_vgan.loss_terms import reconstruction_terms
    >>> model = TranslationGAN(build_convlstm_predictor(4, 2, 16, 16, 1, filters=4))
    >>> model.compile(loss_terms=reconstruction_terms(l1_weight=1.0))
    >>> pairs = tf.data.Dataset.from_tensors((tf.zeros([2, 4, 16, 16, 1]), tf.zeros([2, 2, 16, 16, 1])))
    >>> history = model.fit(pairs, epochs=1, verbose=0)
    >>> model.translate(np.zeros([3, 4, 16, 16, 1], np.float32)).shape
    (3, 2, 16, 16, 1)
    """

    requires_discriminator = False
    requires_noise = False

    def __init__(self, generator, discriminator=None, **kwargs):
        super().__init__(generator, discriminator, **kwargs)
        if not self.is_conditional:
            raise ValueError(f"generator {generator.name!r} has no {self.condition_input!r} input; a translation "
                             f"model needs one for its condition (expected inputs named {self.condition_input!r} "
                             f"and optional noise)")
        # None where the generator takes any size: a fully convolutional restorer runs on any clip or tile.
        self.condition_shape = tuple(None if d is None else int(d)
                                     for d in _input(generator, self.condition_input).shape[1:])

    def _unpack(self, data):
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            raise ValueError("a batch of a translation model must be (condition, target); got "
                             f"{type(data).__name__} of {len(data) if isinstance(data, (tuple, list)) else 1}")
        condition, target = data
        return target, condition

    def translate(self, condition, seed=None, use_ema=True, batch_size=32):
        """The output for each condition clip, as uint8 NumPy (N, T, H, W, C).

        `condition`: (N, …) as the generator's `condition` input takes it,
        float in [-1, 1] or uint8. For a stochastic model (noise inputs) the
        same `seed` gives the same outputs; without one each call draws anew.

        Example:
        >>> model.translate(context_clips, seed=0)  # doctest: +SKIP
        """
        condition = np.asarray(condition)
        if condition.dtype == np.uint8:
            condition = condition.astype(np.float32) / 127.5 - 1.0
        if condition.ndim != len(self.condition_shape) + 1 or any(
                expected is not None and size != expected
                for size, expected in zip(condition.shape[1:], self.condition_shape)):
            raise ValueError(f"condition of shape {tuple(condition.shape)} is not valid for this model; expected "
                             f"(N, {', '.join('any' if d is None else str(d) for d in self.condition_shape)})")
        batch_size = check_positive_int("batch_size", batch_size)
        count = condition.shape[0]
        noise = self.sample_noise(count, seed) if self.noise_spec.names else {}
        generator = self.generator_for_sampling(use_ema)
        outputs = []
        for start in range(0, count, batch_size):
            part = {name: value[start:start + batch_size] for name, value in noise.items()}
            inputs = self.generator_inputs(part, tf.convert_to_tensor(condition[start:start + batch_size]),
                                           generator)
            outputs.append(to_uint8(generator(inputs, training=False)).numpy())
        return np.concatenate(outputs, axis=0)


    def showcase(self, condition, target, seed=None, use_ema=True, layout="time"):
        """Each example's truth beside its output, as uint8 videos for the sample grids.

        `layout="time"` (N, T_c + T, 2W + 2, C): left, the condition's frames
        then the target's; right, the same condition frames then the model's
        output, after a 2-pixel white separator. For a predictor that reads as
        context → true future | context → predicted future. A condition of
        another frame size shows the output alone on the right.

        `layout="panels"` (N, T, 3W + 4, C), for restorers: degraded | restored
        | truth. The degraded clip is shown at the output's size (nearest
        upsampling of a low-resolution input) and without an inpainting mask
        channel. A row of the PNG grid is one example.

        Example:
        >>> model.showcase(degraded, clean, layout="panels").shape  # doctest: +SKIP
        (4, 4, 16, 52, 1)
        """
        if layout not in ("time", "panels"):
            raise ValueError(f"layout={layout!r} is not valid; expected 'time' or 'panels'")
        condition, target = np.asarray(condition, np.float32), np.asarray(target, np.float32)
        output = self.translate(condition, seed=seed, use_ema=use_ema)
        condition, target = to_uint8(condition).numpy(), to_uint8(target).numpy()
        if layout == "panels":
            shown = _at_size(condition[..., :target.shape[-1]], target.shape[2:4])
            separator = np.full(target.shape[:3] + (2,) + target.shape[4:], 255, np.uint8)
            return np.concatenate([shown, separator, output, separator, target], axis=3)
        if condition.shape[2:] != output.shape[2:]:
            # A condition of another size (a low-resolution input) shows the output alone.
            truth, predicted = target, output
        else:
            truth = np.concatenate([condition, target], axis=1)
            predicted = np.concatenate([condition, output], axis=1)
        separator = np.full(truth.shape[:3] + (2,) + truth.shape[4:], 255, np.uint8)
        return np.concatenate([truth, separator, predicted], axis=3)


def showcase_sampler(condition, target, layout="time"):
    """A `sampler` for `SampleGrid`/`TensorBoardSamples`: `TranslationGAN.showcase` of these fixed examples.

    Example:
    >>> SampleGrid("runs/demo/samples", sampler=showcase_sampler(contexts, futures))  # doctest: +SKIP
    """
    condition, target = np.asarray(condition, np.float32), np.asarray(target, np.float32)

    def sampler(model, num_videos, seed, use_ema):
        return model.showcase(condition[:num_videos], target[:num_videos], seed=seed, use_ema=use_ema,
                              layout=layout)

    return sampler


def _at_size(videos, size):
    """uint8 videos (N, T, h, w, C) at frames of `size` (H, W), by nearest upsampling (integer factors)."""
    height, width = videos.shape[2:4]
    if (height, width) == tuple(size):
        return videos
    if size[0] % height or size[1] % width:
        raise ValueError(f"frames of {height}x{width} do not upsample to {size[0]}x{size[1]}; expected integer "
                         "factors")
    return videos.repeat(size[0] // height, axis=2).repeat(size[1] // width, axis=3)


def _input(model, name):
    return next(tensor for tensor in model.inputs if tensor.name == name)
