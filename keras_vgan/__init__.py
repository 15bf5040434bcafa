"""keras_vgan: video GANs in Keras 3 — train with `model.fit`, sample, score with FVD, export.

Importing the package imports its models, which registers every custom class
with Keras: `keras.models.load_model` then reads a saved `VideoGAN` after a
plain `import keras_vgan`.
"""

__version__ = "0.1.0"

from keras_vgan import startup as _startup

# The command line must hide TensorFlow's start-up lines before TensorFlow is first imported,
# and importing this package is what imports it: a user's own process is left as it is.
if _startup.started_as_command_line():
    _startup.import_tensorflow_quietly()

from keras_vgan import callbacks, datasets, distribute, loss_terms, losses, precision  # noqa: E402
from keras_vgan.diffaugment import DiffAugment  # noqa: E402
from keras_vgan.models import (  # noqa: E402
    VideoGAN,
    build_architecture,
    build_video_discriminator,
    build_video_generator,
)
from keras_vgan.noise import NoiseSpec, latent_noise  # noqa: E402
from keras_vgan.pixels import to_uint8, to_unit_range  # noqa: E402

__all__ = [
    "DiffAugment", "NoiseSpec", "VideoGAN", "build_architecture", "build_video_discriminator",
    "build_video_generator", "callbacks", "datasets", "distribute", "latent_noise", "loss_terms", "losses", "precision",
    "to_uint8", "to_unit_range",
]
