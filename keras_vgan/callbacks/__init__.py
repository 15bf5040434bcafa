"""Callbacks for `VideoGAN.fit`."""

from keras_vgan.callbacks.samples import SampleGrid

__all__ = ["SampleGrid"]
