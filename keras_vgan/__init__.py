"""keras_vgan: video GANs in Keras 3 — train with `model.fit`, sample, score with FVD, export.

The names below are loaded on first use, not at `import keras_vgan`: importing
TensorFlow takes seconds and prints its start-up messages, and the
`keras-vgan` command must be able to quiet those before TensorFlow loads
(and answer `--help` without loading it at all).
"""

import importlib

__version__ = "0.1.0"

# Public name -> the module it lives in.
_EXPORTS = {
    "VideoGAN": "keras_vgan.models",
    "build_video_discriminator": "keras_vgan.models",
    "build_video_generator": "keras_vgan.models",
    "latent_noise": "keras_vgan.noise",
    "to_uint8": "keras_vgan.pixels",
    "to_unit_range": "keras_vgan.pixels",
}
_SUBMODULES = ("callbacks", "datasets", "losses", "precision")

__all__ = [
    "VideoGAN", "build_video_discriminator", "build_video_generator", "callbacks", "datasets", "latent_noise",
    "losses", "precision", "to_uint8", "to_unit_range",
]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"keras_vgan.{name}")
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value  # Later look-ups skip this function.
        return value
    raise AttributeError(f"module 'keras_vgan' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *__all__})
