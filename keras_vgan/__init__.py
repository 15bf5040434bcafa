"""keras_vgan: video GANs in Keras 3 — train with `model.fit`, sample, score with FVD, export."""

__version__ = "0.1.0"

from keras_vgan import callbacks, datasets, losses, precision
from keras_vgan.models import VideoGAN, build_video_discriminator, build_video_generator
from keras_vgan.noise import latent_noise
from keras_vgan.pixels import to_uint8, to_unit_range

__all__ = [
    "VideoGAN", "build_video_discriminator", "build_video_generator", "callbacks", "datasets", "latent_noise",
    "losses", "precision", "to_uint8", "to_unit_range",
]
