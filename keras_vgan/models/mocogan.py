"""MoCoGAN's generator and image discriminator (Tulyakov, Liu, Yang and Kautz 2018, "MoCoGAN").

A clip is a content code, fixed for the clip, plus a motion code per frame
from a recurrent cell fed fresh noise every frame; an image generator draws
each frame from [content, motion_t]. Two discriminators judge it: an image
discriminator on randomly chosen single frames (appearance) and a video
discriminator whose convolutions stride (1, 2, 2) (motion):
`build_video_discriminator(..., time_downsampling=False)`.
"""

import keras
from keras import layers

from keras_vgan.models.image_networks import build_image_discriminator, video_from_frame_codes
from keras_vgan.models.layout import video_layout
from keras_vgan.validation import check_positive_ints

__all__ = ["build_image_discriminator", "build_mocogan_generator"]


def build_mocogan_generator(
    frames,
    height,
    width,
    channels,
    content_dim=50,
    motion_dim=10,
    base_filters=64,
    upsampling="transpose",
    name="mocogan_generator",
):
    """Content (N, content_dim) + motion noise (N, frames, motion_dim) → a GRU → an image generator per frame.

    Inputs, both standard-normal noise: "content" (content_dim,), one code
    per clip, and "motion" (frames, motion_dim), fresh noise for every frame,
    which `keras.layers.GRU(motion_dim)` (MoCoGAN's GRUCell(10)) turns into
    motion codes ("motion_codes"). The content code repeated over time and
    the motion codes are concatenated into "frame_codes"
    (N, frames, content_dim + motion_dim); `build_image_generator` draws each
    frame, frames folded into the batch; `upsampling="resize"` makes its
    layers resize-convolutions.

    Returns a `keras.Model` from [content, motion] to float32 videos
    (N, frames, height, width, channels) in [-1, 1].

    Example:
    >>> g = build_mocogan_generator(16, 32, 32, 1, content_dim=8, motion_dim=4, base_filters=8)
    >>> [tuple(i.shape) for i in g.inputs]
    [(None, 8), (None, 16, 4)]
    """
    video_layout(frames, height, width)
    check_positive_ints(channels=channels, content_dim=content_dim, motion_dim=motion_dim, base_filters=base_filters)

    content = keras.Input(shape=(content_dim,), name="content")
    motion_noise = keras.Input(shape=(frames, motion_dim), name="motion")
    motion_codes = layers.GRU(motion_dim, return_sequences=True, name="motion_codes")(motion_noise)
    content_per_frame = layers.RepeatVector(frames, name="content_per_frame")(content)
    codes = layers.Concatenate(name="frame_codes")([content_per_frame, motion_codes])
    video = video_from_frame_codes(codes, height, width, channels, base_filters, upsampling)
    return keras.Model([content, motion_noise], video, name=name)
