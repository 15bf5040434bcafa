"""TGAN's generator (Saito, Matsumoto and Saito 2017, "Temporal Generative Adversarial Nets").

A temporal generator turns one latent z0 into a latent per frame with 1D
transposed convolutions (kernel 4, stride 2: 1 → 2 → 4 → 8 → 16 steps for
16 frames); an image generator then draws each frame from (z0, z1_t).
TGAN's discriminator is a 3D convolutional one: `build_video_discriminator`.
The original trains it with singular value clipping
(`keras_vgan.callbacks.singular_value_clipping.SingularValueClipping`);
spectral normalization is the modern alternative.
"""

import keras
from keras import layers

from keras_vgan.models.blocks import batch_normalization
from keras_vgan.models.image_networks import video_from_frame_codes
from keras_vgan.models.layout import video_layout
from keras_vgan.validation import check_positive_ints


def temporal_doublings(frames):
    """How many stride-2 steps take the temporal generator from its start length to `frames`.

    The start is `frames` with every factor 2 removed: 16 frames start at 1
    step (4 doublings, as in TGAN), 20 at 5 (2 doublings).

    Example:
    >>> temporal_doublings(16), temporal_doublings(20), temporal_doublings(5)
    (4, 2, 0)
    """
    doublings = 0
    while frames % 2 ** (doublings + 1) == 0:
        doublings += 1
    return doublings


def build_tgan_generator(
    frames,
    height,
    width,
    channels,
    latent_dim=100,
    frame_latent_dim=100,
    base_filters=64,
    upsampling="transpose",
    name="tgan_generator",
):
    """Noise z0 → frame latents z1_1..z1_T (1D deconvolutions) → image generator on [z0, z1_t] per frame.

    Temporal generator: Dense → Reshape to (start, 8·base_filters or less)
    → Conv1DTranspose (kernel 4, stride 2) + BatchNorm + ReLU, widths halving,
    → a last Conv1DTranspose to `frame_latent_dim` with tanh (layer
    "frame_latents"). z0 repeated over time and the frame latents are
    concatenated ("frame_codes", (N, T, latent_dim + frame_latent_dim)) and
    `build_image_generator` draws every frame, frames folded into the batch.

    Returns a `keras.Model` from "noise" (N, latent_dim) to float32 videos
    (N, frames, height, width, channels) in [-1, 1].

    Example:
    >>> g = build_tgan_generator(16, 32, 32, 1, latent_dim=16, frame_latent_dim=16, base_filters=8)
    >>> g.get_layer("frame_latents").output.shape
    (None, 16, 16)
    """
    video_layout(frames, height, width)
    check_positive_ints(channels=channels, latent_dim=latent_dim, frame_latent_dim=frame_latent_dim,
                        base_filters=base_filters)
    doublings = temporal_doublings(frames)
    start_steps = frames // 2**doublings
    widths = [base_filters * 2 ** max(doublings - 1 - i, 0) for i in range(max(doublings, 1))]

    noise = keras.Input(shape=(latent_dim,), name="noise")
    t = layers.Dense(start_steps * widths[0], use_bias=False, name="temporal_project")(noise)
    t = layers.Reshape((start_steps, widths[0]), name="temporal_grid")(t)
    t = batch_normalization("temporal_project_norm")(t)
    t = layers.ReLU(name="temporal_project_relu")(t)
    for i in range(doublings - 1):
        block = f"temporal_up{i + 1}"
        t = layers.Conv1DTranspose(widths[i + 1], 4, strides=2, padding="same", use_bias=False,
                                   name=f"{block}_deconv")(t)
        t = batch_normalization(f"{block}_norm")(t)
        t = layers.ReLU(name=f"{block}_relu")(t)
    # Odd frame counts have no doubling: the last layer then keeps the length.
    t = layers.Conv1DTranspose(frame_latent_dim, 4, strides=2 if doublings else 1, padding="same",
                               name="frame_latents_deconv")(t)
    frame_latents = layers.Activation("tanh", name="frame_latents")(t)

    z0_per_frame = layers.RepeatVector(frames, name="noise_per_frame")(noise)
    codes = layers.Concatenate(name="frame_codes")([z0_per_frame, frame_latents])
    video = video_from_frame_codes(codes, height, width, channels, base_filters, upsampling)
    return keras.Model(noise, video, name=name)
