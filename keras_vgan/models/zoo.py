"""The architectures `keras-vgan train --model NAME` and the presets can build, by name.

An architecture is a function `build(frames, height, width, channels, **options)`
returning `(generator, [discriminators])`; its keyword arguments are its
options. A new architecture is a new entry here, not a new `train_step`:
`VideoGAN` trains any generator whose inputs are named noise (and an optional
`condition`) against any list of discriminators. An architecture with a
`num_classes` option has a class-conditional form (`CONDITIONAL_OPTION`);
giving `num_classes` to one without it is a ValueError naming the model.

Example:
>>> generator, discriminators = build_architecture("conv3d", 8, 32, 32, 1, latent_dim=16,
...                                                generator_filters=8, discriminator_filters=8)
>>> generator.output_shape, [d.name for d in discriminators]
((None, 8, 32, 32, 1), ['video_discriminator'])
"""

import dataclasses
import inspect
from typing import Callable

from keras_vgan.models.animation import build_frame_animator
from keras_vgan.models.discriminators import build_video_discriminator
from keras_vgan.models.dvd_gan import build_spatial_discriminator, build_temporal_discriminator
from keras_vgan.models.generators import build_video_generator
from keras_vgan.models.mocogan import build_image_discriminator, build_mocogan_generator
from keras_vgan.models.predictors import (build_convlstm_predictor, build_prediction_discriminator,
                                          build_unet_predictor)
from keras_vgan.models.restorers import build_restoration_discriminator, build_restoration_generator
from keras_vgan.models.sprites import build_sprite_generator
from keras_vgan.models.tgan import build_tgan_generator
from keras_vgan.models.vgan import build_vgan_generator


TASKS = ("generate", "predict", "enhance", "animate")
# The option that makes an architecture class-conditional (None or 0: unconditional).
CONDITIONAL_OPTION = "num_classes"


@dataclasses.dataclass(frozen=True)
class Architecture:
    """A named builder of a generator and its discriminators.

    Attributes:
        name: what `--model` takes.
        summary: one line: what it is and when to pick it.
        build: `(frames, height, width, channels, **options) -> (generator, [discriminators])`;
            a "predict" architecture's builder takes `context_frames` fifth (the clip's first
            frames, which it reads; it predicts the rest); an "enhance" architecture's builder takes
            the `Degradation` fifth (its scale and condition channels follow from it).
        task: "generate" (noise → clip, trained by `VideoGAN`), "predict" (context → future,
            trained by `TranslationGAN`), "enhance" (degraded clip → clean clip, `TranslationGAN`)
            or "animate" (picture → clip that starts from it, `AnimationGAN`).
    """

    name: str
    summary: str
    build: Callable
    task: str = "generate"

    @property
    def options(self):
        """{option name: default} of the builder's keyword options."""
        # The clip's shape (and a predictor's context length or a restorer's degradation).
        fixed = 5 if self.task in ("predict", "enhance") else 4
        parameters = list(inspect.signature(self.build).parameters.values())[fixed:]
        return {p.name: p.default for p in parameters}

    @property
    def conditional(self):
        """Whether it has a class-conditional form (a `num_classes` option)."""
        return CONDITIONAL_OPTION in self.options


ARCHITECTURES = {}


def register_architecture(name, summary, task="generate"):
    """Decorator: register `build` under `name` (a later registration of the same name replaces it)."""
    if task not in TASKS:
        raise ValueError(f"task={task!r} is not valid; expected one of {list(TASKS)}")

    def register(build):
        ARCHITECTURES[name] = Architecture(name, summary, build, task)
        return build

    return register


def get_architecture(name):
    """The `Architecture` registered under `name`; ValueError listing the known ones otherwise."""
    if name not in ARCHITECTURES:
        raise ValueError(f"model={name!r} is not a known architecture; expected one of {sorted(ARCHITECTURES)}")
    return ARCHITECTURES[name]


def check_options(name, options):
    """The options that are set (not None); one ValueError naming those architecture `name` does not take.

    Example:
    >>> check_options("conv3d", {"latent_dim": 64, "upsampling": None})
    {'latent_dim': 64}
    """
    architecture = get_architecture(name)
    known = architecture.options
    options = {key: value for key, value in options.items() if value is not None}
    classes = options.get(CONDITIONAL_OPTION)
    if classes is not None and not isinstance(classes, bool) and classes == 0:
        del options[CONDITIONAL_OPTION]  # 0 classes: unconditional, which every architecture is
    elif CONDITIONAL_OPTION in options and not architecture.conditional:
        raise ValueError(f"model {name!r} has no class-conditional form ({CONDITIONAL_OPTION}={classes!r}); "
                         f"expected one of {conditional_architectures()}, or no {CONDITIONAL_OPTION}")
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ValueError(f"option(s) {unknown} are not taken by model {name!r}; expected some of {sorted(known)}")
    return options


def conditional_architectures():
    """The names of the architectures that take `num_classes` (a class-conditional form).

    Example:
    >>> conditional_architectures()
    ['conv3d', 'dvd-gan', 'sprites']
    """
    return sorted(name for name, architecture in ARCHITECTURES.items() if architecture.conditional)


def build_architecture(name, frames, height, width, channels, context_frames=None, degradation=None, **options):
    """`(generator, [discriminators])` of architecture `name` at this video size.

    For a "predict" architecture `frames` is the whole clip and
    `context_frames` its first frames, the predictor's input (it predicts the
    other `frames - context_frames`). Options the architecture does not take
    raise one ValueError naming them; options set to None take the
    architecture's default.

    Example:
    >>> predictor, discriminators = build_architecture("convlstm", 6, 16, 16, 1, context_frames=4,
    ...                                                generator_filters=4, discriminator_filters=4)
    >>> predictor.output_shape
    (None, 2, 16, 16, 1)
    """
    architecture = get_architecture(name)
    options = check_options(name, options)
    if architecture.task == "predict":
        if context_frames is None or not 0 < context_frames < frames:
            raise ValueError(f"context_frames={context_frames!r} is not valid for the predictor {name!r} on clips "
                             f"of {frames} frames; expected 1 to {frames - 1} (the rest are predicted)")
        generator, discriminators = architecture.build(frames, height, width, channels, context_frames, **options)
    elif architecture.task == "enhance":
        from keras_vgan.datasets.degradations import as_degradation

        if degradation is None:
            raise ValueError(f"degradation=None is not valid for the restorer {name!r}; expected a degradation "
                             "(e.g. 'sr', 'denoise', 'deblock', 'inpaint') whose output it restores")
        generator, discriminators = architecture.build(frames, height, width, channels,
                                                       as_degradation(degradation), **options)
    else:
        if degradation is not None:
            raise ValueError(f"degradation={degradation!r} is not valid for {name!r}, which generates whole "
                             "clips from noise; expected a restorer (task 'enhance')")
        if context_frames is not None:
            raise ValueError(f"context_frames={context_frames!r} is not valid for {name!r}, which generates "
                             "whole clips from noise; expected a predictor (task 'predict')")
        generator, discriminators = architecture.build(frames, height, width, channels, **options)
    return generator, list(discriminators)


@register_architecture(
    "conv3d",
    "Dense → Reshape → Conv3DTranspose generator against a Conv3D discriminator: the plain, fast baseline.")
def conv3d(frames, height, width, channels, latent_dim=128, generator_filters=64, discriminator_filters=64,
           discriminator_normalization="none", upsampling="transpose", attention_resolution=None,
           generator_kernel_size=4, num_classes=None, auxiliary_classifier=False, class_normalization=False):
    # A resize-convolution works at the upsampled resolution: 8x the positions of a transposed
    # convolution, so a 3-wide kernel (27 taps, not 64) is what keeps it affordable.
    generator = build_video_generator(frames, height, width, channels, latent_dim=latent_dim,
                                      base_filters=generator_filters, upsampling=upsampling,
                                      attention_resolution=attention_resolution, kernel_size=generator_kernel_size,
                                      num_classes=num_classes, class_normalization=class_normalization)
    discriminator = build_video_discriminator(frames, height, width, channels, base_filters=discriminator_filters,
                                              normalization=discriminator_normalization,
                                              attention_resolution=attention_resolution, num_classes=num_classes,
                                              auxiliary_classifier=auxiliary_classifier)
    return generator, [discriminator]


@register_architecture(
    "vgan",
    "Vondrick et al. 2016: a 3D foreground stream and a mask over a static 2D background; for scenes whose "
    "background stays still.")
def vgan(frames, height, width, channels, latent_dim=100, generator_filters=64, discriminator_filters=64,
         discriminator_normalization="none", mask_sparsity=0.1, upsampling="transpose"):
    generator = build_vgan_generator(frames, height, width, channels, latent_dim=latent_dim,
                                     base_filters=generator_filters, mask_sparsity=mask_sparsity,
                                     upsampling=upsampling)
    discriminator = build_video_discriminator(frames, height, width, channels, base_filters=discriminator_filters,
                                              normalization=discriminator_normalization)
    return generator, [discriminator]


@register_architecture(
    "tgan",
    "Saito et al. 2017: 1D deconvolutions turn one latent into a latent per frame, a 2D generator draws each "
    "frame; spectral normalization in D stands in for singular value clipping.")
def tgan(frames, height, width, channels, latent_dim=100, frame_latent_dim=100, generator_filters=64,
         discriminator_filters=64, discriminator_normalization="spectral", upsampling="transpose"):
    generator = build_tgan_generator(frames, height, width, channels, latent_dim=latent_dim,
                                     frame_latent_dim=frame_latent_dim, base_filters=generator_filters,
                                     upsampling=upsampling)
    discriminator = build_video_discriminator(frames, height, width, channels, base_filters=discriminator_filters,
                                              normalization=discriminator_normalization)
    return generator, [discriminator]


@register_architecture(
    "mocogan",
    "Tulyakov et al. 2018: a content code per clip and GRU motion codes per frame; an image discriminator on "
    "random single frames plus a video discriminator. Noise inputs: content, motion.")
def mocogan(frames, height, width, channels, content_dim=50, motion_dim=10, generator_filters=64,
            discriminator_filters=64, discriminator_normalization="none", image_frames=1, upsampling="transpose"):
    generator = build_mocogan_generator(frames, height, width, channels, content_dim=content_dim,
                                        motion_dim=motion_dim, base_filters=generator_filters,
                                        upsampling=upsampling)
    image = build_image_discriminator(frames, height, width, channels, frames_per_clip=image_frames,
                                      base_filters=discriminator_filters, normalization=discriminator_normalization)
    video = build_video_discriminator(frames, height, width, channels, base_filters=discriminator_filters,
                                      normalization=discriminator_normalization, time_downsampling=False)
    return generator, [image, video]


@register_architecture(
    "dvd-gan",
    "Clark et al. 2019's dual discriminators: a spatial one on k random full-resolution frames (scores summed) "
    "and a temporal one on the clip at half resolution; spectral normalization; pair with the hinge loss.")
def dvd_gan(frames, height, width, channels, latent_dim=128, generator_filters=64, discriminator_filters=64,
            discriminator_normalization="spectral", frames_per_clip=8, upsampling="resize",
            attention_resolution=None, num_classes=None, auxiliary_classifier=False, class_normalization=False,
            generator_kernel_size=4):
    """DVD-GAN: the conv3d generator against a spatial and a temporal discriminator (`keras_vgan.models.dvd_gan`).

    Class-conditional with `num_classes`. As for conv3d,
    `auxiliary_classifier=True` gives the discriminators AC-GAN's class head
    (both of them; the spatial one classifies each of its frames; the
    `classification_weight` of a config turns it on and trains it), and
    `class_normalization=True` gives the generator class-conditional batch
    normalization.

    Example:
    >>> generator, (spatial, temporal) = build_architecture(
    ...     "dvd-gan", 8, 16, 16, 1, latent_dim=8, generator_filters=4, discriminator_filters=4, num_classes=3,
    ...     auxiliary_classifier=True, class_normalization=True)
    >>> spatial.output_shape, temporal.output_shape
    ([(None, 1), (None, 8, 3)], [(None, 1), (None, 3)])
    """
    generator = build_video_generator(frames, height, width, channels, latent_dim=latent_dim,
                                      base_filters=generator_filters, upsampling=upsampling,
                                      attention_resolution=attention_resolution, num_classes=num_classes,
                                      class_normalization=class_normalization, kernel_size=generator_kernel_size)
    # Clips shorter than DVD-GAN's k = 8 frames are scored on all their frames.
    spatial = build_spatial_discriminator(frames, height, width, channels, frames_per_clip=min(frames_per_clip, frames),
                                          base_filters=discriminator_filters,
                                          normalization=discriminator_normalization, num_classes=num_classes,
                                          auxiliary_classifier=auxiliary_classifier)
    temporal = build_temporal_discriminator(frames, height, width, channels, base_filters=discriminator_filters,
                                            normalization=discriminator_normalization, num_classes=num_classes,
                                            auxiliary_classifier=auxiliary_classifier)
    return generator, [spatial, temporal]


@register_architecture(
    "sprites",
    "Layered sprites: K objects drawn once per clip by a 2D generator and moved rigidly along generated paths "
    "over black; for a few objects on a plain dark background (moving digits, bouncing shapes).")
def sprites(frames, height, width, channels, latent_dim=64, generator_filters=32, discriminator_filters=32,
            discriminator_normalization="batch", sprites=2, sprite_size=None, upsampling="resize",
            generator_kernel_size=3, motion_units=128, num_classes=None, auxiliary_classifier=False):
    generator = build_sprite_generator(frames, height, width, channels, latent_dim=latent_dim, sprites=sprites,
                                       sprite_size=sprite_size, base_filters=generator_filters,
                                       kernel_size=generator_kernel_size, upsampling=upsampling,
                                       motion_units=motion_units, num_classes=num_classes)
    discriminator = build_video_discriminator(frames, height, width, channels, base_filters=discriminator_filters,
                                              normalization=discriminator_normalization, num_classes=num_classes,
                                              auxiliary_classifier=auxiliary_classifier)
    return generator, [discriminator]


@register_architecture(
    "animator",
    "Image-to-video: the ConvLSTM predictor reading a picture as its one context frame and drawing the whole clip "
    "(frame 0 the picture redrawn) from it and noise; a discriminator of picture + clip.",
    task="animate")
def animator(frames, height, width, channels, latent_dim=32, generator_filters=32, discriminator_filters=32,
             discriminator_normalization="spectral", discriminator_pool_space=False, motion="layers", copies=4,
             frame_change=False):
    generator = build_frame_animator(frames, height, width, channels, filters=generator_filters,
                                     noise_dim=latent_dim, motion=motion, copies=copies, frame_change=frame_change)
    discriminator = build_prediction_discriminator(1, frames, height, width, channels,
                                                   base_filters=discriminator_filters,
                                                   normalization=discriminator_normalization,
                                                   pool_space=discriminator_pool_space)
    return generator, [discriminator]


def _predictor(build_predictor, frames, height, width, channels, context_frames, latent_dim, generator_filters,
               discriminator_filters, discriminator_normalization, discriminator_pool_space):
    future_frames = frames - context_frames
    predictor = build_predictor(context_frames, future_frames, height, width, channels, filters=generator_filters,
                                noise_dim=latent_dim)
    discriminator = build_prediction_discriminator(context_frames, future_frames, height, width, channels,
                                                   base_filters=discriminator_filters,
                                                   normalization=discriminator_normalization,
                                                   pool_space=discriminator_pool_space)
    return predictor, [discriminator]


@register_architecture(
    "convlstm",
    "Frame prediction: a per-frame encoder, two ConvLSTM2D layers over the context and the future slots, a "
    "per-frame decoder; a discriminator of context + future. latent_dim > 0 adds noise (stochastic futures).",
    task="predict")
def convlstm(frames, height, width, channels, context_frames, latent_dim=0, generator_filters=32,
             discriminator_filters=32, discriminator_normalization="spectral", discriminator_pool_space=False):
    return _predictor(build_convlstm_predictor, frames, height, width, channels, context_frames, latent_dim,
                      generator_filters, discriminator_filters, discriminator_normalization, discriminator_pool_space)


@register_architecture(
    "unet3d",
    "Frame prediction: a causal 3D-convolution U-Net (time dilations 1-8 at the bottom); a discriminator of "
    "context + future. latent_dim > 0 adds noise (stochastic futures).",
    task="predict")
def unet3d(frames, height, width, channels, context_frames, latent_dim=0, generator_filters=32,
           discriminator_filters=32, discriminator_normalization="spectral", discriminator_pool_space=False):
    return _predictor(build_unet_predictor, frames, height, width, channels, context_frames, latent_dim,
                      generator_filters, discriminator_filters, discriminator_normalization, discriminator_pool_space)


def restoration_geometry(degradation, frames, height, width, channels):
    """(scale, condition_channels) of a restorer of `degradation`'s output for clips of this shape.

    Example:
    >>> from keras_vgan.datasets.degradations import make_degradation
    >>> restoration_geometry(make_degradation("sr", scale=2), 4, 16, 16, 1)
    (2, 1)
    >>> restoration_geometry(make_degradation("inpaint"), 4, 16, 16, 3)
    (1, 4)
    """
    condition = degradation.condition_shape((frames, height, width, channels))
    scale = height // condition[1]
    if condition[1] * scale != height or condition[2] * scale != width:
        raise ValueError(f"degradation {degradation!r} gives conditions of {condition[1]}x{condition[2]} for "
                         f"frames of {height}x{width}; expected an integer downscaling of both sides")
    return scale, condition[3]


@register_architecture(
    "restorer",
    "Enhancement (super-resolution, denoising, deblocking, inpainting): a fully convolutional 3D residual "
    "network whose output is the (upsampled) input plus a zero-initialised residual, so it starts at the "
    "bilinear/identity baseline; a discriminator of the output with its degraded input.",
    task="enhance")
def restorer(frames, height, width, channels, degradation, generator_filters=32, residual_blocks=4,
             discriminator_filters=32, discriminator_normalization="spectral", patch_layers=None, latent_dim=0,
             upsampling="direct", upsampling_filters=None):
    if latent_dim:
        raise ValueError(f"latent_dim={latent_dim!r} is not valid for the restorer, which takes no noise; "
                         "expected 0 or unset")
    scale, condition_channels = restoration_geometry(degradation, frames, height, width, channels)
    generator = build_restoration_generator(frames, height, width, channels, scale=scale, filters=generator_filters,
                                            residual_blocks=residual_blocks, condition_channels=condition_channels,
                                            upsampling=upsampling, upsampling_filters=upsampling_filters)
    discriminator = build_restoration_discriminator(frames, height, width, channels, scale=scale,
                                                    condition_channels=condition_channels,
                                                    base_filters=discriminator_filters,
                                                    normalization=discriminator_normalization,
                                                    patch_layers=patch_layers)
    return generator, [discriminator]
