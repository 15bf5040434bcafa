"""A/B timings of training-step variants: what each of the library's speed-ups is worth.

Variants (each applied in its own fresh process, on top of `build_gan`):

* `baseline`: the library as it is (FusedBatchNormalization, FusedAdam);
* `keras_bn`: G's (and D's, where it has them) normalization layers are
  Keras's `BatchNormalization` (unfused moments + normalize, in float32 with
  casts around it under mixed precision) instead of `FusedBatchNormalization`
  (TF's `FusedBatchNormV3` on the compute dtype);
* `keras_adam`: `keras.optimizers.Adam` (~10 elementwise ops per variable)
  instead of `FusedAdam` (one `ResourceApplyAdam` kernel per variable);
* `inter_op_1`: `tf.config.threading.set_inter_op_parallelism_threads(1)`, so
  two ops never compete for the 2 cores;
* combinations, e.g. `keras_bn+keras_adam` (the library before the fused layers).

Rounds interleave the variants (A B C A B C …) so that a change of load hits
all of them alike; the table gives each variant's median over all rounds.
`--check` first verifies that the fused layers compute what Keras's do.

    python benchmarks/step_variants.py --model vgan-64 --precisions float32 auto --rounds 3
    python benchmarks/step_variants.py --model quickstart --filters 8 --rounds 1 --steps 2 --check   # smoke
"""

import argparse
import json
import os
import sys

import common

VARIANT_PARTS = ("keras_bn", "keras_adam", "inter_op_1")


def variant_parts(variant):
    """["keras_bn", ...] for "keras_bn+..."; ValueError naming an unknown part."""
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
    if "keras_bn" in parts:
        import keras

        from keras_vgan.models import discriminators, generators

        # The builders look the class up when they run: G's and D's norms both change.
        generators.FusedBatchNormalization = keras.layers.BatchNormalization
        discriminators.FusedBatchNormalization = keras.layers.BatchNormalization
    if "keras_adam" in parts:
        import keras

        from keras_vgan import training

        training.FusedAdam = keras.optimizers.Adam  # what `build_gan` looks up when it runs


def _relative_difference(a, b):
    import numpy as np

    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), 1e-12))


def check_fused_layers():
    """Largest relative differences (max |a - b| / max |a|) between the fused layers and Keras's, float32."""
    import keras
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(2.0, 3.0, size=(4, 2, 8, 8, 16)).astype(np.float32))
    projection = tf.constant(rng.normal(size=x.shape).astype(np.float32))
    from keras_vgan.models import FusedBatchNormalization
    from keras_vgan.optimizers import FusedAdam

    reference, fused = keras.layers.BatchNormalization(), FusedBatchNormalization()
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
    for optimizer in (keras.optimizers.Adam(1e-2, beta_1=0.5), FusedAdam(1e-2, beta_1=0.5)):
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
                        default=["keras_bn+keras_adam", "baseline", "keras_bn", "keras_adam", "inter_op_1"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--size", type=int)
    parser.add_argument("--frames", type=int)
    parser.add_argument("--filters", type=int)
    parser.add_argument("--check", action="store_true", help="first compare the fused layers with Keras's own")
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
        checks = check_fused_layers()
        lines += ["Largest relative difference between keras_vgan's fused layers and Keras's own (float32): "
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
                         f"{base_cpu / cpu:.2f}×", f"{max(others[key]):.2f}"])
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
