"""Image-to-video: `AnimationGAN` sets a picture in motion, trained on clips alone.

The third user of the `(condition, target)` shape of `TranslationGAN`: the
condition is a clip's first frame, the target the whole clip, frame 0
included, so any clip source trains it with no labels and no pairing step.
The generator must redraw the picture as its frame 0 (a reconstruction term,
`loss_terms.FirstFrameL1`, holds it there) and invent the motion after it from
its noise; the discriminator judges the clip together with the picture, so a
clip that does not start from it, or does not move as real clips do, is
told apart.

`build_frame_animator` is the frame predictor of `predictors` with one
context frame (the picture) and the whole clip as its future: each frame is
the picture moved by a predicted flow plus a predicted change, and an
untrained animator holds the picture still.

Example:
>>> model = AnimationGAN(build_frame_animator(4, 16, 16, 1, filters=4, noise_dim=4))
>>> model.picture_shape
(16, 16, 1)
>>> model.animate(np.zeros([2, 16, 16, 1], np.uint8), seed=0).shape
(2, 4, 16, 16, 1)
"""

import keras
import numpy as np
from keras import layers, ops

from keras_vgan.models.layers import FrameDistributed
from keras_vgan.models.predictors import WarpFrames, build_convlstm_predictor, convlstm_features, predictor_inputs
from keras_vgan.models.translation import TranslationGAN
from keras_vgan.validation import check_int, check_positive_ints

MOTIONS = ("layers", "flow")


@keras.saving.register_keras_serializable(package="keras_vgan")
class LayeredShifts(keras.layers.Layer):
    """Frame t = Σₖ maskₖ(t) · (the picture shifted by t · velocityₖ(t)): K rigidly moving copies, composited.

    Inputs `[picture (N, 1, H, W, C), velocities (N, T, 2K), mask logits
    (N, T, H, W, K)]`; the masks are a softmax over the K copies at every
    pixel. Each copy moves as a whole, so an object that one mask covers
    keeps its shape (Finn et al. 2016's CDNA composes its frames the same
    way, from K transformed copies and masks). At t = 0 every shift is zero:
    frame 0 is the picture itself.

    Example:
    >>> picture = ops.reshape(ops.arange(4.0), (1, 1, 1, 4, 1))
    >>> velocities = ops.reshape(ops.convert_to_tensor([0.0, 0.0, 0.0, 1.0]), (1, 2, 2))  # K=1: 1 px/frame right
    >>> ops.convert_to_numpy(LayeredShifts()([picture, velocities, ops.zeros((1, 2, 1, 4, 1))]))[0, :, 0, :, 0]
    array([[0., 1., 2., 3.],
           [0., 0., 1., 2.]], dtype=float32)
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.warp = WarpFrames(scale_by_step=False, dtype=self.dtype_policy)

    def build(self, input_shape):
        picture, _, masks = input_shape
        self.warp.build([tuple(masks[:4]) + tuple(picture[-1:]), tuple(masks[:4]) + (2,)])

    def call(self, inputs):
        picture, velocities, mask_logits = inputs
        shape = ops.shape(mask_logits)
        batch, steps, height, width, copies = shape[0], shape[1], shape[2], shape[3], mask_logits.shape[-1]
        velocities = ops.reshape(ops.cast(velocities, picture.dtype), (batch, steps, copies, 2))
        shifts = velocities * ops.reshape(ops.cast(ops.arange(steps), picture.dtype), (1, -1, 1, 1))
        frames = ops.broadcast_to(picture, (batch, steps, height, width, picture.shape[-1]))
        masks = ops.cast(mask_logits, picture.dtype)
        masks = ops.softmax(masks, axis=-1) if copies > 1 else ops.ones_like(masks)  # one copy: nothing to mix
        output = 0.0
        for copy in range(copies):
            flow = ops.broadcast_to(shifts[:, :, copy, None, None, :], (batch, steps, height, width, 2))
            output = output + masks[..., copy:copy + 1] * self.warp([frames, flow])
        return output

    def compute_output_shape(self, input_shape):
        picture, _, masks = input_shape
        return masks[:4] + picture[-1:]


def _layered_animator(frames, height, width, channels, filters, noise_dim, copies, name):
    context, noise, sequence = predictor_inputs(1, frames, height, width, channels, noise_dim)
    features = convlstm_features(sequence, noise, 1, filters)
    block = height // features.shape[2]
    pooled = FrameDistributed(layers.GlobalAveragePooling2D(), name="motion_pool")(features)
    # Small random starts: K copies that began alike would get alike gradients and never part.
    velocities = layers.Dense(2 * copies, kernel_initializer=keras.initializers.RandomNormal(stddev=0.01),
                              dtype="float32", name="copy_velocities")(pooled)
    masks = FrameDistributed(layers.Conv2D(copies, 3, padding="same", dtype="float32"), name="copy_masks")(features)
    masks = FrameDistributed(layers.UpSampling2D(block, interpolation="bilinear", dtype="float32"),
                             name="copy_masks_upsample")(masks)
    clip = LayeredShifts(dtype="float32", name="layered_shifts")([context, velocities, masks])
    return keras.Model([context, noise] if noise is not None else context, clip, name=name)


def build_frame_animator(frames=16, height=64, width=64, channels=1, filters=32, noise_dim=32, motion="layers",
                         copies=4, frame_change=False, name="frame_animator"):
    """A generator from a picture (`condition`, (N, 1, H, W, C)) and noise (N, `noise_dim`) to a clip of `frames`.

    The ConvLSTM predictor (`predictors.build_convlstm_predictor`) reading the
    picture as a one-frame context and predicting `frames` steps, the first of
    which is the picture itself. The noise, joined to every step, is what
    makes two animations of one picture move differently; `noise_dim=0` gives
    one motion per picture.

    Every frame is the picture's own pixels moved, nothing drawn anew: with
    only the adversary to teach the frames after the first, a free
    per-pixel change learned to paint textures that fooled a young
    discriminator (moving digits, 600 steps: grey noise from frame 1 on).
    `motion="layers"` (default): `LayeredShifts`, `copies` rigidly shifted
    copies of the picture composited by predicted masks, so objects keep
    their shape. `motion="flow"`: the predictor's per-pixel flow
    (`predictors._to_frames`), which bent digits out of shape (1,200 steps)
    where they should have moved whole; with `frame_change=True` its change
    head is added back, for content that comes into view.

    Example:
    >>> build_frame_animator(8, 16, 16, 1, filters=4, noise_dim=4).output_shape
    (None, 8, 16, 16, 1)
    """
    frames = check_int("frames", frames, minimum=2)
    if motion not in MOTIONS:
        raise ValueError(f"motion={motion!r} is not valid; expected one of {list(MOTIONS)}")
    if motion == "layers":
        if frame_change:
            raise ValueError("frame_change=True is not valid with motion='layers'; expected motion='flow'")
        check_positive_ints(copies=copies)
        return _layered_animator(frames, height, width, channels, filters, noise_dim, copies, name)
    return build_convlstm_predictor(1, frames, height, width, channels, filters=filters, noise_dim=noise_dim,
                                    frame_change=frame_change, name=name)


@keras.saving.register_keras_serializable(package="keras_vgan")
class AnimationGAN(TranslationGAN):
    """A picture in, a clip that starts from it out; `fit` on batches of clips (labels, if any, are unused).

    Args:
        generator: a `keras.Model` whose input named `condition` takes the
            picture as a one-frame clip (N, 1, H, W, C), any other input noise,
            and whose output is the clip (N, T, H, W, C) in [-1, 1], its frame 0
            the picture redrawn (`build_frame_animator`).
        discriminator: a model of the clip and the picture (inputs `video` and
            `condition`), a list of them, or None.
        ema_decay, augment, noise_spec, condition_input: as for `VideoGAN`.

    Compile it with `loss_terms=[keras_vgan.loss_terms.FirstFrameL1(100.0)]`:
    the adversary alone does not keep frame 0 on the picture.
    """

    def __init__(self, generator, discriminator=None, **kwargs):
        super().__init__(generator, discriminator, **kwargs)
        if len(self.condition_shape) != 4 or self.condition_shape[0] != 1 or None in self.condition_shape:
            raise ValueError(f"generator {generator.name!r} takes a condition of shape {self.condition_shape}; an "
                             "animator takes one picture as a one-frame clip (1, H, W, C)")

    @property
    def picture_shape(self):
        """(H, W, C) of the pictures `animate` takes."""
        return self.condition_shape[1:]

    def _unpack(self, data):
        clips = data[0] if isinstance(data, (tuple, list)) else data
        # Target first, condition second, as `VideoGAN.train_step` takes them: the clip, and its frame 0.
        return clips, clips[:, :1]

    def animate(self, pictures, seed=None, use_ema=True, batch_size=32):
        """Clips that set each picture in motion, as uint8 NumPy (N, T, H, W, C).

        `pictures`: (N, H, W, C) or one (H, W, C), uint8 or float in [-1, 1],
        at the model's size (`keras_vgan.datasets.first_frames.read_picture`
        converts a picture file). The same `seed` gives the same motion.

        Example:
        >>> model.animate(picture, seed=0)  # doctest: +SKIP
        """
        pictures = np.asarray(pictures)
        if pictures.ndim == 3:
            pictures = pictures[None]
        if pictures.ndim != 4 or pictures.shape[1:] != self.picture_shape:
            raise ValueError(f"pictures of shape {tuple(pictures.shape)} are not valid for this model; expected "
                             f"(N, {', '.join(map(str, self.picture_shape))}) or one "
                             f"({', '.join(map(str, self.picture_shape))})")
        return self.translate(pictures[:, None], seed=seed, use_ema=use_ema, batch_size=batch_size)


def is_animator(model):
    """Whether `model` is an `AnimationGAN` (it exports as `animate`)."""
    return isinstance(model, AnimationGAN)
