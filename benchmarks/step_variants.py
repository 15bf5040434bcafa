"""A/B timings of candidate speed-ups of the training step, before they go into the library.

Neither prototype below is in the library: in 3-round A/B runs on the 2-core
development CPU they did not change the vgan-64 step's wall time beyond the
noise, although the profiler shows them doing less work (BENCHMARKS.md).

Variants (each applied in its own fresh process, on top of `build_gan`):

* `baseline`: the library as it is;
* `fused_bn`: the BatchNormalization layers (G's, and D's where it has them) run TensorFlow's fused
  kernel (`FusedBatchNormV3`, 5D NDHWC) on the compute dtype, instead of
  Keras 3's unfused moments + normalize in float32 with casts around it;
* `fused_adam`: Adam's update as one `ResourceApplyAdam` kernel per variable
  instead of ~10 elementwise ops (same formula as Keras's Adam);
* `inter_op_1`: `tf.config.threading.set_inter_op_parallelism_threads(1)`, so
  two ops never compete for the 2 cores;
* combinations, e.g. `fused_bn+fused_adam`.

Rounds interleave the variants (A B C A B C …) so that a change of load hits
all of them alike; the table gives each variant's median over all rounds.
`--check` first verifies that the prototypes compute what Keras's layers do.

    python benchmarks/step_variants.py --model vgan-64 --precisions float32 auto --rounds 3
    python benchmarks/step_variants.py --model quickstart --filters 8 --rounds 1 --steps 2 --check   # smoke
"""

import argparse
import json
import os
import sys

import common

VARIANT_PARTS = ("fused_bn", "fused_adam", "inter_op_1")


def fused_batch_normalization_class():
    """A `keras.layers.BatchNormalization` whose 4D/5D channels-last path is TF's fused kernel."""
    import keras
    import tensorflow as tf

    class FusedBatchNormalization(keras.layers.BatchNormalization):
        """Same weights, config and (up to float rounding) results as BatchNormalization, one kernel.

        Keras 3 normalizes with separate moments/normalize ops in float32 and
        casts around them; `FusedBatchNormV3` reads bf16/float16 inputs
        directly with float32 statistics and does it in one pass each way.
        """

        def _can_fuse(self, inputs, mask):
            rank = len(inputs.shape)
            return (mask is None and rank in (4, 5) and self.axis in (-1, rank - 1) and not self.renorm
                    and not self.synchronized and inputs.dtype in (tf.float32, tf.bfloat16, tf.float16))

        def call(self, inputs, training=None, mask=None):
            if not self._can_fuse(inputs, mask):
                return super().call(inputs, training=training, mask=mask)
            channels = inputs.shape[-1]
            scale = self.gamma if self.scale else tf.ones([channels])
            offset = self.beta if self.center else tf.zeros([channels])
            data_format = "NHWC" if len(inputs.shape) == 4 else "NDHWC"
            if training and self.trainable:
                outputs, batch_mean, batch_variance, *_ = tf.raw_ops.FusedBatchNormV3(
                    x=inputs, scale=scale, offset=offset, mean=tf.zeros([channels]), variance=tf.ones([channels]),
                    epsilon=self.epsilon, exponential_avg_factor=1.0, data_format=data_format, is_training=True)
                # The kernel returns the unbiased variance; Keras's moving average takes the biased one.
                count = tf.cast(tf.size(inputs) // channels, tf.float32)
                biased_variance = batch_variance * (count - 1.0) / count
                momentum = self.momentum
                self.moving_mean.assign(self.moving_mean * momentum + batch_mean * (1.0 - momentum))
                self.moving_variance.assign(self.moving_variance * momentum + biased_variance * (1.0 - momentum))
                return outputs
            outputs, *_ = tf.raw_ops.FusedBatchNormV3(
                x=inputs, scale=scale, offset=offset, mean=self.moving_mean, variance=self.moving_variance,
                epsilon=self.epsilon, data_format=data_format, is_training=False)
            return outputs

    return FusedBatchNormalization


def fused_adam_class():
    """A `keras.optimizers.Adam` whose per-variable update is TF's `ResourceApplyAdam` kernel."""
    import keras
    import tensorflow as tf

    class FusedAdam(keras.optimizers.Adam):
        def update_step(self, gradient, variable, learning_rate):
            if self.amsgrad or not hasattr(variable, "handle"):
                return super().update_step(gradient, variable, learning_rate)
            dtype = variable.dtype
            local_step = tf.cast(self.iterations + 1, dtype)
            beta_1 = tf.cast(self.beta_1, dtype)
            beta_2 = tf.cast(self.beta_2, dtype)
            index = self._get_variable_index(variable)
            tf.raw_ops.ResourceApplyAdam(
                var=variable.handle, m=self._momentums[index].handle, v=self._velocities[index].handle,
                beta1_power=tf.pow(beta_1, local_step), beta2_power=tf.pow(beta_2, local_step),
                lr=tf.cast(learning_rate, dtype), beta1=beta_1, beta2=beta_2, epsilon=tf.cast(self.epsilon, dtype),
                grad=tf.cast(gradient, dtype), use_locking=False)

    return FusedAdam


def variant_parts(variant):
    """["fused_bn", ...] for "fused_bn+..."; ValueError naming an unknown part."""
    parts = [] if variant == "baseline" else variant.split("+")
    unknown = sorted(set(parts) - set(VARIANT_PARTS))
    if unknown:
        raise ValueError(f"variant {variant!r} has unknown part(s) {unknown}; expected 'baseline' or parts "
                         f"of {list(VARIANT_PARTS)} joined by '+'")
    return parts


def apply_variant(variant):
    """Patch this (throw-away worker) process so that `build_gan` builds the variant."""
    parts = variant_parts(variant)
    if "inter_op_1" in parts:
        import tensorflow as tf

        tf.config.threading.set_inter_op_parallelism_threads(1)
    if "fused_bn" in parts:
        import keras

        # The builders look `layers.BatchNormalization` up when they run: G's and D's norms both change.
        keras.layers.BatchNormalization = fused_batch_normalization_class()
    if "fused_adam" in parts:
        import keras

        keras.optimizers.Adam = fused_adam_class()  # what `build_gan` looks up when it runs


def _relative_difference(a, b):
    import numpy as np

    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), 1e-12))


def check_prototypes():
    """Largest relative differences (max |a - b| / max |a|) between the prototypes and Keras's layers, float32."""
    import keras
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(2.0, 3.0, size=(4, 2, 8, 8, 16)).astype(np.float32))
    projection = tf.constant(rng.normal(size=x.shape).astype(np.float32))
    reference, fused = keras.layers.BatchNormalization(), fused_batch_normalization_class()()
    reference.build(x.shape)
    fused.build(x.shape)
    differences = {}
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        outputs = [layer(x, training=True) for layer in (reference, fused)]
        # A random projection: a loss such as sum(y²) has a near-zero input gradient after normalization.
        losses = [tf.reduce_sum(tf.nn.relu(y) * projection) for y in outputs]
    differences["bn output"] = _relative_difference(*outputs)
    grads = [tape.gradient(loss, [x, layer.gamma, layer.beta]) for loss, layer in zip(losses, (reference, fused))]
    differences["bn gradients"] = max(_relative_difference(a, b) for a, b in zip(*grads))
    differences["bn moving stats"] = max(
        _relative_difference(a.numpy(), b.numpy())
        for a, b in ((reference.moving_mean, fused.moving_mean), (reference.moving_variance, fused.moving_variance)))
    differences["bn inference output"] = _relative_difference(reference(x), fused(x))

    weights = [rng.normal(size=(32, 8)).astype(np.float32), rng.normal(size=(8,)).astype(np.float32)]
    results = []
    for optimizer in (keras.optimizers.Adam(1e-2, beta_1=0.5), fused_adam_class()(1e-2, beta_1=0.5)):
        variables = [keras.Variable(w) for w in weights]
        for step in range(3):
            gradients = [tf.constant(np.full((32, 8), 0.1 * (step + 1), np.float32)),
                         tf.constant(np.linspace(-1, 1, 8).astype(np.float32))]
            optimizer.apply_gradients(zip(gradients, variables))
        results.append([v.numpy() for v in variables])
    differences["adam weights after 3 steps"] = max(_relative_difference(a, b) for a, b in zip(*results))
    return differences


def _worker(args):
    apply_variant(args.variant)
    from keras_vgan.presets import TrainingConfig

    config = TrainingConfig.from_dict(json.loads(args.config_json))
    step, gan = common.keras_training_step(config, args.precision)
    cpu_times = []
    times = common.time_calls(step, args.warmup, args.steps, cpu_times)
    print(json.dumps({"times": times, "cpu_times": cpu_times, "optimizer": type(gan.g_optimizer).__name__,
                      "norm": type(gan.generator.get_layer("up1_norm")).__name__}))


def main(argv=None):
    parser = argparse.ArgumentParser(description="A/B timings of candidate training-step speed-ups.")
    parser.add_argument("--model", default="vgan-64")
    parser.add_argument("--precisions", nargs="+", default=["float32", "auto"])
    parser.add_argument("--variants", nargs="+",
                        default=["baseline", "fused_bn+fused_adam", "inter_op_1"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=3)
    common.add_model_override_arguments(parser)
    parser.add_argument("--check", action="store_true", help="first compare the prototypes with Keras's layers")
    common.add_output_and_worker_arguments(parser, "variant", "precision", "config-json")
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args)
        return 0
    from keras_vgan.precision import resolve_precision

    for variant in args.variants:
        variant_parts(variant)
    lines = ["## Training-step variants (A/B)", ""]
    start_load = common.load_average()
    if args.check:
        checks = check_prototypes()
        lines += ["Largest relative difference between the prototypes and Keras's own layers (float32): "
                  + ", ".join(f"{name} {value:.2e}" for name, value in checks.items()), ""]
    config = common.model_config(args.model, args.batch_size, args.frames, args.size, args.filters)
    precisions = list(dict.fromkeys(resolve_precision(p) for p in args.precisions))
    times = {(p, v): [] for p in precisions for v in args.variants}
    cpu_times = {key: [] for key in times}
    loads = {key: [] for key in times}
    others = {key: [] for key in times}
    for round_index in range(args.rounds):
        for precision in precisions:
            for variant in args.variants:
                result = common.run_worker(os.path.abspath(__file__), [
                    "--worker", "--variant", variant, "--precision", precision, "--warmup", str(args.warmup),
                    "--steps", str(args.steps), "--config-json", config.to_json()])
                times[(precision, variant)] += result["times"]
                cpu_times[(precision, variant)] += result["cpu_times"]
                loads[(precision, variant)].append(result["load"])
                others[(precision, variant)].append(result["other_cores"])
                print(f"# round {round_index + 1} {precision} {variant}: {common.median(result['times']):.3f} s/step, "
                      f"CPU {common.median(result['cpu_times']):.3f} s/step "
                      f"({result['optimizer']}, {result['norm']}), load {result['load']:.2f}, "
                      f"other processes {result['other_cores']:.2f} cores", file=sys.stderr,
                      flush=True)
    rows = []
    for precision in precisions:
        base = common.median(times[(precision, args.variants[0])])
        base_cpu = common.median(cpu_times[(precision, args.variants[0])])
        for variant in args.variants:
            key = (precision, variant)
            seconds, cpu = common.median(times[key]), common.median(cpu_times[key])
            rows.append([precision, variant, f"{seconds:.3f}", f"{config.batch_size / seconds:.2f}",
                         f"{base / seconds:.2f}×", f"{common.spread(times[key]):.0f}%", f"{cpu:.3f}",
                         # os.times() ticks every 10 ms: a smoke run's step can read 0 CPU seconds.
                         f"{base_cpu / cpu:.2f}×" if cpu else "–", f"{max(others[key]):.2f}"])
    lines += common.machine_lines(start_load=start_load)
    lines += [f"- Model `{args.model}` ({config.frames}×{config.height}×{config.width}×{config.channels}, batch "
              f"{config.batch_size}); {args.rounds} interleaved rounds × {args.steps} timed steps after "
              f"{args.warmup} warm-up, fresh process per run", ""]
    lines.append(common.markdown_table(
        ["precision", "variant", "s/step", "clips/s", f"speed vs {args.variants[0]}", "spread", "CPU s/step",
         f"CPU-time speed vs {args.variants[0]}", "other processes (cores, max)"], rows))
    text = "\n".join(lines) + "\n"
    return common.publish(text, args.out)


if __name__ == "__main__":
    sys.exit(main())
