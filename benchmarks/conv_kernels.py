"""The 3D (transposed) convolutions of a model, timed alone in TensorFlow and in PyTorch.

A training step is ~70% convolution (see profile_step.py), so this separates
"the framework's conv kernels are slower" from "the step around them is
slower". For every Conv3D / Conv3DTranspose layer of a preset's generator and
discriminator (shapes from the real Keras models, kernel 4, stride 2, "same"
padding) it times, at the preset's batch size:

* forward;
* forward + backward (gradients for both the input and the kernel),

with channels-last tensors in both frameworks (TF: NDHWC `tf.nn.conv3d` /
`tf.nn.conv3d_transpose`, as Keras calls them; PyTorch: channels_last_3d
`conv3d` / `conv_transpose3d`), in float32 and bfloat16. Each framework runs
in its own process; rounds interleave them.

    python benchmarks/conv_kernels.py --model vgan-64 --out benchmarks/results/conv_kernels.md
    python benchmarks/conv_kernels.py --model quickstart --filters 8 --repeats 2 --rounds 1   # smoke
"""

import argparse
import json
import os
import sys

import common


def conv_layers(config):
    """[{name, kind, input (N, T, H, W, C), filters, strides}] for the conv layers of the preset's two models."""
    import keras

    from keras_vgan.models import build_video_discriminator, build_video_generator

    generator = build_video_generator(config.frames, config.height, config.width, config.channels,
                                      latent_dim=config.latent_dim, base_filters=config.generator_filters)
    discriminator = build_video_discriminator(config.frames, config.height, config.width, config.channels,
                                              base_filters=config.discriminator_filters)
    found = []
    for prefix, model in (("G", generator), ("D", discriminator)):
        for layer in model.layers:
            transposed = isinstance(layer, keras.layers.Conv3DTranspose)
            if transposed or isinstance(layer, keras.layers.Conv3D):
                found.append({
                    "name": f"{prefix} {layer.name}", "transposed": transposed,
                    "input": [config.batch_size, *[int(d) for d in layer.input.shape[1:]]],
                    "output": [config.batch_size, *[int(d) for d in layer.output.shape[1:]]],
                    "filters": layer.filters, "kernel": list(layer.kernel_size), "strides": list(layer.strides),
                })
    return found


def _tf_times(layer, dtype, warmup, repeats):
    import tensorflow as tf

    x = tf.cast(tf.random.uniform(layer["input"], -1, 1), dtype)
    in_channels, out_channels = layer["input"][-1], layer["filters"]
    # TF kernels are (kT, kH, kW, in, out) for conv3d and (kT, kH, kW, out, in) for conv3d_transpose.
    kernel_shape = layer["kernel"] + ([out_channels, in_channels] if layer["transposed"] else [in_channels, out_channels])
    w = tf.cast(tf.random.normal(kernel_shape, stddev=0.02), dtype)
    strides = [1, *layer["strides"], 1]
    upstream = tf.cast(tf.random.normal(layer["output"]), dtype)

    def apply(x, w):
        if layer["transposed"]:
            return tf.nn.conv3d_transpose(x, w, layer["output"], strides, padding="SAME")
        return tf.nn.conv3d(x, w, strides, padding="SAME")

    @tf.function
    def forward():
        return tf.reduce_sum(tf.cast(apply(x, w)[:1, :1, :1, :1], tf.float32))

    @tf.function
    def forward_backward():
        with tf.GradientTape() as tape:
            tape.watch([x, w])
            y = apply(x, w)
        dx, dw = tape.gradient(y, [x, w], output_gradients=upstream)
        return tf.reduce_sum(tf.cast(dx[:1, :1, :1, :1], tf.float32)) + tf.reduce_sum(tf.cast(dw[:1], tf.float32))

    return {name: common.median(common.time_calls(lambda f=function: f().numpy(), warmup, repeats))
            for name, function in (("forward", forward), ("forward_backward", forward_backward))}


def _torch_times(layer, dtype, warmup, repeats):
    import torch
    from torch.nn import functional

    torch_dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[dtype]
    n, t, h, w_, c = layer["input"]
    x = (torch.rand(n, c, t, h, w_) * 2 - 1).to(torch_dtype).contiguous(memory_format=torch.channels_last_3d)
    in_channels, out_channels = c, layer["filters"]
    shape = [in_channels, out_channels] if layer["transposed"] else [out_channels, in_channels]
    weight = (torch.randn(*shape, *layer["kernel"]) * 0.02).to(torch_dtype)
    weight = weight.contiguous(memory_format=torch.channels_last_3d)
    no, to, ho, wo, co = layer["output"]
    upstream = torch.randn(no, co, to, ho, wo).to(torch_dtype).contiguous(memory_format=torch.channels_last_3d)
    # Keras "same" for kernel 4 / stride 2 pads 1 on each side; stride-1 time needs the asymmetric (1, 2).
    time_stride = layer["strides"][0]

    def apply(x, weight):
        if layer["transposed"]:
            y = functional.conv_transpose3d(x, weight, stride=layer["strides"], padding=1)
            return y[:, :, :to] if time_stride == 1 else y
        if time_stride == 1:
            x = functional.pad(x, (0, 0, 0, 0, 1, 2))
            return functional.conv3d(x, weight, stride=layer["strides"], padding=(0, 1, 1))
        return functional.conv3d(x, weight, stride=layer["strides"], padding=1)

    def forward():
        with torch.no_grad():
            return float(apply(x, weight)[0, 0, 0, 0, 0])

    def forward_backward():
        xg, wg = x.detach().requires_grad_(), weight.detach().requires_grad_()
        apply(xg, wg).backward(upstream)
        return float(xg.grad[0, 0, 0, 0, 0]) + float(wg.grad[0, 0, 0, 0, 0])

    return {name: common.median(common.time_calls(function, warmup, repeats))
            for name, function in (("forward", forward), ("forward_backward", forward_backward))}


def _worker(args):
    layers = json.loads(args.layers_json)
    if args.worker == "torch":
        import torch

        torch.set_num_threads(os.cpu_count())
        times = {layer["name"]: _torch_times(layer, args.dtype, args.warmup, args.repeats) for layer in layers}
    else:
        times = {layer["name"]: _tf_times(layer, args.dtype, args.warmup, args.repeats) for layer in layers}
    print(json.dumps(times))


def _macs(layer):
    spatial = layer["input"] if layer["transposed"] else layer["output"]
    voxels = spatial[0] * spatial[1] * spatial[2] * spatial[3]
    kernel = layer["kernel"][0] * layer["kernel"][1] * layer["kernel"][2]
    return voxels * kernel * layer["input"][-1] * layer["filters"]


def main(argv=None):
    parser = argparse.ArgumentParser(description="Conv layers of a preset timed alone: TensorFlow against PyTorch.")
    parser.add_argument("--model", default="vgan-64")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--filters", type=int)
    parser.add_argument("--dtypes", nargs="+", default=["float32", "bfloat16"], choices=("float32", "bfloat16"))
    parser.add_argument("--frameworks", nargs="+", default=["tf", "torch"], choices=("tf", "torch"))
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    common.add_output_and_worker_arguments(parser, "dtype", "layers-json", worker_choices=("tf", "torch"))
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args)
        return 0
    start_load = common.load_average()
    config = common.model_config(args.model, args.batch_size, None, None, args.filters)
    layers = conv_layers(config)
    results = {}  # (framework, dtype) -> {layer: {forward: [...], forward_backward: [...]}}
    others = []
    for round_index in range(args.rounds):
        for dtype in args.dtypes:
            for framework in args.frameworks:
                result = common.run_worker(os.path.abspath(__file__), [
                    "--worker", framework, "--dtype", dtype, "--warmup", str(args.warmup),
                    "--repeats", str(args.repeats), "--layers-json", json.dumps(layers)])
                others.append(result.pop("other_cores"))
                result.pop("load")
                pooled = results.setdefault((framework, dtype), {})
                for name, times in result.items():
                    for kind, seconds in times.items():
                        pooled.setdefault(name, {}).setdefault(kind, []).append(seconds)
                print(f"# round {round_index + 1} {dtype} {framework}: other processes {others[-1]:.2f} cores",
                      file=sys.stderr, flush=True)

    def ms(framework, dtype, name, kind):
        values = results.get((framework, dtype), {}).get(name, {}).get(kind)
        return None if not values else 1000 * common.median(values)

    lines = ["## 3D convolutions alone: TensorFlow against PyTorch", ""]
    lines += common.machine_lines([f"PyTorch {_torch_version()}"] if "torch" in args.frameworks else [],
                                  start_load=start_load)
    lines += [f"- Layers of `{args.model}` at batch {config.batch_size}; median over {args.rounds} rounds of the "
              f"median of {args.repeats} calls after {args.warmup} warm-up; channels-last in both; "
              f"most CPU other processes used during a run: {max(others):.2f} cores",
              "- fwd = forward; f+b = forward + gradients for input and kernel; GFLOP/s on f+b counts 3× the "
              "forward MACs × 2", ""]
    for dtype in args.dtypes:
        rows = []
        totals = {key: 0.0 for key in ("tf", "torch")}
        for layer in layers:
            name = layer["name"]
            tf_fwd, tf_fb = ms("tf", dtype, name, "forward"), ms("tf", dtype, name, "forward_backward")
            pt_fwd, pt_fb = ms("torch", dtype, name, "forward"), ms("torch", dtype, name, "forward_backward")
            flops = 3 * 2 * _macs(layer)
            totals["tf"] += tf_fb or 0.0
            totals["torch"] += pt_fb or 0.0
            shape = "×".join(str(d) for d in layer["input"][1:])
            rows.append([
                name, f"{shape} → {layer['filters']}", f"{2 * _macs(layer) / 1e9:.1f}",
                _ms(tf_fwd), _ms(tf_fb), _ms(pt_fwd), _ms(pt_fb),
                f"{pt_fb / tf_fb:.2f}×" if tf_fb and pt_fb else "–",
                f"{flops / (tf_fb / 1000) / 1e9:.0f}" if tf_fb else "–",
                f"{flops / (pt_fb / 1000) / 1e9:.0f}" if pt_fb else "–",
            ])
        rows.append(["all", "", "", "", _ms(totals["tf"]), "", _ms(totals["torch"]),
                     f"{totals['torch'] / totals['tf']:.2f}×" if totals["tf"] and totals["torch"] else "–", "", ""])
        lines += [f"### {dtype}", ""]
        lines.append(common.markdown_table(
            ["layer", "input → filters", "fwd GFLOP (whole batch)", "TF fwd ms", "TF f+b ms", "PyTorch fwd ms", "PyTorch f+b ms",
             "TF speed ÷ PyTorch (f+b)", "TF GFLOP/s", "PyTorch GFLOP/s"], rows))
        lines.append("")
    text = "\n".join(lines)
    return common.publish(text, args.out)


def _ms(value):
    return "–" if value is None else f"{value:.1f}"


def _torch_version():
    import importlib.metadata

    try:
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


if __name__ == "__main__":
    sys.exit(main())
