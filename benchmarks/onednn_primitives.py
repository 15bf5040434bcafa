"""Where a training step's convolution time goes, per oneDNN primitive, float32 against bf16.

Runs `--steps` training steps of a preset (after `--warmup`) in a fresh process
per precision with `ONEDNN_VERBOSE=1`, which makes oneDNN print one line per
primitive it executes: its kind and direction (forward, backward_data,
backward_weights), the implementation it picked (e.g. `brgconv_bwd_w:...amx`)
and its time. The lines are summed per step by (direction, shape) and the two
precisions set side by side, so the table shows which convolution directions
gain from bf16 and which do not. Verbose mode itself costs a little time, and
ops that run at once on the inter-op pool are each timed in full, so read the
ratios, not the absolute milliseconds.

A Conv3DTranspose layer runs as the *backward_data* of a convolution (and its
input gradient as a *forward* one), so one shape serves a discriminator layer
and the generator layer that mirrors it: both are named in the "layers" column.

    python benchmarks/onednn_primitives.py --model vgan-64 --out benchmarks/results/onednn_primitives.md
    python benchmarks/onednn_primitives.py --model quickstart --filters 8 --steps 1 --warmup 1   # smoke
"""

import argparse
import collections
import json
import os
import re
import subprocess
import sys

import common

START, END = "=====timed steps start", "=====timed steps end"
DIRECTIONS = ("forward_training", "backward_data", "backward_weights")


def _worker(args):
    from keras_vgan.presets import TrainingConfig

    config = TrainingConfig.from_dict(json.loads(args.config_json))
    step, _ = common.keras_training_step(config, args.precision)
    common.time_calls(step, args.warmup, 0)
    print(START, flush=True)
    common.time_calls(step, 0, args.steps)
    print(END, flush=True)


NO_ONEDNN_CONVOLUTIONS = ("No oneDNN convolution primitive ran in the measured steps: on this CPU TensorFlow ran the "
                          "convolutions through kernels of its own, so there is no per-layer table.")


def parse_verbose(text, steps):
    """{(kind, direction, shape): [ms per step, calls per step, {implementations}]} from ONEDNN_VERBOSE output."""
    if START not in text or END not in text:
        raise ValueError(f"no {START!r} … {END!r} section in the worker's output; expected ONEDNN_VERBOSE lines there")
    section = text.split(START, 1)[1].split(END, 1)[0]
    totals = collections.defaultdict(lambda: [0.0, 0, set()])
    for line in section.splitlines():
        fields = line.split(",")
        # onednn_verbose,v1,primitive,exec,cpu,<kind>,<implementation>,<direction>,<formats>,...,<shape>,<ms>
        if len(fields) < 10 or fields[:4] != ["onednn_verbose", "v1", "primitive", "exec"]:
            continue
        kind, implementation, direction, shape = fields[5], fields[6], fields[7], fields[-2]
        entry = totals[(kind, direction, shape)]
        entry[0] += float(fields[-1]) / steps
        entry[1] += 1
        entry[2].add(implementation)
    return {key: [ms, calls / steps, implementations] for key, (ms, calls, implementations) in totals.items()}


def layer_names(config):
    """{(ic, oc, input depth, input height): "D down2 / G up3"}: conv shapes as oneDNN describes them."""
    import conv_kernels

    names = collections.defaultdict(list)
    for layer in conv_kernels.conv_layers(config):
        _, depth, height, _, channels = layer["input"]
        if layer["transposed"]:  # the backward_data of the conv from its output back to its input
            _, depth, height, _, _ = layer["output"]
            key = (layer["filters"], channels, depth, height)
        else:
            key = (channels, layer["filters"], depth, height)
        names[key].append(layer["name"])
    return {key: " / ".join(value) for key, value in names.items()}


def _shape_key(shape):
    match = re.search(r"ic(\d+)oc(\d+)_id(\d+)\D.*_ih(\d+)\D", shape)
    return tuple(int(g) for g in match.groups()) if match else None


def report(args, config, results):
    names = layer_names(config)
    precisions = list(results)
    base, other = precisions[0], precisions[-1]
    keys = sorted({key for result in results.values() for key in result if key[0] == "convolution"},
                  key=lambda key: -results[base].get(key, [0])[0])
    rows = []
    for key in keys:
        _, direction, shape = key
        cells = [results[p].get(key, [0.0, 0, set()]) for p in precisions]
        ratio = cells[0][0] / cells[-1][0] if cells[-1][0] else float("nan")
        rows.append([names.get(_shape_key(shape), "?"), direction.replace("_training", ""), shape.split("_")[0],
                     f"{cells[0][1]:.0f}", *[f"{c[0]:.1f}" for c in cells], f"{ratio:.2f}×",
                     " / ".join(sorted(cells[-1][2]))])
    by_direction = []
    for direction in DIRECTIONS + ("all convolutions", "reorders", "everything"):
        def total(precision):
            return sum(ms for (kind, d, _), (ms, _, _) in results[precision].items()
                       if (direction == "everything")
                       or (direction == "reorders" and kind == "reorder")
                       or (kind == "convolution" and direction in (d, "all convolutions")))
        values = [total(p) for p in precisions]
        by_direction.append([direction.replace("_training", ""), *[f"{v:.0f}" for v in values],
                             f"{values[0] / values[-1]:.2f}×" if values[-1] else "–"])
    lines = ["## oneDNN primitives of one training step, float32 against bf16", ""]
    lines += common.machine_lines(start_load=args.start_load)
    lines += [f"- Model `{args.model}` ({config.frames}×{config.height}×{config.width}×{config.channels}, batch "
              f"{config.batch_size}); {args.steps} steps after {args.warmup} warm-up with ONEDNN_VERBOSE=1, "
              f"one process per precision; ms summed per step", ""]
    lines.append(common.markdown_table(
        ["direction", *[f"{p} ms/step" for p in precisions], f"{other} speed-up"], by_direction))
    if not rows:
        # Seen on an AMD EPYC without AVX512-BF16: TensorFlow ran the convolutions through its own kernels.
        lines += ["", NO_ONEDNN_CONVOLUTIONS]
        return "\n".join(lines) + "\n"
    lines += ["", common.markdown_table(
        ["layers", "direction", "batch", "calls/step", *[f"{p} ms/step" for p in precisions],
         f"{other} speed-up", f"{other} implementation"], rows)]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description="Per-primitive oneDNN time of a training step, float32 vs bf16.")
    parser.add_argument("--model", default="vgan-64")
    parser.add_argument("--precisions", nargs="+", default=["float32", "mixed_bfloat16"])
    common.add_model_override_arguments(parser)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=2)
    common.add_output_and_worker_arguments(parser, "precision", "config-json")
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args)
        return 0
    args.start_load = common.load_average()
    config = common.model_config(args.model, args.batch_size, args.frames, args.size, args.filters)
    results = {}
    for precision in args.precisions:
        finished = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--worker", "--precision", precision,
             "--warmup", str(args.warmup), "--steps", str(args.steps), "--config-json", config.to_json()],
            capture_output=True, text=True, env={**os.environ, "ONEDNN_VERBOSE": "1"})
        if finished.returncode != 0:
            raise RuntimeError(f"the {precision} worker failed (exit {finished.returncode}):\n{finished.stderr[-3000:]}")
        results[precision] = parse_verbose(finished.stdout, args.steps)
    text = report(args, config, results)
    return common.publish(text, args.out)


if __name__ == "__main__":
    sys.exit(main())
