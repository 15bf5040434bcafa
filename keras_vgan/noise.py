"""Latent noise that is a pure function of a seed.

`generate`, the sample callbacks, `keras-vgan sample` and the exported
SavedModel's `sample(num_videos, seed)` signature all draw noise through
`latent_noise`, so the same seed gives the same videos everywhere, in-process
or served by TensorFlow alone.
"""

import keras
import tensorflow as tf


def latent_noise(num_videos, latent_dim, seed):
    """Standard-normal noise of shape (num_videos, latent_dim), float32.

    Stateless: the result depends only on the arguments, on any device.

    Example:
    >>> a = latent_noise(2, 8, seed=3)
    >>> bool(tf.reduce_all(a == latent_noise(2, 8, seed=3)))
    True
    """
    seed = tf.cast(seed, tf.int32)
    return tf.random.stateless_normal(
        shape=tf.stack([tf.cast(num_videos, tf.int32), tf.cast(latent_dim, tf.int32)]),
        seed=tf.stack([seed, tf.constant(0, tf.int32)]),
        dtype=tf.float32,
    )


def _batch_shape(num_videos, shape):
    return tf.concat([[tf.cast(num_videos, tf.int32)], tf.constant(shape, tf.int32)], axis=0)


def _noise_for_input(num_videos, shape, seed, index):
    # Input 0 of shape (d,) draws exactly `latent_noise(n, d, seed)`: a model with one noise
    # vector samples the same videos as before the spec existed, and as its exported SavedModel.
    if len(shape) == 1 and index == 0:
        return latent_noise(num_videos, shape[0], seed)
    return tf.random.stateless_normal(
        _batch_shape(num_videos, shape), seed=tf.stack([tf.cast(seed, tf.int32), tf.constant(index, tf.int32)]), dtype=tf.float32)


CONDITION_INPUT = "condition"


@keras.saving.register_keras_serializable(package="keras_vgan")
class NoiseSpec:
    """The noise a generator takes: one standard-normal tensor per named input.

    A generator declares its inputs by name: the input called `condition`
    (if any) takes the condition, every other input takes noise of the shape
    the input declares. One vector (`noise`: (latent_dim,)) is the common
    case; MoCoGAN's `content` (50,) plus per-frame `motion` (T, 10) codes are
    two entries. Every noise draw of training, sampling, interpolation and
    the exported SavedModel goes through `sample`, so structured noise works
    everywhere plain noise does. Subclass and override `sample` for other
    distributions.

    Example:
    >>> spec = NoiseSpec({"content": (4,), "motion": (8, 2)})
    >>> {name: tuple(value.shape) for name, value in spec.sample(3, seed=0).items()}
    {'content': (3, 4), 'motion': (3, 8, 2)}
    """

    def __init__(self, shapes, allow_empty=False):
        if not isinstance(shapes, dict) or not (shapes or allow_empty):
            raise ValueError(f"shapes={shapes!r} is not valid; expected a non-empty dict of input name -> shape")
        # A deterministic translation model (a predictor, a restorer) takes no noise at all.
        self.allow_empty = bool(allow_empty)
        self.shapes = {}
        for name, shape in shapes.items():
            shape = tuple(shape)
            if not shape or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape):
                raise ValueError(f"noise input {name!r} has shape {shape!r}; expected fully known positive sizes "
                                 "(a generator's noise inputs need static shapes)")
            self.shapes[str(name)] = shape

    @classmethod
    def from_generator(cls, generator, condition_input=CONDITION_INPUT, required=True):
        """The spec of every input of `generator` except the one named `condition_input`.

        `required=False` accepts a generator with no noise input (an empty spec).
        """
        shapes = {}
        for tensor in generator.inputs:
            name = _input_name(tensor)
            if name == condition_input:
                continue
            shape = tuple(None if d is None else int(d) for d in tensor.shape[1:])
            if not shape or None in shape or not str(tensor.dtype).startswith(("float", "bfloat")):
                raise ValueError(
                    f"generator input {name!r} of shape {shape} and dtype {tensor.dtype} is not valid noise; "
                    f"expected float noise of a known shape, or, if it takes the condition, the name "
                    f"{condition_input!r} (keras.Input(..., name={condition_input!r}))")
            shapes[name] = shape
        if not shapes and required:
            raise ValueError(f"generator {generator.name!r} has no noise input; expected at least one input "
                             f"not named {condition_input!r}")
        return cls(shapes, allow_empty=not required)

    @property
    def names(self):
        return tuple(self.shapes)

    @property
    def latent_dim(self):
        """The size of the one noise vector; None for structured noise."""
        if len(self.shapes) == 1:
            (shape,) = self.shapes.values()
            if len(shape) == 1:
                return shape[0]
        return None

    def sample(self, num_videos, seed=None):
        """A dict of noise tensors for `num_videos` videos; with a seed, a pure function of it."""
        if seed is None:
            return {name: tf.random.normal(_batch_shape(num_videos, shape)) for name, shape in self.shapes.items()}
        return {name: _noise_for_input(num_videos, shape, seed, index)
                for index, (name, shape) in enumerate(self.shapes.items())}

    def standardize(self, noise):
        """`noise` as a dict of float32 tensors with the spec's shapes: a bare array is the only input's."""
        if not isinstance(noise, dict):
            if len(self.shapes) != 1:
                raise ValueError(f"noise of type {type(noise).__name__} is not valid for structured noise; "
                                 f"expected a dict with keys {list(self.shapes)}")
            noise = {self.names[0]: noise}
        if set(noise) != set(self.shapes):
            raise ValueError(f"noise with keys {sorted(noise)} is not valid; expected keys {sorted(self.shapes)}")
        result, count = {}, None
        for name, shape in self.shapes.items():
            value = tf.convert_to_tensor(noise[name], tf.float32)
            if tuple(value.shape[1:]) != shape or value.shape.rank != len(shape) + 1:
                raise ValueError(f"noise {name!r} of shape {tuple(value.shape)} is not valid; "
                                 f"expected (N, {', '.join(map(str, shape))})")
            if count is not None and value.shape[0] != count:
                raise ValueError(f"noise {name!r} has {value.shape[0]} rows, the others {count}; expected the same N")
            count = value.shape[0]
            result[name] = value
        return result

    def get_config(self):
        return {"shapes": {name: list(shape) for name, shape in self.shapes.items()}, "allow_empty": self.allow_empty}

    @classmethod
    def from_config(cls, config):
        return cls(config["shapes"], allow_empty=config.get("allow_empty", False))

    def __repr__(self):
        return f"NoiseSpec({self.shapes!r})"


def _input_name(tensor):
    # A functional input's name is the one given to keras.Input(name=...).
    return getattr(tensor, "name", None) or str(tensor)

