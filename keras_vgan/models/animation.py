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

from keras_vgan.models.predictors import build_convlstm_predictor
from keras_vgan.models.translation import TranslationGAN
from keras_vgan.validation import check_int


def build_frame_animator(frames=16, height=64, width=64, channels=1, filters=32, noise_dim=32, frame_change=False,
                         name="frame_animator"):
    """A generator from a picture (`condition`, (N, 1, H, W, C)) and noise (N, `noise_dim`) to a clip of `frames`.

    The ConvLSTM predictor (`predictors.build_convlstm_predictor`) reading the
    picture as a one-frame context and predicting `frames` steps, the first of
    which is the picture itself. The noise, joined to every step, is what
    makes two animations of one picture move differently; `noise_dim=0` gives
    one motion per picture.

    By default every frame is the picture's own pixels moved by a predicted
    flow, nothing drawn anew: with only the adversary to teach the frames
    after the first, a free per-pixel change learned to paint textures that
    fooled a young discriminator (on moving digits, 600 steps: grey noise
    from frame 1 on, and a "motion" score of noise). `frame_change=True`
    adds the predictor's change head back, for content that comes into
    view.

    Example:
    >>> build_frame_animator(8, 16, 16, 1, filters=4, noise_dim=4).output_shape
    (None, 8, 16, 16, 1)
    """
    frames = check_int("frames", frames, minimum=2)
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
