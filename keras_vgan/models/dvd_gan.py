"""DVD-GAN's dual discriminators (Clark, Donahue and Simonyan 2019, "Adversarial Video Generation on Complex Datasets").

The spatial discriminator judges k = 8 random full-resolution frames per
clip and sums their scores (appearance); the temporal discriminator judges
the whole clip at half the spatial resolution (motion), which is cheaper
than a full-resolution 3D discriminator. Both use spectral normalization and
are meant for the hinge loss. The generator is the conv3d one
(`build_video_generator`).

Class-conditional (`num_classes=`), as DVD-GAN trains on UCF-101's and
Kinetics' classes: both discriminators become projection discriminators
(`keras_vgan.models.conditioning`) with inputs `video` and `condition`, and
the generator takes the label through its class embedding. With
`auxiliary_classifier=True` both also get AC-GAN's class head, a second
output of class logits: the spatial one classifies each chosen frame
(N, k, num_classes), the temporal one the whole clip (N, num_classes).
"""

import keras
from keras import layers

from keras_vgan.models.conditioning import check_auxiliary_classifier, check_num_classes, class_condition_input
from keras_vgan.models.discriminators import video_discriminator_layers
from keras_vgan.models.image_networks import build_image_discriminator
from keras_vgan.models.layout import video_layout
from keras_vgan.validation import check_positive_ints

TEMPORAL_DOWNSAMPLING = 2


def build_spatial_discriminator(
    frames,
    height,
    width,
    channels,
    frames_per_clip=8,
    base_filters=64,
    normalization="spectral",
    num_classes=None,
    auxiliary_classifier=False,
    name="spatial_discriminator",
):
    """DVD-GAN's spatial discriminator: `build_image_discriminator` on k = `frames_per_clip` frames, scores summed.

    `frames_per_clip` larger than `frames` is a ValueError. `num_classes`:
    a projection discriminator with a second input `condition` (int32 labels (N,));
    `auxiliary_classifier=True` adds a class head on every chosen frame (a
    second output, class logits per frame (N, k, num_classes)); "fake_class"
    one with a class more, for generated clips.

    Example:
    >>> d = build_spatial_discriminator(16, 32, 32, 1, base_filters=8)
    >>> d.get_layer("sample_frames").output.shape
    (None, 8, 32, 32, 1)
    >>> build_spatial_discriminator(8, 16, 16, 1, base_filters=4, num_classes=3,
    ...                             auxiliary_classifier=True).get_layer("class_logits").output.shape
    (None, 8, 3)
    """
    return build_image_discriminator(frames, height, width, channels, frames_per_clip=frames_per_clip,
                                     base_filters=base_filters, normalization=normalization,
                                     num_classes=num_classes, auxiliary_classifier=auxiliary_classifier, name=name)


def build_temporal_discriminator(
    frames,
    height,
    width,
    channels,
    base_filters=64,
    normalization="spectral",
    num_classes=None,
    auxiliary_classifier=False,
    name="temporal_discriminator",
):
    """DVD-GAN's temporal discriminator: 2× average pooling in space, then `build_video_discriminator`'s stack.

    The clip's shorter side must be at least 16 (8 after pooling).

    Returns a `keras.Model` from "video" (N, frames, height, width, channels)
    to float32 logits (N, 1); with `num_classes`, a projection discriminator
    with a second input `condition` (int32 labels (N,)), and with
    `auxiliary_classifier=True` too, `[logits, class logits (N, num_classes)]`
    (`conditioning.auxiliary_class_logits` on the clip's final features).

    Example:
    >>> d = build_temporal_discriminator(16, 32, 32, 1, base_filters=8)
    >>> d.get_layer("downsample_2x").output.shape
    (None, 16, 16, 16, 1)
    >>> d = build_temporal_discriminator(8, 16, 16, 1, base_filters=4, num_classes=3, auxiliary_classifier=True)
    >>> d.output_shape
    [(None, 1), (None, 3)]
    """
    video_layout(frames, height, width)
    check_positive_ints(channels=channels)
    num_classes = check_num_classes(num_classes)
    check_auxiliary_classifier(auxiliary_classifier, num_classes)
    shorter, side = min((height, "height"), (width, "width"))
    if shorter < 8 * TEMPORAL_DOWNSAMPLING:
        raise ValueError(f"{side}={shorter} is not valid for the temporal discriminator; expected a side >= "
                         f"{8 * TEMPORAL_DOWNSAMPLING} (it halves the clip before its stack of stride-2 layers)")
    video = keras.Input(shape=(frames, height, width, channels), name="video")
    pooled = layers.AveragePooling3D((1, TEMPORAL_DOWNSAMPLING, TEMPORAL_DOWNSAMPLING), name="downsample_2x")(video)
    condition = class_condition_input() if num_classes else None
    outputs = video_discriminator_layers(pooled, base_filters, normalization=normalization, condition=condition,
                                         num_classes=num_classes, auxiliary_classifier=auxiliary_classifier)
    return keras.Model(video if condition is None else [video, condition], outputs, name=name)
