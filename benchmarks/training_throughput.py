"""Training throughput of keras_vgan beside the same model in PyTorch, and the FLOP rate it reaches.

For each model (default: the `quickstart` preset and the VGAN-sized `vgan-64`)
and each precision (float32 and mixed_bfloat16, the `auto` choice on CPUs with
native bf16), in one run:

* keras_vgan: the step `VideoGAN.fit` runs (`gan.train_function`), built by
  `keras_vgan.training.build_gan` from the preset (Adam, non-saturating loss,
  generator EMA);
* PyTorch: the same architecture and step (`torch_twin.py`), float32 or bf16
  autocast, with its fastest CPU settings;
* `tf.matmul` peak (float32, bf16) and the analytic FLOPs of a step
  (`flops.py`), giving the achieved GFLOP/s and its fraction of the peak.

Every setting runs in a fresh subprocess (no thread pools or caches carried
over); a step's time is the median of `--steps` timed steps after `--warmup`.
The data are one fixed random batch: this times the model, not the input
pipeline (see data_pipeline.py for that).

    python benchmarks/training_throughput.py --out benchmarks/results/training.md
    python benchmarks/training_throughput.py --models quickstart --steps 2 --warmup 1 --size 32 --filters 8  # smoke
"""

import argparse
import json
import os
import sys

import common

TORCH_PRECISION = {"float32": "float32", "mixed_bfloat16": "bfloat16"}  # no float16 autocast on CPU here


def _worker(args):
    """Runs one setting in this (fresh) process and prints one JSON line."""
    if args.worker == "matmul":
        import flops

        result = {"gflops": flops.matmul_peak_gflops(args.precision, args.matmul_size)}
    elif args.worker == "torch":
        import torch

        import torch_twin

        torch.set_num_threads(os.cpu_count())
        config = json.loads(args.config_json)
        times = torch_twin.time_steps(config, TORCH_PRECISION[args.precision], args.warmup, args.steps,
                                      memory_format=args.torch_memory_format, adam=args.torch_adam)
        result = {"times": times, "version": torch.__version__}
    else:
        from keras_vgan.presets import TrainingConfig

        config = TrainingConfig.from_dict(json.loads(args.config_json))
        step, gan = common.keras_training_step(config, args.precision)
        times = common.time_calls(step, args.warmup, args.steps)
        result = {"times": times, "policy": gan.dtype_policy.name, "jit_compile": bool(gan.jit_compile)}
    print(json.dumps(result))


def run_worker(kind, precision, args, config=None):
    """Runs one `--worker` setting in a fresh process; returns its JSON result (with "load")."""
    worker_args = ["--worker", kind, "--precision", precision, "--warmup", str(args.warmup),
                   "--steps", str(args.steps), "--matmul-size", str(args.matmul_size),
                   "--torch-memory-format", args.torch_memory_format, "--torch-adam", args.torch_adam]
    if config is not None:
        worker_args += ["--config-json", config.to_json()]
    return common.run_worker(os.path.abspath(__file__), worker_args)


def _fmt(value, digits=2):
    return "–" if value is None else f"{value:.{digits}f}"


def _merge(into, result):
    """Pools the timed steps of several runs of one setting; keeps the worst contention seen."""
    if not into:
        into.update(result)
        return
    into["times"] = into["times"] + result["times"]
    into["load"] = max(into["load"], result["load"])
    into["other_cores"] = max(into["other_cores"], result["other_cores"])


def measure(args):
    """All settings, `--rounds` times interleaved; returns (peaks, rows), one row per (model, precision)."""
    import flops
    from keras_vgan.precision import resolve_precision

    precisions = list(dict.fromkeys(resolve_precision(p) for p in args.precisions))
    peak_runs = {"float32": [], "bfloat16": []}
    rows = []
    for name in args.models:
        config = common.model_config(name, args.batch_size, args.frames, args.size, args.filters)
        counts = flops.config_step_flops(config)
        for precision in precisions:
            rows.append({"model": name, "config": config, "precision": precision, "flops": counts["work_done"]})
    for round_index in range(args.rounds):
        if not args.no_flops:
            for dtype in peak_runs:
                peak_runs[dtype].append(run_worker("matmul", dtype, args)["gflops"])
        for row in rows:
            for framework in args.frameworks:
                if framework == "torch" and row["precision"] not in TORCH_PRECISION:
                    continue
                result = run_worker(framework, row["precision"], args, row["config"])
                _merge(row.setdefault(framework, {}), result)
                print(f"# round {round_index + 1} {row['model']} {row['precision']} {framework}: median "
                      f"{common.median(result['times']):.3f} s/step, other processes "
                      f"{result['other_cores']:.2f} cores", file=sys.stderr, flush=True)
    peaks = {dtype: common.median(runs) for dtype, runs in peak_runs.items() if runs}
    return peaks, rows


def report(args, peaks, rows):
    from keras_vgan.precision import resolve_precision

    auto = resolve_precision("auto")
    lines = ["## Training throughput", ""]
    extra = []
    torch_version = next((r["torch"]["version"] for r in rows if "torch" in r), None)
    if torch_version:
        extra.append(f"PyTorch {torch_version}")
    lines += common.machine_lines(extra, start_load=args.start_load)
    lines += [f"- `precision=\"auto\"` resolves to `{auto}` here; jit_compile auto → "
              f"{next((r['keras']['jit_compile'] for r in rows if 'keras' in r), '–')}",
              f"- Median of {args.rounds} interleaved rounds × {args.steps} timed steps (after {args.warmup} warm-up "
              "steps, each run in a fresh process); spread = (max - min) / median of those steps; \"other processes\" = "
              "the most CPU (in cores) other processes used during a run; "
              f"PyTorch twin with memory format {args.torch_memory_format}, Adam {args.torch_adam}", ""]

    table = []
    for row in rows:
        config = row["config"]
        keras_s = common.median(row["keras"]["times"]) if "keras" in row else None
        torch_s = common.median(row["torch"]["times"]) if "torch" in row else None
        label = row["precision"] + (" (auto)" if row["precision"] == auto else "")
        table.append([
            row["model"], f"{config.frames}×{config.height}×{config.width}×{config.channels}", config.batch_size,
            label,
            _fmt(keras_s, 3), _fmt(config.batch_size / keras_s if keras_s else None, 2),
            _fmt(torch_s, 3), _fmt(config.batch_size / torch_s if torch_s else None, 2),
            _fmt(torch_s / keras_s if keras_s and torch_s else None, 2) + ("×" if keras_s and torch_s else ""),
            f"{common.spread(row['keras']['times']):.0f}% / "
            + (f"{common.spread(row['torch']['times']):.0f}%" if "torch" in row else "–"),
            f"{max(r['other_cores'] for r in (row.get('keras'), row.get('torch')) if r):.2f}",
        ])
    lines.append(common.markdown_table(
        ["model", "clip", "batch", "precision", "keras_vgan s/step", "keras_vgan clips/s", "PyTorch s/step",
         "PyTorch clips/s", "keras_vgan speed ÷ PyTorch", "spread keras / torch", "other processes (cores)"],
        table))

    by_model = {}
    for row in rows:
        by_model.setdefault(row["model"], {})[row["precision"]] = row
    speedups = []
    for name, settings in by_model.items():
        if "float32" in settings and auto in settings and auto != "float32":
            cells = [name]
            for framework in ("keras", "torch"):
                if framework in settings["float32"] and framework in settings[auto]:
                    ratio = common.median(settings["float32"][framework]["times"]) / common.median(
                        settings[auto][framework]["times"])
                    cells.append(f"{ratio:.2f}×")
                else:
                    cells.append("–")
            speedups.append(cells)
    if speedups:
        lines += ["", f"Speed-up of `{auto}` (auto) over float32:", ""]
        lines.append(common.markdown_table(["model", "keras_vgan", "PyTorch"], speedups))

    if peaks:
        flop_rows = []
        for row in rows:
            peak = peaks.get("bfloat16" if "bfloat16" in row["precision"] else "float32")
            cells = [row["model"], row["precision"], f"{row['flops'] / 1e9:.1f}"]
            for framework in ("keras", "torch"):
                if framework in row:
                    rate = row["flops"] / common.median(row[framework]["times"]) / 1e9
                    cells += [f"{rate:.0f}", f"{100 * rate / peak:.0f}%" if peak else "–"]
                else:
                    cells += ["–", "–"]
            flop_rows.append(cells)
        lines += ["", f"Achieved FLOP rate (work done per step, see flops.py) against `tf.matmul` "
                      f"{args.matmul_size}² in this run (median over rounds): float32 {peaks['float32']:.0f} GFLOP/s, "
                      f"bf16 {peaks['bfloat16']:.0f} GFLOP/s:", ""]
        lines.append(common.markdown_table(
            ["model", "precision", "GFLOP/step", "keras_vgan GFLOP/s", "% of matmul peak", "PyTorch GFLOP/s",
             "% of matmul peak"], flop_rows))
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description="Training throughput: keras_vgan against the PyTorch twin.")
    parser.add_argument("--models", nargs="+", default=list(common.DEFAULT_MODELS), help="preset names")
    parser.add_argument("--precisions", nargs="+", default=["float32", "auto"],
                        help="float32, mixed_bfloat16, mixed_float16 or auto (default: float32 auto)")
    parser.add_argument("--frameworks", nargs="+", default=["keras", "torch"], choices=("keras", "torch"))
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first (default 2)")
    parser.add_argument("--steps", type=int, default=5, help="timed steps per run (default 5)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="repeat every setting this many times, interleaved, pooling the steps (default 1)")
    parser.add_argument("--batch-size", type=int, help="override the presets' batch size")
    parser.add_argument("--frames", type=int, help="override the presets' frames")
    parser.add_argument("--size", type=int, help="override the presets' height and width")
    parser.add_argument("--filters", type=int, help="override the presets' base filters (G and D)")
    parser.add_argument("--matmul-size", type=int, default=4096, help="side of the matmul peak matrices")
    parser.add_argument("--no-flops", action="store_true", help="skip the matmul peak and FLOP table")
    parser.add_argument("--torch-memory-format", default="channels_last", choices=("channels_last", "contiguous"))
    parser.add_argument("--torch-adam", default="fused", choices=("fused", "foreach", "for-loop"))
    common.add_output_and_worker_arguments(parser, "precision", "config-json",
                                           worker_choices=("keras", "torch", "matmul"))
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args)
        return 0
    if args.steps < 1 or args.warmup < 0 or args.rounds < 1:
        parser.error("--steps and --rounds must be >= 1 and --warmup >= 0")
    args.start_load = common.load_average()
    peaks, rows = measure(args)
    text = report(args, peaks, rows)
    return common.publish(text, args.out)


if __name__ == "__main__":
    sys.exit(main())
