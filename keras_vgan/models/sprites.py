"""A layered-sprite generator: K objects, each drawn once per clip and moved rigidly over a dark background.

A clip of objects in motion is, to a first approximation, a few pictures
that keep their shape while they move: MoCoGAN's content/motion split taken
to the rigid extreme (as in the sprite- and layer-based video models of
Finn et al. 2016 and van Amersfoort et al. 2017, and our own animator's
shifted copies). One noise vector gives every sprite a code and a path: a
2D image generator draws each sprite (colour and alpha) once; a small
network gives each sprite a position per frame; `PlaceSprites` moves the
sprites there by bilinear sampling (differentiable in both the pictures and
the positions, as a spatial transformer) and composites them, back to
front, over black.

So every frame of a clip shows the same objects with the same edges, and
the background is exactly black wherever no sprite is: the two things the
plain 3D generator gets wrong first on moving digits. It is built for what
that prior fits: a few objects on a plain dark background (the built-in
moving digits and bouncing shapes); objects that deform, turn or change
colour, and textured backgrounds, need the 3D generators.

Example:
>>> g = build_sprite_generator(8, 32, 32, 1, latent_dim=16, base_filters=8)
>>> g.output_shape
(None, 8, 32, 32, 1)
"""

import keras
from keras import layers, ops

from keras_vgan.models.blocks import has_named_layers, named_outputs_model
from keras_vgan.models.conditioning import check_num_classes, noise_and_class
from keras_vgan.models.image_networks import build_image_generator
from keras_vgan.models.layers import FrameDistributed
from keras_vgan.models.layout import image_layout, video_layout
from keras_vgan.validation import check_int, check_positive_ints

SPRITE_OUTPUTS = ("video", "sprites", "positions")


def _placement_weights(corners, size, side):
    """Bilinear weights (…, side, size) that put a row of `size` sprite pixels at `corners` (…) in `side` pixels.

    Weight of frame pixel i for sprite pixel j is max(0, 1 − |i − (corner + j)|):
    the tent kernel of bilinear sampling, whose derivative in `corner` is what
    moves a sprite when the discriminator wants it elsewhere.
    """
    frame_pixels = ops.reshape(ops.arange(side, dtype=corners.dtype), (side, 1))
    sprite_pixels = ops.reshape(ops.arange(size, dtype=corners.dtype), (1, size))
    distance = frame_pixels - (ops.expand_dims(ops.expand_dims(corners, -1), -1) + sprite_pixels)
    return ops.relu(1.0 - ops.abs(distance))


@keras.saving.register_keras_serializable(package="keras_vgan")
class PlaceSprites(keras.layers.Layer):
    """[sprites (N, K, S, S', C + 1), positions (N, T, K, 2)] → frames (N, T, H, W, C) in [0, 1].

    Each sprite's first C channels are its colour, the last its alpha (all
    in [0, 1]). `positions` place each sprite in every frame as (row, column)
    fractions of the room it has: 0 puts its top (left) edge on the frame's,
    1 its bottom (right) edge on the frame's, so a sprite never leaves the
    frame. Fractional pixel positions are sampled bilinearly; pixels a
    sprite does not cover are transparent. Sprites are composited in order,
    sprite 0 at the back, over black: out ← α·colour + (1 − α)·out.

    Example:
    >>> sprite = ops.ones((1, 1, 1, 1, 2))  # one white, opaque pixel
    >>> positions = ops.convert_to_tensor([[0.0, 0.0], [0.0, 0.75]])  # frame 1: 1.5 of its 2 pixels of room
    >>> frames = PlaceSprites(1, 3)([sprite, ops.reshape(positions, (1, 2, 1, 2))])
    >>> ops.convert_to_numpy(frames)[0, :, 0, :, 0].tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]]
    """

    def __init__(self, height, width, **kwargs):
        super().__init__(**kwargs)
        check_positive_ints(height=height, width=width)
        self.height, self.width = int(height), int(width)

    def build(self, input_shape):
        sprites, positions = input_shape
        if len(sprites) != 5 or len(positions) != 4 or positions[-1] != 2:
            raise ValueError(f"PlaceSprites takes sprites (N, K, S, S', C + 1) and positions (N, T, K, 2); got "
                             f"shapes {tuple(sprites)} and {tuple(positions)}")
        if sprites[2] > self.height or sprites[3] > self.width:
            raise ValueError(f"sprites of {sprites[2]}x{sprites[3]} do not fit frames of {self.height}x{self.width};"
                             " expected sprites no larger than the frame")

    def call(self, inputs):
        sprites, positions = inputs
        sprites = ops.cast(sprites, self.compute_dtype)
        room = ops.convert_to_tensor([self.height - sprites.shape[2], self.width - sprites.shape[3]],
                                     self.compute_dtype)
        corners = ops.cast(positions, self.compute_dtype) * room
        colour, alpha = sprites[..., :-1], sprites[..., -1:]
        premultiplied = ops.concatenate([colour * alpha, alpha], axis=-1)  # what bilinear sampling may average
        rows = _placement_weights(corners[..., 0], sprites.shape[2], self.height)  # (N, T, K, H, S)
        columns = _placement_weights(corners[..., 1], sprites.shape[3], self.width)  # (N, T, K, W, S')
        placed = ops.einsum("ntkhs,nksrc->ntkhrc", rows, premultiplied)
        placed = ops.einsum("ntkwr,ntkhrc->ntkhwc", columns, placed)  # (N, T, K, H, W, C + 1)
        frames = ops.zeros_like(placed[:, :, 0, ..., :-1])
        for sprite in range(sprites.shape[1]):
            layer = placed[:, :, sprite]
            frames = layer[..., :-1] + (1.0 - layer[..., -1:]) * frames
        return frames

    def compute_output_shape(self, input_shape):
        sprites, corners = input_shape
        return (sprites[0], corners[1], self.height, self.width, sprites[-1] - 1)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


def build_sprite_generator(
    frames,
    height,
    width,
    channels,
    latent_dim=64,
    sprites=2,
    sprite_size=None,
    base_filters=32,
    kernel_size=3,
    upsampling="resize",
    motion_units=128,
    num_classes=None,
    name="sprite_generator",
):
    """Noise → K sprites (an image generator) and K paths (an MLP) → the sprites placed and composited.

    `sprites` objects per clip, each `sprite_size` pixels square (default
    half the frame's shorter side: an object of the built-in data fits); a
    sprite the data does not need can become transparent, so K is the most
    objects a clip shows. The image generator (`build_image_generator`, with
    `base_filters`, `kernel_size`, `upsampling`) draws every sprite from its
    own code, sprites folded into the batch; its output goes through a
    sigmoid to colour and alpha. The paths: a Dense layer of `motion_units`
    then one position per frame and sprite, kept inside the frame by a
    sigmoid (`PlaceSprites`' fractions of the room).

    Layers "sprites" (N, K, S, S, C + 1), "positions" (N, T, K, 2) and
    "video" hold what `sprite_streams` shows.

    `num_classes` (e.g. 10) makes it class-conditional as
    `build_video_generator` is: a second input "condition" (int32 labels,
    (N,)) whose learned embedding joins the noise before both the sprites'
    codes and the paths.

    Returns a `keras.Model` from "noise" (N, latent_dim) (and "condition"
    when class-conditional) to float32 videos (N, frames, height, width,
    channels) in [-1, 1].

    Example:
    >>> g = build_sprite_generator(4, 32, 32, 3, latent_dim=8, sprites=3, base_filters=4)
    >>> g.get_layer("sprites").output.shape
    (None, 3, 16, 16, 4)
    """
    video_layout(frames, height, width)
    check_positive_ints(channels=channels, latent_dim=latent_dim, sprites=sprites, base_filters=base_filters,
                        kernel_size=kernel_size, motion_units=motion_units)
    if sprite_size is None:
        sprite_size = min(height, width) // 2
    sprite_size = check_int("sprite_size", sprite_size, minimum=1)
    if sprite_size > min(height, width):
        raise ValueError(f"sprite_size={sprite_size!r} is not valid for {height}x{width} frames; expected at most "
                         f"{min(height, width)}")
    try:
        image_layout(sprite_size, sprite_size)
    except ValueError:
        raise ValueError(f"sprite_size={sprite_size!r} is not valid; expected a side an image generator can draw: "
                         "8, 16, 32, 64, 128 or 256") from None

    num_classes = check_num_classes(num_classes)

    noise = keras.Input(shape=(latent_dim,), name="noise")
    inputs, code = noise, noise
    if num_classes:
        condition, code = noise_and_class(noise, num_classes, latent_dim)
        inputs = [noise, condition]
    codes = layers.Dense(sprites * latent_dim, name="sprite_codes")(code)
    codes = layers.Reshape((sprites, latent_dim), name="codes_per_sprite")(codes)
    sprite_generator = build_image_generator(sprite_size, sprite_size, channels + 1, latent_dim, base_filters,
                                             kernel_size=kernel_size, upsampling=upsampling, activation=None,
                                             name="sprite_image_generator")
    drawn = FrameDistributed(sprite_generator, name="sprite_generator_per_sprite")(codes)
    drawn = layers.Activation("sigmoid", dtype="float32", name="sprites")(drawn)

    path = layers.Dense(motion_units, activation="relu", name="motion_hidden")(code)
    path = layers.Dense(frames * sprites * 2, name="motion_positions")(path)
    path = layers.Reshape((frames, sprites, 2), name="positions_per_frame")(path)
    positions = layers.Activation("sigmoid", dtype="float32", name="positions")(path)

    placed = PlaceSprites(height, width, dtype="float32", name="placed_sprites")([drawn, positions])
    video = layers.Rescaling(2.0, offset=-1.0, dtype="float32", name="video")(placed)
    return keras.Model(inputs, video, name=name)


def is_sprite_generator(generator):
    """Whether `generator` was built by `build_sprite_generator` (it has the layers `sprite_streams` reads)."""
    return has_named_layers(generator, SPRITE_OUTPUTS + ("placed_sprites",))


def sprite_streams(generator):
    """A model from the generator's inputs to dict(video, sprites, positions), sharing its layers.

    Example:
    >>> streams = sprite_streams(build_sprite_generator(4, 16, 16, 1, latent_dim=8, base_filters=4))
    >>> sorted(streams(ops.zeros((2, 8))))
    ['positions', 'sprites', 'video']
    """
    return named_outputs_model(generator, SPRITE_OUTPUTS, "a sprite generator")


def sprite_samples(gan, num_videos, seed, use_ema=True):
    """uint8 videos (N·(K + 1), T, H, W, C): for each of N samples its video, then each sprite alone on black.

    The noise is `gan.sample_noise(num_videos, seed)`, so the videos are
    those of `gan.generate(num_videos, seed)`; each sprite is placed along its
    own path, without the others in front of it. Tile them K + 1 to a row to
    see which object each sprite became (a sprite the samples do not need is
    black throughout).

    Example:
    >>> from keras_vgan.models import VideoGAN, build_video_discriminator
    >>> gan = VideoGAN(build_sprite_generator(8, 16, 16, 1, latent_dim=8, sprites=2, base_filters=4),
    ...                build_video_discriminator(8, 16, 16, 1, base_filters=4))
    >>> sprite_samples(gan, 2, seed=0).shape
    (6, 8, 16, 16, 1)
    """
    from keras_vgan.pixels import to_uint8

    generator = gan.generator_for_sampling(use_ema)
    streams = sprite_streams(generator)(gan.generator_inputs(gan.sample_noise(num_videos, seed), generator=generator),
                                        training=False)
    place = generator.get_layer("placed_sprites")
    sprites, positions = streams["sprites"], streams["positions"]
    alone = [place([sprites[:, k:k + 1], positions[:, :, k:k + 1]]) * 2.0 - 1.0 for k in range(sprites.shape[1])]
    parts = ops.stack([streams["video"]] + alone, axis=1)
    return ops.convert_to_numpy(to_uint8(parts)).reshape((-1,) + tuple(parts.shape[2:]))
