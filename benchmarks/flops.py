"""Analytic FLOPs of a `VideoGAN` training step, and the matmul peak to compare a step's rate with.

Counting: every Conv3D, Conv3DTranspose and Dense layer costs 2 FLOPs per
multiply-accumulate; normalization, activations and the optimizer are left
out (they are memory-bound and small next to the convolutions). Two totals
per training step:

* "3× rule": each network pass costs 3× its forward (forward + backward), so
  D step = G fwd + 3 · D fwd(real + fake) and G step = 3 · (G fwd + D fwd),
  i.e. 4 · G + 9 · D forwards per clip;
* "work done": what the graph really computes after TensorFlow prunes the
  gradients nobody asks for: no input gradient for the first layer of a
  network whose input is data or noise, no discriminator weight gradients in
  the generator step; i.e. per clip
  D step = G + 2 D (fwd) + 2 D (weight grads) + 2 (D - D₁) (input grads),
  G step = G + D (fwd) + D (input grads) + G (weight grads) + (G - G₁) (input grads).

The achieved rate of a step (in `training_throughput.py`) divides "work done"
by the measured step time; the matmul peak is `tf.matmul` of large square
matrices timed in the same run.

    python benchmarks/flops.py                    # counts for the presets + matmul peak
    python benchmarks/flops.py --matmul-size 1024  # smoke run
"""

import argparse
import sys

import common

TWO_FLOPS_PER_MAC = 2


def _spatial_size(shape):
    size = 1
    for dim in shape[1:-1]:
        size *= int(dim)
    return size


def layer_forward_macs(layer):
    """Multiply-accumulates of one forward pass of `layer` for one example (0 for layers not counted).

    Example:
    >>> import keras
    >>> dense = keras.layers.Dense(4)
    >>> _ = keras.Sequential([keras.Input((3,)), dense])
    >>> layer_forward_macs(dense)
    12
    """
    import keras

    inner = getattr(layer, "layer", None)  # e.g. SpectralNormalization wraps the real layer
    kind = inner if isinstance(inner, keras.layers.Layer) else layer
    if not isinstance(kind, (keras.layers.Conv3DTranspose, keras.layers.Conv3D, keras.layers.Dense)):
        return 0
    input_shape, output_shape = layer.input.shape, layer.output.shape
    if isinstance(kind, keras.layers.Conv3DTranspose):
        # Every input voxel is scattered through the whole kernel.
        kernel = kind.kernel_size[0] * kind.kernel_size[1] * kind.kernel_size[2]
        return _spatial_size(input_shape) * kernel * int(input_shape[-1]) * kind.filters
    if isinstance(kind, keras.layers.Conv3D):
        kernel = kind.kernel_size[0] * kind.kernel_size[1] * kind.kernel_size[2]
        return _spatial_size(output_shape) * kernel * int(input_shape[-1]) // kind.groups * kind.filters
    return _spatial_size(input_shape) * int(input_shape[-1]) * kind.units


def model_forward_macs(model):
    """[(layer name, MACs per example)] for the counted layers of `model`, input to output."""
    counted = [(layer.name, layer_forward_macs(layer)) for layer in model.layers]
    return [(name, macs) for name, macs in counted if macs]


def training_step_flops(generator, discriminator, batch_size):
    """{"3x_rule": FLOPs, "work_done": FLOPs, "generator_forward": ..., "discriminator_forward": ...} per step."""
    g_layers, d_layers = model_forward_macs(generator), model_forward_macs(discriminator)
    g, d = sum(m for _, m in g_layers), sum(m for _, m in d_layers)
    g_first, d_first = g_layers[0][1], d_layers[0][1]
    rule = 4 * g + 9 * d
    d_step = g + 2 * d + 2 * d + 2 * (d - d_first)
    g_step = g + d + d + g + (g - g_first)
    scale = TWO_FLOPS_PER_MAC * batch_size
    return {
        "generator_forward": TWO_FLOPS_PER_MAC * g,
        "discriminator_forward": TWO_FLOPS_PER_MAC * d,
        "3x_rule": scale * rule,
        "work_done": scale * (d_step + g_step),
    }


def config_step_flops(config):
    """`training_step_flops` for the models a `TrainingConfig` builds (float32 build; counts only)."""
    from keras_vgan.models import build_video_discriminator, build_video_generator

    generator = build_video_generator(config.frames, config.height, config.width, config.channels,
                                      latent_dim=config.latent_dim, base_filters=config.generator_filters)
    discriminator = build_video_discriminator(config.frames, config.height, config.width, config.channels,
                                              base_filters=config.discriminator_filters,
                                              normalization=config.discriminator_normalization)
    counts = training_step_flops(generator, discriminator, config.batch_size)
    counts["parameters"] = generator.count_params() + discriminator.count_params()
    return counts


def matmul_peak_gflops(dtype="float32", size=4096, warmup=2, repeats=5):
    """Median GFLOP/s of `tf.matmul` on two size×size matrices of `dtype` (float32 or bfloat16)."""
    import tensorflow as tf

    a = tf.random.uniform([size, size], dtype=tf.float32)
    b = tf.random.uniform([size, size], dtype=tf.float32)
    a, b = tf.cast(a, dtype), tf.cast(b, dtype)

    @tf.function
    def product():
        return tf.reduce_sum(tf.cast(tf.matmul(a, b)[:1, :1], tf.float32))

    times = common.time_calls(lambda: product().numpy(), warmup, repeats)
    return 2 * size**3 / common.median(times) / 1e9


def main(argv=None):
    parser = argparse.ArgumentParser(description="FLOPs per training step of the presets, and the matmul peak.")
    parser.add_argument("--models", nargs="+", default=list(common.DEFAULT_MODELS))
    parser.add_argument("--matmul-size", type=int, default=4096)
    args = parser.parse_args(argv)
    rows = []
    for name in args.models:
        config = common.model_config(name)
        counts = config_step_flops(config)
        rows.append([name, f"{config.frames}×{config.height}×{config.width}×{config.channels}", config.batch_size,
                     f"{counts['parameters'] / 1e6:.1f} M", f"{counts['generator_forward'] / 1e9:.3f}",
                     f"{counts['discriminator_forward'] / 1e9:.3f}", f"{counts['3x_rule'] / 1e9:.1f}",
                     f"{counts['work_done'] / 1e9:.1f}"])
    print(common.markdown_table(
        ["model", "clip", "batch", "params", "G fwd GFLOP/clip", "D fwd GFLOP/clip", "GFLOP/step (3× rule)",
         "GFLOP/step (work done)"], rows))
    print()
    peaks = [[dtype, f"{matmul_peak_gflops(dtype, args.matmul_size):.0f}"] for dtype in ("float32", "bfloat16")]
    print(common.markdown_table([f"tf.matmul {args.matmul_size}² dtype", "GFLOP/s"], peaks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
