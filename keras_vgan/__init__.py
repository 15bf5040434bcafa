"""keras_vgan: video GANs in Keras 3 — train with `model.fit`, sample, score with FVD, export."""

__version__ = "0.1.0"

from keras_vgan import callbacks, datasets, loss_terms, losses, precision
from keras_vgan.diffaugment import DiffAugment
from keras_vgan.models import VideoGAN, build_architecture, build_video_discriminator, build_video_generator
from keras_vgan.noise import NoiseSpec, latent_noise
from keras_vgan.pixels import to_uint8, to_unit_range

__all__ = [
    "DiffAugment", "NoiseSpec", "VideoGAN", "build_architecture", "build_video_discriminator",
    "build_video_generator", "callbacks", "datasets", "latent_noise", "loss_terms", "losses", "precision",
    "to_uint8", "to_unit_range",
]
