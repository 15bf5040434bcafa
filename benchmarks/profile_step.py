"""Where the time of one `VideoGAN` training step goes, by TensorFlow op.

Traces `--steps` steps (after warm-up) with `tf.profiler.experimental`, reads
the trace's XPlane protobuf back, and prints the ops' wall time summed by op
kind (e.g. `_MklNativeConv3DBackpropFilterV2`), by layer, and the largest
single ops. Op times are measured on the thread that runs each op; two ops
can run at once on the inter-op pool, so the sum can exceed the step time.

    python benchmarks/profile_step.py --model vgan-64 --precision mixed_bfloat16
    python benchmarks/profile_step.py --model quickstart --filters 8 --steps 1   # smoke
"""

import argparse
import collections
import glob
import re
import sys
import tempfile

import common


def op_times(trace_dir):
    """{op name: (total ms, calls)} from the host-CPU plane of the newest trace under `trace_dir`."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    paths = sorted(glob.glob(f"{trace_dir}/**/*.xplane.pb", recursive=True))
    if not paths:
        raise FileNotFoundError(f"no *.xplane.pb under {trace_dir}; expected a tf.profiler trace there")
    space = xplane_pb2.XSpace()
    with open(paths[-1], "rb") as file:
        space.ParseFromString(file.read())
    totals = collections.defaultdict(lambda: [0.0, 0])
    for plane in space.planes:
        for line in plane.lines:
            if not line.name.startswith("tf_Compute"):
                continue
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name
                if ":" in name and "::" not in name:  # "scope/op:OpKind"; skip executor bookkeeping
                    totals[name][0] += event.duration_ps / 1e9
                    totals[name][1] += 1
    return dict(totals)


def _layer_of(op_name):
    # ".../video_generator_3/up2_deconv_1/conv_transpose:Kind" → "G up2_deconv"; gradients marked "(grad)".
    scope = op_name.split(":", 1)[0]
    match = re.search(r"video_(generator|discriminator)[^/]*/([^/]+)", scope)
    if match is None:
        return "adam" if "adam" in scope else "other"
    network = "G" if match.group(1) == "generator" else "D"
    layer = re.sub(r"_\d+$", "", match.group(2))
    return f"{network} {layer}" + (" (grad)" if "gradient_tape" in scope else "")


def summarize(totals, steps, top=25):
    by_kind = collections.defaultdict(float)
    by_layer = collections.defaultdict(float)
    for name, (ms, _) in totals.items():
        by_kind[name.rsplit(":", 1)[1]] += ms / steps
        by_layer[_layer_of(name)] += ms / steps
    all_ms = sum(by_kind.values())
    lines = [f"Sum of op times per step: {all_ms:.0f} ms", ""]
    for title, table in (("op kind", by_kind), ("layer", by_layer)):
        rows = [[key, f"{ms:.1f}", f"{100 * ms / all_ms:.1f}%"]
                for key, ms in sorted(table.items(), key=lambda item: -item[1])[:top]]
        lines += [common.markdown_table([title, "ms/step", "share"], rows), ""]
    largest = sorted(totals.items(), key=lambda item: -item[1][0])[:top]
    rows = [[name, f"{ms / steps:.1f}", calls] for name, (ms, calls) in largest]
    lines.append(common.markdown_table(["op", "ms/step", "calls"], rows))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Per-op time of a VideoGAN training step (TF profiler).")
    parser.add_argument("--model", default="vgan-64")
    parser.add_argument("--precision", default="auto")
    common.add_model_override_arguments(parser)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--trace-dir", help="keep the trace here (default: a temporary folder)")
    args = parser.parse_args(argv)
    import tensorflow as tf

    config = common.model_config(args.model, args.batch_size, args.frames, args.size, args.filters)
    step, gan = common.keras_training_step(config, args.precision)
    common.time_calls(step, args.warmup, 0)
    with tempfile.TemporaryDirectory() as scratch:
        trace_dir = args.trace_dir or scratch
        tf.profiler.experimental.start(trace_dir)
        times = common.time_calls(step, 0, args.steps)
        tf.profiler.experimental.stop()
        totals = op_times(trace_dir)
    print(f"{args.model} {gan.dtype_policy.name}: {1000 * common.median(times):.0f} ms/step while tracing, "
          f"load {common.load_average():.2f}\n")
    print(summarize(totals, args.steps, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
