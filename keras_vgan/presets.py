"""Named training configurations.

A preset is a `TrainingConfig` with every field filled in; `keras-vgan train
--preset NAME --epochs 3` starts from the preset and overrides what is given.
"""

import dataclasses
import json

DATASETS = ("moving_digits", "bouncing_shapes")


@dataclasses.dataclass
class TrainingConfig:
    """Everything a training run needs; saved as `config.json` in the run directory."""

    dataset: str = "moving_digits"
    data: str = None  # a path or spec for `keras_vgan.datasets.load_source`; overrides `dataset`
    num_videos: int = 2048
    clips_per_video: int = None  # for --data sources of video files: clips sampled from each file
    layout: str = None  # axis order of a --data .npy array (NTHW or TNHW); None reads it from the shape
    num_objects: tuple = (1, 2)  # digits or shapes per built-in clip: a count or a (min, max) range
    frames: int = 16
    height: int = 64
    width: int = 64
    channels: int = 1
    latent_dim: int = 128
    generator_filters: int = 64
    discriminator_filters: int = 64
    discriminator_normalization: str = "none"
    loss: str = "non_saturating"
    gradient_penalty_weight: float = 0.0
    r1_weight: float = 0.0
    label_smoothing: float = 0.0
    discriminator_steps: int = 1
    g_learning_rate: float = 2e-4
    d_learning_rate: float = 2e-4
    beta_1: float = 0.5
    clipnorm: float = None
    ema_decay: float = 0.999
    batch_size: int = 16
    epochs: int = 10
    steps_per_epoch: int = 100
    sample_every: int = 1
    num_samples: int = 8
    checkpoint_every: int = 50  # steps between resumable checkpoints
    precision: str = "auto"
    jit_compile: str = "auto"
    seed: int = 0

    def __post_init__(self):
        if isinstance(self.num_objects, list):  # from config.json
            self.num_objects = tuple(self.num_objects)

    def to_json(self):
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, values):
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown training option(s) {unknown}; expected some of {sorted(known)}")
        return cls(**values)

    def replace(self, **changes):
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


PRESETS = {
    # The README's first command: a moving-digits GAN within 10 minutes on 2 CPU cores.
    # Many small steps beat few large ones in a short budget; the EMA is short because a
    # generator this young changes fast, and a long average blurs digits into blobs. Batch norm
    # in D (as DCGAN) turned blobs into stroke-shaped digits at the same step count.
    "quickstart": TrainingConfig(
        dataset="moving_digits", num_videos=4096, frames=16, height=32, width=32, channels=1,
        latent_dim=64, generator_filters=32, discriminator_filters=32, discriminator_normalization="batch",
        batch_size=16,
        epochs=20, steps_per_epoch=120, ema_decay=0.9, checkpoint_every=120, sample_every=4,
    ),
    "moving-digits-64": TrainingConfig(
        dataset="moving_digits", frames=16, height=64, width=64, channels=1, latent_dim=128,
        generator_filters=32, discriminator_filters=32, batch_size=16, epochs=30, steps_per_epoch=200,
    ),
    "bouncing-shapes": TrainingConfig(
        dataset="bouncing_shapes", frames=16, height=32, width=32, channels=3, latent_dim=64,
        generator_filters=32, discriminator_filters=32, batch_size=32, epochs=12, steps_per_epoch=100,
        ema_decay=0.995,
    ),
    # The VGAN-sized model of the benchmarks: 16×64×64×3, about 23 M parameters.
    "vgan-64": TrainingConfig(
        dataset="bouncing_shapes", frames=16, height=64, width=64, channels=3, latent_dim=100,
        generator_filters=64, discriminator_filters=64, batch_size=16, epochs=50, steps_per_epoch=500,
    ),
}


def get_preset(name):
    """A fresh copy of the preset called `name`."""
    if name not in PRESETS:
        raise ValueError(f"preset={name!r} is not known; expected one of {sorted(PRESETS)}")
    return dataclasses.replace(PRESETS[name])
