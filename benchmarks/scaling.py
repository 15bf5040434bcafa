"""Training time per clip against clip length (frames) and frame size.

The model is a preset's (default `vgan-64`: base width 64 for G and D) built
for each clip shape; depth follows the size (`keras_vgan.models.layout`), so
128×128 adds one layer at each end. Two sweeps around 16×64×64: frames
8/16/32 at 64×64, and size 32/64/128 at 16 frames. Each setting runs in a
fresh process; time is the median of `--steps` timed training steps after
`--warmup`, and "GFLOP/clip" is the work done per clip (see flops.py).

    python benchmarks/scaling.py --out benchmarks/results/scaling.md
    python benchmarks/scaling.py --frames 8 16 --sizes 32 --filters 8 --batch-size 2 --steps 2 --warmup 1  # smoke
"""

import argparse
import json
import os
import sys

import common


def _worker(args):
    from keras_vgan.presets import TrainingConfig

    config = TrainingConfig.from_dict(json.loads(args.config_json))
    step, gan = common.keras_training_step(config, args.precision)
    times = common.time_calls(step, args.warmup, args.steps)
    print(json.dumps({"times": times, "policy": gan.dtype_policy.name}))


def settings(args):
    """(frames, size) pairs: the frame sweep at the base size, then the size sweep at the base frames."""
    pairs = [(frames, args.base_size) for frames in args.frames]
    pairs += [(args.base_frames, size) for size in args.sizes]
    return list(dict.fromkeys(pairs))


def main(argv=None):
    parser = argparse.ArgumentParser(description="Time per clip against frames and frame size.")
    parser.add_argument("--model", default="vgan-64", help="preset whose widths to use (default vgan-64)")
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--frames", type=int, nargs="+", default=[8, 16, 32])
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--base-frames", type=int, default=16)
    parser.add_argument("--base-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--filters", type=int, help="override the preset's base widths")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    common.add_output_and_worker_arguments(parser, "config-json")
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args)
        return 0
    import flops
    from keras_vgan.precision import resolve_precision

    start_load = common.load_average()
    policy = resolve_precision(args.precision)
    measured = []
    for frames, size in settings(args):
        config = common.model_config(args.model, args.batch_size, frames, size, args.filters)
        counts = flops.config_step_flops(config)
        result = common.run_worker(os.path.abspath(__file__), [
            "--worker", "--precision", policy, "--warmup", str(args.warmup), "--steps", str(args.steps),
            "--config-json", config.to_json()])
        seconds = common.median(result["times"])
        print(f"# {frames}×{size}×{size}: {seconds:.3f} s/step, other processes {result['other_cores']:.2f} cores", file=sys.stderr, flush=True)
        measured.append((frames, size, config, counts, seconds, result))

    base = next((m for m in measured if (m[0], m[1]) == (args.base_frames, args.base_size)), measured[0])
    base_ms = 1000 * base[4] / base[2].batch_size
    base_flops = base[3]["work_done"] / base[2].batch_size
    rows = []
    for frames, size, config, counts, seconds, result in measured:
        per_clip_ms = 1000 * seconds / config.batch_size
        per_clip_flops = counts["work_done"] / config.batch_size
        rows.append([f"{frames}×{size}×{size}×{config.channels}", config.batch_size,
                     f"{counts['parameters'] / 1e6:.1f} M", f"{per_clip_flops / 1e9:.1f}", f"{seconds:.3f}",
                     f"{per_clip_ms:.0f}", f"{per_clip_ms / base_ms:.2f}×", f"{per_clip_flops / base_flops:.2f}×",
                     f"{counts['work_done'] / seconds / 1e9:.0f}", f"{common.spread(result['times']):.0f}%",
                     f"{result['other_cores']:.2f}"])
    lines = ["## Time per clip against frames and size", ""]
    lines += common.machine_lines(start_load=start_load)
    lines += [f"- Model: `{args.model}` widths" + (f" (base filters {args.filters})" if args.filters else "")
              + f", precision `{policy}`, median of {args.steps} steps after {args.warmup} warm-up", ""]
    lines.append(common.markdown_table(
        ["clip", "batch", "params", "GFLOP/clip", "s/step", "ms/clip", f"time/clip vs {base[0]}×{base[1]}²",
         "FLOP/clip vs same", "GFLOP/s", "spread", "other processes (cores)"], rows))
    text = "\n".join(lines) + "\n"
    return common.publish(text, args.out)


if __name__ == "__main__":
    sys.exit(main())
