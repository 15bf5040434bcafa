"""Networks and the adversarial model that trains them."""

from keras_vgan.models.discriminators import build_video_discriminator
from keras_vgan.models.gan import VideoGAN
from keras_vgan.models.generators import build_video_generator
from keras_vgan.models.layout import VideoLayout, video_layout

__all__ = ["VideoGAN", "VideoLayout", "build_video_discriminator", "build_video_generator", "video_layout"]
