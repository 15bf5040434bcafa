"""Named training configurations.

A preset is a `TrainingConfig` with every field filled in; `keras-vgan train
--preset NAME --epochs 3` starts from the preset and overrides what is given.
"""

import dataclasses
import json

# The built-in datasets a preset can name: one list, kept by the datasets package.
from keras_vgan.datasets.sources import PROCEDURAL_DATASETS as DATASETS  # noqa: F401


def option(default, help, flag=None, kind="text"):
    """A `TrainingConfig` field that `keras-vgan train` offers as `flag` (default: --field-name).

    `kind` says how the command line parses it: "count" (an integer >= 1),
    "integer", "number" (a float >= 0), "text", "pairs" (repeatable NAME=VALUE),
    or "switch" (a flag without a value that sets the field to True).
    """
    return dataclasses.field(default=default, metadata={"help": help, "flag": flag, "kind": kind})


@dataclasses.dataclass
class TrainingConfig:
    """Everything a training run needs; saved as `config.json` in the run directory.

    Every field with help text is a `keras-vgan train` flag. Model options set
    to None take the chosen architecture's default.
    """

    dataset: str = option("moving_digits", "built-in dataset: moving_digits, bouncing_shapes or photo_clips "
                                           "(real photographs under a simulated moving camera)")
    data: str = option(None, "a folder of videos or frame folders, a glob, .npy, TFRecord shards or tfds:NAME "
                             "(instead of --dataset)")
    num_videos: int = option(2048, "how many built-in videos to render", kind="count")
    clips_per_video: int = option(None, "clips sampled from each video file of --data", kind="count")
    layout: str = option(None, "axis order of a --data .npy array: NTHW or TNHW (frames first); "
                               "default: read from its shape")
    num_objects: tuple = option((1, 2), "digits or shapes per built-in clip", kind="count")
    frames: int = option(16, "frames per clip", kind="count")
    height: int = option(64, "frame height in pixels (--size sets height and width)", kind="count")
    width: int = option(64, "frame width in pixels", kind="count")
    channels: int = option(1, "1 (grayscale) or 3 (RGB)", kind="count")
    task: str = option("generate", "generate (noise -> clips, a VideoGAN), predict (the first --context frames "
                                   "-> the next --future, a TranslationGAN), enhance (a --degradation of each clip "
                                   "-> the clip, a TranslationGAN) or animate (a clip's first frame -> the clip, an "
                                   "AnimationGAN: image-to-video); --task predict, enhance and animate start from "
                                   "their own preset")
    context: int = option(10, "--task predict: frames the predictor reads", kind="count")
    future: int = option(10, "--task predict: frames it predicts (--frames must be context + future)", kind="count")
    degradation: str = option(None, "--task enhance: what the model learns to undo: sr (downscaling by --scale), "
                                    "denoise (Gaussian noise of --noise-sigma), denoise_poisson, deblock (H.264 at "
                                    "--crf), inpaint, inpaint_scribbles or inpaint_dropped_frames")
    scale: int = option(4, "--degradation sr: the downscaling factor, 2 or 4", kind="count")
    noise_sigma: float = option(25.0, "--degradation denoise: noise standard deviation in [0, 255] levels",
                                kind="number")
    crf: int = option(35, "--degradation deblock: libx264's constant rate factor, 0-51", kind="integer")
    degradation_options: dict = option(None, "a further degradation option, NAME=VALUE (repeatable), e.g. "
                                             "blur_sigma=1.0 or sigma=[5,50] (a range drawn per clip)",
                                       flag="--degradation-option", kind="pairs")
    l1_weight: float = option(100.0, "--task predict/enhance: weight of the L1 reconstruction term (dominant); "
                                     "--task animate: of frame 0's L1 (the picture redrawn)",
                              kind="number")
    l2_weight: float = option(0.0, "--task predict/enhance: weight of an L2 reconstruction term", kind="number")
    gradient_difference_weight: float = option(0.0, "--task predict/enhance: weight of the gradient difference loss "
                                                    "(Mathieu et al. 2016)", kind="number")
    temporal_weight: float = option(0.0, "--task predict/enhance: weight of the temporal consistency term (L1 "
                                         "between output and target frame-to-frame changes, against flicker)",
                                    kind="number")
    temporal_motion: str = option("none", "--temporal-weight: what the temporal term compensates before comparing "
                                          "changes: none, or camera (the target's pan, zoom and rotation, "
                                          "estimated per frame pair), so texture that moves with the scene is not "
                                          "counted as flicker")
    perceptual_weight: float = option(0.0, "--task predict/enhance: weight of the perceptual loss (L1 between the "
                                           "features of output and target in the offline Kinetics I3D's first "
                                           "layers; needs its weights, as FVD does)", kind="number")
    perceptual_layer: str = option("Conv3d_2c_3x3", "--perceptual-weight: the I3D layer whose features are "
                                                    "compared: Conv3d_1a_7x7, Conv3d_2b_1x1 or Conv3d_2c_3x3")
    adversarial_weight: float = option(1.0, "weight of the adversarial loss in G's objective; 0 with --task "
                                            "predict trains on reconstruction alone (no discriminator)",
                                       kind="number")
    conditional: bool = option(False, "class-conditional generation: train on (clip, label) pairs (the digit or "
                                      "shape of a built-in clip, which needs --num-objects 1; the class folders or "
                                      "labels of --data) and generate a chosen class; the class names are saved "
                                      "in class_names.json", kind="switch")
    mismatch_weight: float = option(0.0, "--conditional: weight of the matching-aware term (D scores a real clip "
                                         "under a wrong label as fake, which teaches G to obey its label)",
                                    kind="number")
    classification_weight: float = option(0.0, "--conditional: weight of AC-GAN's class terms (a class head on D "
                                               "learns the real clips' labels and scores G's clips; the model needs "
                                               "the auxiliary_classifier option, which this turns on)",
                                          kind="number")
    classification_fake_class: bool = option(False, "--classification-weight: the class head also learns the "
                                                    "generated clips, as a class of their own (a K+1-way head), so G "
                                                    "can satisfy it only with clips like the real ones of its class",
                                             kind="switch")
    mode_seeking_weight: float = option(0.0, "weight of the mode-seeking term (MSGAN: two noises should give two "
                                             "different clips; against a conditioned G ignoring its noise)",
                                        kind="number")
    model: str = option("conv3d", "architecture (see the list below)")
    model_options: dict = option(None, "an architecture option, NAME=VALUE (repeatable; see the list below)",
                                 flag="--model-option", kind="pairs")
    latent_dim: int = option(None, "noise size (default: the architecture's)", kind="count")
    generator_filters: int = option(None, "width of the generator's last hidden layer", kind="count")
    discriminator_filters: int = option(None, "width of the discriminator's first layer", kind="count")
    discriminator_normalization: str = option(None, "none, layer, batch or spectral")
    augment: str = option(None, "DiffAugment policy applied to real and fake clips before D, e.g. "
                                "color,translation,cutout (default: none)")
    loss: str = option("non_saturating", "minimax, non_saturating, hinge, wasserstein, least_squares or "
                                         "relativistic (ESRGAN's relativistic average)")
    gradient_penalty_weight: float = option(0.0, "WGAN-GP weight (10 is usual)", flag="--gradient-penalty",
                                            kind="number")
    r1_weight: float = option(0.0, "R1 penalty weight", flag="--r1", kind="number")
    r1_interval: int = option(1, "apply R1 every N steps, with its weight times N (lazy R1)", kind="count")
    label_smoothing: float = option(0.0, "one-sided label smoothing", kind="number")
    discriminator_steps: int = option(1, "D updates per G update", kind="count")
    discriminator_warmup: int = option(0, "D-only updates against the starting generator before training (for "
                                          "adversarial fine-tuning of an --init-generator); not repeated on resume",
                                       kind="integer")
    g_learning_rate: float = option(2e-4, "generator learning rate", flag="--g-lr", kind="number")
    d_learning_rate: float = option(2e-4, "discriminator learning rate", flag="--d-lr", kind="number")
    beta_1: float = option(0.5, "Adam's beta_1 for both optimizers", kind="number")
    clipnorm: float = option(None, "clip each gradient to this norm", kind="number")
    ema_decay: float = option(0.999, "decay of the generator's weight average", kind="number")
    init_generator: str = option(None, "start the generator (and its weight average) from this run directory's "
                                       "or .keras file's generator of the same architecture, e.g. an L1-only "
                                       "restorer before adversarial fine-tuning; a resumed run keeps its "
                                       "checkpoint's weights")
    batch_size: int = option(16, "clips per step", kind="count")
    epochs: int = option(10, "epochs to train", kind="count")
    steps_per_epoch: int = option(100, "steps per epoch", kind="count")
    sample_every: int = option(1, "write samples every N epochs", kind="count")
    num_samples: int = option(8, "videos per sample grid", kind="count")
    checkpoint_every: int = option(50, "steps between resumable checkpoints", kind="count")
    log_every: int = option(None, "also log TensorBoard scalars every N steps (default: once per epoch)",
                            kind="count")
    precision: str = option("auto", "auto, float32, mixed_bfloat16 or mixed_float16")
    jit_compile: str = option("auto", "auto, on or off: XLA-compile the training step (auto: GPU/TPU only)")
    strategy: str = option("auto", "tf.distribute strategy: auto, default, mirrored, multi-worker (TF_CONFIG) or "
                                   "tpu (auto: TPU if configured, multi-worker if TF_CONFIG names a cluster, mirrored "
                                   "on several GPUs, else default)")
    seed: int = option(0, "random seed", kind="integer")

    def __post_init__(self):
        if isinstance(self.num_objects, list):  # from config.json
            self.num_objects = tuple(self.num_objects)
        self.model_options = dict(self.model_options or {})
        # From the command line (NAME=VALUE pairs) or config.json (lists for ranges): ranges as tuples.
        self.degradation_options = {name: tuple(value) if isinstance(value, list) else value
                                    for name, value in dict(self.degradation_options or {}).items()}

    # The degradation option each dedicated field stands for.
    DEGRADATION_FIELDS = {"sr": ("scale", "scale"), "denoise": ("sigma", "noise_sigma"), "deblock": ("crf", "crf")}

    def make_degradation(self):
        """The `Degradation` of `task="enhance"`: `degradation` with its field (--scale, --noise-sigma, --crf)
        and `degradation_options`; ValueError naming a bad value.

        Example:
        >>> TrainingConfig(task="enhance", model="restorer", degradation="sr", scale=2).make_degradation()
        Downsample(scale=2, blur_sigma=0.0)
        """
        from keras_vgan.datasets.degradations import make_degradation

        if self.degradation is None:
            raise ValueError("degradation=None is not valid for task='enhance'; expected --degradation NAME "
                             "(sr, denoise, deblock, inpaint, …)")
        options = {}
        if self.degradation in self.DEGRADATION_FIELDS:
            option_name, field_name = self.DEGRADATION_FIELDS[self.degradation]
            options[option_name] = getattr(self, field_name)
        return make_degradation(self.degradation, **{**options, **self.degradation_options})

    def model_arguments(self):
        """The keyword options of `build_architecture`: the set fields and `model_options` (None = default)."""
        common = {"latent_dim": self.latent_dim, "generator_filters": self.generator_filters,
                  "discriminator_filters": self.discriminator_filters,
                  "discriminator_normalization": self.discriminator_normalization}
        clash = sorted(set(common) & set(self.model_options))
        if clash:
            raise ValueError(f"model option(s) {clash} are fields of their own; expected them as --"
                             f"{clash[0].replace('_', '-')} rather than --model-option")
        if self.classification_weight:
            from keras_vgan.models.conditioning import FAKE_CLASS

            # The class head the terms score with.
            common["auxiliary_classifier"] = FAKE_CLASS if self.classification_fake_class else True
        return {**common, **self.model_options}

    def validate(self):
        """Check everything that needs no TensorFlow graph; ValueError naming the first bad value."""
        from keras_vgan import distribute, losses, precision
        from keras_vgan.models.layout import video_layout
        from keras_vgan.models.zoo import ARCHITECTURES, TASKS, check_options, get_architecture
        from keras_vgan.validation import check_choice

        if self.channels not in (1, 3):
            raise ValueError(f"channels={self.channels!r} is not valid; expected 1 or 3")
        video_layout(self.frames, self.height, self.width)
        losses.get_adversarial_loss(self.loss)
        precision.resolve_precision(self.precision)
        precision.resolve_jit_compile(self.jit_compile)
        distribute.resolve_strategy_name(self.strategy)
        check_options(self.model, self.model_arguments())
        check_choice("task", self.task, TASKS)
        task = get_architecture(self.model).task
        if task != self.task:
            raise ValueError(f"model={self.model!r} is a {task!r} architecture, not valid for task={self.task!r}; "
                             f"expected one of {[a.name for a in ARCHITECTURES.values() if a.task == self.task]}")
        self._validate_conditional(get_architecture(self.model))
        if self.task == "predict" and self.frames != self.context + self.future:
            raise ValueError(f"frames={self.frames} is not valid with context={self.context} and "
                             f"future={self.future}; expected frames = context + future = "
                             f"{self.context + self.future}")
        if not isinstance(self.discriminator_warmup, int) or self.discriminator_warmup < 0:
            raise ValueError(f"discriminator_warmup={self.discriminator_warmup!r} is not valid; expected an integer "
                             ">= 0 (D-only steps)")
        if self.discriminator_warmup and self.task in ("predict", "enhance") and not self.adversarial_weight:
            raise ValueError(f"discriminator_warmup={self.discriminator_warmup} is not valid with "
                             "adversarial_weight=0, which trains no discriminator; expected 0")
        if float(self.mode_seeking_weight) < 0.0:
            raise ValueError(f"mode_seeking_weight={self.mode_seeking_weight!r} is not valid; expected a number "
                             ">= 0")
        if self.task == "animate" and not self.l1_weight:
            raise ValueError(f"l1_weight={self.l1_weight!r} is not valid for task='animate'; expected a weight > 0 "
                             "for frame 0's L1 (without it nothing holds the clip to the picture)")
        if self.task == "animate" and self.adversarial_weight == 0:
            raise ValueError("adversarial_weight=0 is not valid for task='animate'; expected a weight > 0 (the "
                             "adversary is what teaches the motion after frame 0)")
        if self.task in ("predict", "enhance") and not (self.adversarial_weight or self.l1_weight or self.l2_weight
                                                        or self.gradient_difference_weight or self.temporal_weight
                                                        or self.perceptual_weight):
            raise ValueError("adversarial_weight, l1_weight, l2_weight, gradient_difference_weight, "
                             "temporal_weight and perceptual_weight are all 0; expected at least one term to train "
                             "on")
        from keras_vgan.loss_terms import TemporalConsistency

        from keras_vgan.metrics.i3d import STEM_UNITS

        check_choice("temporal_motion", self.temporal_motion, TemporalConsistency.MOTIONS)
        check_choice("perceptual_layer", self.perceptual_layer, STEM_UNITS)
        if self.task == "enhance":
            from keras_vgan.models.restorers import SCALES
            from keras_vgan.models.zoo import restoration_geometry

            degradation = self.make_degradation()
            degradation.check_clip_shape((self.frames, self.height, self.width, self.channels))
            scale, _ = restoration_geometry(degradation, self.frames, self.height, self.width, self.channels)
            if scale not in SCALES:
                raise ValueError(f"scale={scale} is not valid for the restorers; expected one of {list(SCALES)}")
        elif self.degradation is not None or self.degradation_options:
            raise ValueError(f"degradation={self.degradation!r} is not valid for task={self.task!r}; expected "
                             "--task enhance with a degradation")
        if self.augment:
            from keras_vgan.diffaugment import DiffAugment

            DiffAugment(self.augment)
        return self

    def _validate_conditional(self, architecture):
        from keras_vgan.models.zoo import CONDITIONAL_OPTION, conditional_architectures

        if CONDITIONAL_OPTION in self.model_options:
            raise ValueError(f"model option {CONDITIONAL_OPTION}={self.model_options[CONDITIONAL_OPTION]!r} is not "
                             "valid; expected --conditional, which takes the classes from the data")
        if not isinstance(self.conditional, bool):
            raise ValueError(f"conditional={self.conditional!r} is not valid; expected True or False")
        for name in ("mismatch_weight", "classification_weight"):
            value = getattr(self, name)
            if float(value) < 0.0:
                raise ValueError(f"{name}={value!r} is not valid; expected a number >= 0")
            if value and not self.conditional:
                raise ValueError(f"{name}={value!r} is not valid without conditional=True; expected 0 (the term "
                                 "needs class labels)")
        if not isinstance(self.classification_fake_class, bool):
            raise ValueError(f"classification_fake_class={self.classification_fake_class!r} is not valid; expected "
                             "True or False")
        if self.classification_fake_class and not self.classification_weight:
            raise ValueError("classification_fake_class=True is not valid with classification_weight=0; expected a "
                             "classification_weight > 0 (the class terms it changes)")
        if not self.conditional:
            return
        if self.task != "generate":
            raise ValueError(f"conditional=True is not valid with task={self.task!r}; expected task='generate' "
                             "(a predictor is conditioned on its context frames, not on a class)")
        if not architecture.conditional:
            raise ValueError(f"conditional=True is not valid with model={self.model!r}, which has no "
                             f"class-conditional form; expected one of {conditional_architectures()}")
        objects = self.num_objects
        if not self.data and not (objects == 1 or (not isinstance(objects, (int, float)) and tuple(objects) == (1, 1))):
            raise ValueError(f"num_objects={objects!r} is not valid for a conditional run on dataset="
                             f"{self.dataset!r}; expected 1 (a clip's label is its one digit or shape: "
                             "--num-objects 1)")

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
        """A copy with the given fields changed; None leaves a field as it is."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


_PHOTO_ENHANCEMENT = dict(
    task="enhance", model="restorer", dataset="photo_clips", num_videos=4096, frames=8, height=64, width=64,
    channels=1, generator_filters=32, discriminator_filters=32, model_options={"residual_blocks": 6},
    l1_weight=100.0, temporal_weight=10.0, adversarial_weight=1.0, loss="hinge", g_learning_rate=5e-4,
    d_learning_rate=2e-4, beta_1=0.5, ema_decay=0.99, batch_size=16, epochs=20, steps_per_epoch=100,
    checkpoint_every=100, sample_every=4, num_samples=4,
)
# Each gradient clipped to norm 1 and a lower G rate: at 5e-4 unclipped the full-resolution denoiser blew up
# after 2,000 steps (L1 from 0.04 to 58) and never came back below 0.10.
_FULL_RESOLUTION = dict(height=32, width=32, clipnorm=1.0, g_learning_rate=3e-4)
# Photo SR draws at every octave (one x2 sub-pixel stage each, a convolution at the new size, 16 wide): with one
# sub-pixel step straight to x4 and no convolution at full size, adversarial fine-tuning only sharpened edges the
# L1 restorer already drew (BENCHMARKS.md, "progressive upsampling"). 16 wide, not the body's 32: at 32 the L1
# stage alone would have taken about an hour.
_PROGRESSIVE_SR = dict(model_options={**_PHOTO_ENHANCEMENT["model_options"], "upsampling": "progressive",
                                      "upsampling_filters": 16})
# The PSNR-oriented first stage of a two-stage restorer: L1 alone, with Adam's usual momentum since there is no
# adversary to keep up with; a fine-tuning preset then starts from it (init_generator).
_L1_ONLY = dict(adversarial_weight=0.0, temporal_weight=0.0, beta_1=0.9)
# The quickstart's data and schedule: 2,400 steps of 16 clips of 16×32×32 moving digits.
_QUICKSTART_SCHEDULE = dict(dataset="moving_digits", num_videos=4096, frames=16, height=32, width=32, channels=1,
                            batch_size=16, epochs=20, steps_per_epoch=120, ema_decay=0.9, checkpoint_every=120,
                            sample_every=4)

PRESETS = {
    # The README's first command: a moving-digits GAN within 10 minutes on 2 CPU cores.
    # benchmarks/quality.py chose it (BENCHMARKS.md, 2026-12-07): layered sprites, each digit drawn once per
    # clip by a 2D generator and moved rigidly over black, against the conv3d recipe's D. At 4,400 steps:
    # 6.3x the FVD floor with 32 generator filters, 5.2x with 64, 4.1x with 128, where every conv3d recipe
    # stayed at 8.5-14.5x (soft strokes, grey speckle, digits that change shape as they move). G's width
    # costs little: its 2D generator draws 2 sprites of 16x16 a clip, and D's 3D convolutions set the step.
    "quickstart": TrainingConfig(
        **{**_QUICKSTART_SCHEDULE, "epochs": 40, "steps_per_epoch": 110, "checkpoint_every": 440,
           "sample_every": 4},
        model="sprites", latent_dim=64, generator_filters=128, discriminator_filters=32,
        discriminator_normalization="batch",
    ),
    # The quickstart before the sprites (1,100 steps, 9-15x the floor): the plain 3D generator with
    # resize-convolution (nearest-neighbour upsampling + a 3-wide Conv3D, 17.8x -> 8.8x against
    # Conv3DTranspose at the same wall time), batch norm in D (as DCGAN) and a short EMA.
    "quickstart-conv3d": TrainingConfig(
        **{**_QUICKSTART_SCHEDULE, "epochs": 10, "steps_per_epoch": 110, "checkpoint_every": 110,
           "sample_every": 2},
        model="conv3d", model_options={"upsampling": "resize", "generator_kernel_size": 3},
        latent_dim=64, generator_filters=32, discriminator_filters=32, discriminator_normalization="batch",
    ),
    # Class-conditional: the conv3d quickstart's networks (quickstart-conv3d) on clips of one object each,
    # labelled by the object (the digit, the shape kind), with what raised obedience in probes on moving digits:
    # AC-GAN's class head on D and its terms (1100 steps: 0.153 -> 0.356), class-conditional batch norm in G (4400: 0.766 by one
    # classifier), and a class for generated clips in the head (K+1-way; 2200 steps: 0.29 -> 0.51, three
    # classifiers' mean): the K-way head was satisfied by clips unlike the class. The projection D alone stayed
    # at chance; the matching-aware term (mismatch_weight) did not move it (0.109). benchmarks/conditional.py
    # (6600 steps, ~26 min each on the 2-core AMD EPYC): obedience 0.800 (digits), 1.000 (shapes); see
    # BENCHMARKS.md.
    "conditional-moving-digits": TrainingConfig(
        **{**_QUICKSTART_SCHEDULE, "epochs": 60, "steps_per_epoch": 110, "checkpoint_every": 550,
           "sample_every": 10},
        conditional=True, num_objects=1, classification_weight=1.0, classification_fake_class=True,
        model="conv3d", model_options={"upsampling": "resize", "generator_kernel_size": 3,
                                       "class_normalization": True},
        latent_dim=64, generator_filters=32, discriminator_filters=32, discriminator_normalization="batch",
    ),
    "conditional-bouncing-shapes": TrainingConfig(
        **{**_QUICKSTART_SCHEDULE, "dataset": "bouncing_shapes", "channels": 3, "epochs": 60,
           "steps_per_epoch": 110, "checkpoint_every": 550, "sample_every": 10},
        conditional=True, num_objects=1, classification_weight=1.0, classification_fake_class=True,
        model="conv3d", model_options={"upsampling": "resize", "generator_kernel_size": 3,
                                       "class_normalization": True},
        latent_dim=64, generator_filters=32, discriminator_filters=32, discriminator_normalization="batch",
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
    # One preset per architecture, all on the quickstart's data and schedule, so that
    # benchmarks/quality.py compares architectures at one budget.
    "conv3d": TrainingConfig(**_QUICKSTART_SCHEDULE, model="conv3d", latent_dim=64, generator_filters=32,
                             discriminator_filters=32, discriminator_normalization="batch"),
    "vgan": TrainingConfig(**_QUICKSTART_SCHEDULE, model="vgan", latent_dim=64, generator_filters=32,
                           discriminator_filters=32, discriminator_normalization="batch"),
    "tgan": TrainingConfig(**_QUICKSTART_SCHEDULE, model="tgan", latent_dim=64, generator_filters=32,
                           discriminator_filters=32, loss="hinge"),
    "mocogan": TrainingConfig(**_QUICKSTART_SCHEDULE, model="mocogan", generator_filters=32, discriminator_filters=32,
                              discriminator_normalization="batch"),
    "dvd-gan": TrainingConfig(**_QUICKSTART_SCHEDULE, model="dvd-gan", latent_dim=64, generator_filters=32,
                              discriminator_filters=32, loss="hinge"),
    "sprites": TrainingConfig(**_QUICKSTART_SCHEDULE, model="sprites", latent_dim=64, generator_filters=32,
                              discriminator_filters=32, discriminator_normalization="batch"),
    # The VGAN-sized model of the benchmarks: 16×64×64×3, about 23 M parameters.
    "vgan-64": TrainingConfig(
        dataset="bouncing_shapes", frames=16, height=64, width=64, channels=3, latent_dim=100,
        generator_filters=64, discriminator_filters=64, batch_size=16, epochs=50, steps_per_epoch=500,
    ),
    # Frame prediction on built-in moving digits (two digits a clip, 64x64, 10 -> 10 frames), trained within
    # 45 minutes on the 2-core CPU: a ConvLSTM predictor with L1 x 100 (dominant) + a hinge adversary that
    # judges context + future together (at half resolution: a quarter of its cost, for the motion).
    # benchmarks/prediction.py scores it against copy-last-frame and the same network trained L1-only (the
    # next preset). 400 steps: after 300 the L1-only model already beat copy-last at every step.
    "predict-moving-digits": TrainingConfig(
        task="predict", model="convlstm", dataset="moving_digits", num_videos=4096, num_objects=2, frames=20,
        context=10, future=10, height=64, width=64, channels=1, generator_filters=16, discriminator_filters=16,
        model_options={"discriminator_pool_space": True},
        l1_weight=100.0, adversarial_weight=1.0, loss="hinge", g_learning_rate=1e-3, d_learning_rate=2e-4,
        beta_1=0.5, ema_decay=0.98, batch_size=16, epochs=8, steps_per_epoch=50, checkpoint_every=50,
        sample_every=2, num_samples=4,
    ),
    "predict-moving-digits-l1": TrainingConfig(
        task="predict", model="convlstm", dataset="moving_digits", num_videos=4096, num_objects=2, frames=20,
        context=10, future=10, height=64, width=64, channels=1, generator_filters=16, discriminator_filters=16,
        l1_weight=100.0, adversarial_weight=0.0, g_learning_rate=1e-3, beta_1=0.5, ema_decay=0.98,
        batch_size=16, epochs=8, steps_per_epoch=50, checkpoint_every=50, sample_every=2, num_samples=4,
    ),
    # Image-to-video on built-in moving digits (32x32x16, as the quickstart): the animator moves 4 rigid copies of
    # the picture under masks (frame 0 is the picture), a hinge adversary that sees picture + clip teaches the
    # motion, with a D as fast as G (TTUR) and the mode-seeking term against one motion per picture (weight 0.1:
    # at 1 it was 20-35, most of G's loss, while its clips for two noises still barely differed).
    # benchmarks/animation.py scores frame 0's PSNR against the picture and the motion against real clips'.
    "animate-moving-digits": TrainingConfig(
        task="animate", model="animator", dataset="moving_digits", num_videos=4096, frames=16,
        height=32, width=32, channels=1, latent_dim=32, generator_filters=16, discriminator_filters=32,
        l1_weight=100.0, adversarial_weight=1.0, mode_seeking_weight=0.1, loss="hinge", g_learning_rate=5e-4,
        d_learning_rate=4e-4, beta_1=0.5, ema_decay=0.98, batch_size=16, epochs=10, steps_per_epoch=120,
        checkpoint_every=120, sample_every=2, num_samples=4,
    ),
    # Enhancement on built-in moving digits (8 frames of 32x32): a restorer that starts at the identity and
    # learns the residual, L1 x 100 (dominant) + a temporal consistency term against flicker + a hinge
    # adversary that sees the degraded input beside the output. `--task enhance` starts from the first.
    "enhance-denoise-moving-digits": TrainingConfig(
        task="enhance", model="restorer", degradation="denoise", noise_sigma=25.0, dataset="moving_digits",
        num_videos=2048, frames=8, height=32, width=32, channels=1, generator_filters=16, discriminator_filters=16,
        model_options={"residual_blocks": 4}, l1_weight=100.0, temporal_weight=10.0, adversarial_weight=1.0,
        loss="hinge", g_learning_rate=5e-4, d_learning_rate=2e-4, beta_1=0.5, ema_decay=0.98, batch_size=16,
        epochs=10, steps_per_epoch=50, checkpoint_every=50, sample_every=2, num_samples=4,
    ),
    "enhance-sr-moving-digits": TrainingConfig(
        task="enhance", model="restorer", degradation="sr", scale=4, dataset="moving_digits", num_videos=2048,
        frames=8, height=32, width=32, channels=1, generator_filters=16, discriminator_filters=16,
        model_options={"residual_blocks": 4}, l1_weight=100.0, temporal_weight=10.0, adversarial_weight=1.0,
        loss="hinge", g_learning_rate=5e-4, d_learning_rate=2e-4, beta_1=0.5, ema_decay=0.98, batch_size=16,
        epochs=10, steps_per_epoch=50, checkpoint_every=50, sample_every=2, num_samples=4,
    ),
    # Enhancement of real footage: `photo_clips` films seven real photographs with a simulated moving camera (the
    # two held-out ones score it: benchmarks/enhancement.py). 8 gray frames; 32 filters, 6 residual blocks. The
    # -l1 preset is the PSNR-oriented baseline (no discriminator); the others add a hinge adversary that sees the
    # degraded input and a temporal term against flicker, over L1 x 100 (dominant). Super-resolution sees 64x64
    # clips (16x16 inputs); the full-resolution tasks 32x32 ones, whose convolutions cost 16x more a clip.
    "enhance-sr-photos-l1": TrainingConfig(**{**_PHOTO_ENHANCEMENT, **_L1_ONLY, **_PROGRESSIVE_SR, "epochs": 40},
                                           degradation="sr", scale=4),
    # The adversarial one starts from the L1-only restorer (ESRGAN's recipe: a PSNR-oriented network, then
    # adversarial fine-tuning), with L1 weighed less so the adversary has a say in the texture. The adversary's
    # texture is what flickered while the temporal term compared raw frame changes: that asks detail to stay put
    # on the screen while the camera moves, so it fought coherent texture as much as flicker (1.35x the truth's
    # warping error at adversarial weight 1; 1.19x at 0.3, barely sharper than L1). Compared after undoing the
    # truth's camera motion (temporal_motion="camera"), it lets texture move with the scene: at weight 1 with the
    # temporal term at 30, 1.18x the truth's warping error and the most detail measured, and with the progressive
    # restorer 1.15x and visibly sharper than the L1 one (BENCHMARKS.md).
    "enhance-sr-photos": TrainingConfig(**{**_PHOTO_ENHANCEMENT, **_PROGRESSIVE_SR,
                                           "init_generator": "runs/enhance-sr-photos-l1",
                                           "l1_weight": 20.0, "temporal_weight": 30.0, "temporal_motion": "camera",
                                           "adversarial_weight": 1.0, "g_learning_rate": 1e-4, "epochs": 10},
                                        degradation="sr", scale=4),
    "enhance-denoise-photos": TrainingConfig(**{**_PHOTO_ENHANCEMENT, **_FULL_RESOLUTION, "epochs": 30},
                                             degradation="denoise", noise_sigma=25.0),
    # Deblocking gains little over its input (H.264's own loop filter already smooths the blocks), so an adversary
    # trained from scratch beside L1 cost more than the restorer won: 0.6 dB below the compressed input. As for SR,
    # an L1-only restorer first, then adversarial fine-tuning of it.
    "enhance-deblock-photos-l1": TrainingConfig(**{**_PHOTO_ENHANCEMENT, **_FULL_RESOLUTION, **_L1_ONLY, "epochs": 12},
                                                degradation="deblock", crf=40),
    "enhance-deblock-photos": TrainingConfig(**{**_PHOTO_ENHANCEMENT, **_FULL_RESOLUTION,
                                                "init_generator": "runs/enhance-deblock-photos-l1",
                                                "g_learning_rate": 1e-4, "epochs": 6},
                                             degradation="deblock", crf=40),
    "enhance-inpaint-photos": TrainingConfig(**{**_PHOTO_ENHANCEMENT, **_FULL_RESOLUTION, "epochs": 8},
                                             degradation="inpaint"),
    # UCF-101 for a GPU cluster (README "Training on a cluster"): the train shards of `keras-vgan prepare
    # data/UCF-101 data/ucf101_16x64 --ucf101-split 1 --frames 16 --size 64` (data/ucf101_16x128 and --size 128
    # for the 128 preset). batch_size is the global batch, split over every replica of every worker.
    # MoCoGAN (Tulyakov et al. 2018): 50-d content, 10-d GRU motion codes, Adam 2e-4 with beta_1 0.5, 16 frames.
    "ucf101-mocogan-64": TrainingConfig(
        dataset=None, data="data/ucf101_16x64/train", frames=16, height=64, width=64, channels=3, model="mocogan",
        model_options={"content_dim": 50, "motion_dim": 10}, generator_filters=64, discriminator_filters=64,
        discriminator_normalization="batch", g_learning_rate=2e-4, d_learning_rate=2e-4, beta_1=0.5,
        batch_size=64, epochs=100, steps_per_epoch=1000, checkpoint_every=500, sample_every=5, ema_decay=0.999,
    ),
    # DVD-GAN (Clark et al. 2019) at 128x128: spatial D on k = 8 frames + temporal D at half resolution, hinge
    # loss and spectral norm, 120-d noise, Adam with beta_1 0 and learning rates 1e-4 (G) / 5e-4 (D), batch 512,
    # and, as BigGAN on which it builds, two D steps per G step.
    "ucf101-dvd-gan-128": TrainingConfig(
        dataset=None, data="data/ucf101_16x128/train", frames=16, height=128, width=128, channels=3, model="dvd-gan",
        model_options={"frames_per_clip": 8}, latent_dim=120, generator_filters=64, discriminator_filters=64,
        discriminator_normalization="spectral", loss="hinge", g_learning_rate=1e-4, d_learning_rate=5e-4, beta_1=0.0,
        discriminator_steps=2, batch_size=512, epochs=100, steps_per_epoch=1000, checkpoint_every=500,
        sample_every=5, ema_decay=0.9999,
    ),
}


def get_preset(name):
    """A fresh copy of the preset called `name`."""
    if name not in PRESETS:
        raise ValueError(f"preset={name!r} is not known; expected one of {sorted(PRESETS)}")
    return dataclasses.replace(PRESETS[name])
