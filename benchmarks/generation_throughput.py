"""Generation speed: clips/s sampled in-process (Keras) vs through the exported SavedModel.

For each model preset and precision, one process builds the `VideoGAN` (random
weights: speed does not depend on their values), saves `model.keras` and
exports the generator (`keras_vgan.export.export_generator`). Then, each in a
fresh process of its own:

* in-process: `load_video_gan` + `VideoGAN.generate(N, seed)` (the eager Keras
  call every `keras-vgan sample` makes), and the same generator wrapped in a
  `tf.function` (what a long-running Python service would compile);
* served: TensorFlow alone (`tf.saved_model.load`, no keras_vgan import) calling
  the `sample(num_videos, seed)` and `generate(noise)` signatures.

Each timing is the median of `--repeats` calls (after 2 untimed warm-up
calls) producing N uint8 clips in host memory; clips/s = N / median. Both
sides also report a digest of `sample(2, seed=0)`: the served videos must be
byte-identical to the in-process ones.

    python benchmarks/generation_throughput.py --out benchmarks/results/generation.md
"""

import argparse
import hashlib
import json
import os
import sys
import tempfile

import common

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def digest(array):
    return hashlib.sha256(array.tobytes()).hexdigest()[:16]


# ---- workers (one per process) -------------------------------------------------------------------
def worker_prepare(preset, precision, directory):
    from keras_vgan import precision as precision_policy
    from keras_vgan.export import export_generator
    from keras_vgan.training import build_gan

    config = common.model_config(preset).replace(precision=precision)
    policy = precision_policy.set_precision(precision)
    gan = build_gan(config)
    gan.save(os.path.join(directory, "model.keras"))
    export_generator(gan, os.path.join(directory, "exported"))
    parameters = sum(int(v.numpy().size) for v in gan.generator.weights)
    return {"policy": policy, "parameters": parameters, "video_shape": list(gan.video_shape)}


def worker_in_process(directory, batch_sizes, repeats):
    import tensorflow as tf

    from keras_vgan.saving import load_video_gan
    from keras_vgan.noise import latent_noise
    from keras_vgan.pixels import to_uint8

    gan = load_video_gan(directory)
    generator = gan.generator_for_sampling()
    compiled = tf.function(lambda noise: to_uint8(generator(noise, training=False)))
    results = {"digest": digest(gan.generate(2, seed=0))}
    for n in batch_sizes:
        noise = latent_noise(n, gan.latent_dim, 0)
        eager = common.time_calls(lambda: gan.generate(n, seed=0, batch_size=n), warmup=2, repeats=repeats)
        graph = common.time_calls(lambda: compiled(noise).numpy(), warmup=2, repeats=repeats)
        results[str(n)] = {"VideoGAN.generate (eager Keras)": eager, "generator in a tf.function": graph}
    return results


def worker_served(directory, batch_sizes, repeats):
    import numpy as np
    import tensorflow as tf

    served = tf.saved_model.load(os.path.join(directory, "exported"))
    sample, generate = served.signatures["sample"], served.signatures["generate"]
    latent_dim = int(generate.structured_input_signature[1]["noise"].shape[-1])
    first = sample(num_videos=tf.constant(2), seed=tf.constant(0))["videos"].numpy()
    results = {"digest": digest(first)}
    for n in batch_sizes:
        noise = tf.constant(np.random.default_rng(0).standard_normal((n, latent_dim)).astype(np.float32))
        by_seed = common.time_calls(
            lambda: sample(num_videos=tf.constant(n), seed=tf.constant(0))["videos"].numpy(), warmup=2,
            repeats=repeats)
        by_noise = common.time_calls(lambda: generate(noise=noise)["videos"].numpy(), warmup=2, repeats=repeats)
        results[str(n)] = {"SavedModel sample(num_videos, seed)": by_seed, "SavedModel generate(noise)": by_noise}
    results["keras_vgan_imported"] = any(m.split(".")[0] == "keras_vgan" for m in sys.modules)
    return results


def worker(arguments):
    kind, rest = arguments[0], arguments[1:]
    if kind == "prepare":
        result = worker_prepare(*rest)
    else:
        directory, batch_sizes, repeats = rest[0], [int(b) for b in rest[1].split(",")], int(rest[2])
        result = (worker_in_process if kind == "in_process" else worker_served)(directory, batch_sizes, repeats)
    print(json.dumps(result))


# ---- the driver ---------------------------------------------------------------------------------
def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(common.DEFAULT_MODELS), help="presets to time")
    parser.add_argument("--precisions", nargs="+", default=["auto", "float32"])
    parser.add_argument("--batch-sizes", default="1,32", help="clips per call, comma-separated")
    parser.add_argument("--repeats", type=int, default=7, help="timed calls per setting (>= 5)")
    parser.add_argument("--out", help="markdown file for the results (printed too)")
    args = parser.parse_args()
    if args.repeats < 5:
        parser.error("--repeats must be at least 5 (the results are medians)")
    script = os.path.abspath(__file__)
    start_load = common.load_average()
    rows, identical = [], []
    for preset in args.models:
        for precision in args.precisions:
            with tempfile.TemporaryDirectory() as directory:
                info = common.run_worker(script, ["--worker", "prepare", preset, precision, directory])
                timings = {}
                for kind in ("in_process", "served"):
                    timings[kind] = common.run_worker(script, ["--worker", kind, directory, args.batch_sizes,
                                                               str(args.repeats)])
            same = timings["in_process"]["digest"] == timings["served"]["digest"]
            identical.append(f"{preset} / {info['policy']}: {'byte-identical' if same else 'DIFFERENT'}"
                             f"{'' if not timings['served']['keras_vgan_imported'] else ' (keras_vgan imported!)'}")
            shape = "×".join(map(str, info["video_shape"]))
            for n in args.batch_sizes.split(","):
                baseline = None
                for kind in ("in_process", "served"):
                    for method, times in timings[kind][n].items():
                        rate = int(n) / common.median(times)
                        baseline = baseline or rate
                        rows.append([preset, shape, f"{info['parameters'] / 1e6:.2f} M", info["policy"], n, method,
                                     f"{1000 * common.median(times):.1f}", f"{rate:.1f}", f"{rate / baseline:.2f}×",
                                     f"{common.spread(times):.0f}%", f"{timings[kind]['load']:.2f}"])
    text = "\n".join([
        "# Generation throughput: in-process Keras vs the exported SavedModel",
        "",
        *common.machine_lines(start_load=start_load),
        "",
        f"Each row: median of {args.repeats} calls (after 2 warm-up calls) that each produce N uint8 clips in "
        "host memory; clips/s = N / median; spread = (max − min) / median of the timed calls; load = the "
        "higher 1-minute load average at the start/end of that process (other agents share the 2 cores: "
        "above ~1.2 the numbers are pessimistic). Random weights (speed does not depend on them). "
        "The SavedModel rows run in a process that imports TensorFlow only.",
        "",
        common.markdown_table(["model", "clip (T×H×W×C)", "generator params", "policy", "N", "method",
                               "ms/call", "clips/s", "vs VideoGAN.generate", "spread", "load"], rows),
        "",
        "Served vs in-process videos for `sample(2, seed=0)`: " + "; ".join(identical) + ".",
        "",
    ])
    print(text)
    if args.out:
        common.write_atomically(args.out, text)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2:])
    else:
        main()
