"""Peak memory (RSS) of training against batch size, per precision.

Each (batch size, precision) runs in a fresh process that imports TensorFlow,
builds and compiles the model, then runs `--steps` training steps. It reports
the resident set size after the build (`/proc/self/statm`) and the peak
(`resource.getrusage(...).ru_maxrss`); their difference is what the training
steps themselves add: activations kept for the backward pass, gradients,
Adam's slots and the allocator's caches.

    python benchmarks/memory.py --out benchmarks/results/memory.md
    python benchmarks/memory.py --model quickstart --batch-sizes 2 4 --filters 8 --steps 1   # smoke
"""

import argparse
import json
import os
import resource
import sys

import common


def current_rss_bytes():
    """Resident set size now (Linux /proc; the peak so far elsewhere)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return peak_rss_bytes()


def peak_rss_bytes():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux reports KiB, macOS bytes


def _worker(args):
    from keras_vgan.presets import TrainingConfig

    config = TrainingConfig.from_dict(json.loads(args.config_json))
    step, gan = common.keras_training_step(config, args.precision)
    after_build = current_rss_bytes()
    for _ in range(args.steps):
        step()
    print(json.dumps({"after_build": after_build, "peak": peak_rss_bytes(), "policy": gan.dtype_policy.name}))


def main(argv=None):
    parser = argparse.ArgumentParser(description="Peak RSS of training against batch size.")
    parser.add_argument("--model", default="vgan-64")
    parser.add_argument("--precisions", nargs="+", default=["float32", "auto"])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[4, 8, 16, 32])
    parser.add_argument("--frames", type=int)
    parser.add_argument("--size", type=int)
    parser.add_argument("--filters", type=int)
    parser.add_argument("--steps", type=int, default=3, help="training steps per process (default 3)")
    common.add_output_and_worker_arguments(parser, "precision", "config-json")
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args)
        return 0
    import flops
    from keras_vgan.precision import resolve_precision

    start_load = common.load_average()
    mib = 2**20
    rows = []
    for precision in dict.fromkeys(resolve_precision(p) for p in args.precisions):
        previous = None
        for batch_size in sorted(args.batch_sizes):
            config = common.model_config(args.model, batch_size, args.frames, args.size, args.filters)
            result = common.run_worker(os.path.abspath(__file__), [
                "--worker", "--precision", precision, "--steps", str(args.steps), "--config-json", config.to_json()])
            print(f"# {precision} batch {batch_size}: peak {result['peak'] / mib:.0f} MiB", file=sys.stderr, flush=True)
            # The slope between batch sizes is what one more clip costs, without the fixed part.
            marginal = "–" if previous is None else (
                f"{(result['peak'] - previous[1]) / mib / (batch_size - previous[0]):.0f}")
            rows.append([precision, batch_size, f"{result['after_build'] / mib:.0f}", f"{result['peak'] / mib:.0f}",
                         f"{(result['peak'] - result['after_build']) / mib:.0f}", marginal, f"{result['other_cores']:.2f}"])
            previous = (batch_size, result["peak"])
    config = common.model_config(args.model, None, args.frames, args.size, args.filters)
    lines = ["## Peak memory of training against batch size", ""]
    lines += common.machine_lines(start_load=start_load)
    parameters = flops.config_step_flops(config)["parameters"]
    clip_mib = config.frames * config.height * config.width * config.channels * 4 / mib
    lines += [f"- Model: `{args.model}` ({config.frames}×{config.height}×{config.width}×{config.channels}"
              + (f", base filters {args.filters}" if args.filters else "") + f"), {parameters / 1e6:.1f} M parameters "
              f"(float32 weights + 2 Adam slots: {parameters * 4 * 3 / mib:.0f} MiB); one float32 clip "
              f"{clip_mib:.2f} MiB",
              f"- {args.steps} training steps per process; RSS after build from /proc/self/statm, peak from "
              "getrusage ru_maxrss; \"per extra clip\" is the slope of the peak between consecutive batch sizes", ""]
    lines.append(common.markdown_table(
        ["precision", "batch", "RSS after build (MiB)", "peak RSS (MiB)", "added by training (MiB)",
         "per extra clip (MiB)", "other processes (cores)"], rows))
    text = "\n".join(lines) + "\n"
    return common.publish(text, args.out)


if __name__ == "__main__":
    sys.exit(main())
