"""The keras_vgan generator, discriminator and training step, written again in PyTorch.

The yardstick for `training_throughput.py`: the same layers, widths, kernel
sizes, strides, normalization, loss (non-saturating BCE on logits), Adam
settings and generator EMA as `keras_vgan.training.build_gan` makes from a
preset, so that a step does the same arithmetic in both frameworks. PyTorch
gets its fastest CPU settings (channels-last-3d tensors, fused Adam; see
`--memory-format` / `--adam`), so a ratio ≥ 1 is a fair win.

It does not import TensorFlow: the stride layout comes from
`keras_vgan/models/layout.py`, loaded by file path.

    python benchmarks/torch_twin.py --model vgan-64 --precision bfloat16 --steps 5
"""

import argparse
import importlib.util
import json
import os
import statistics
import sys
import time

import torch
from torch import nn
from torch.nn import functional

KERNEL = 4
_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load_by_path(name, relative_path):
    spec = importlib.util.spec_from_file_location(name, os.path.join(_REPO, relative_path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module


video_layout = _load_by_path("_vgan_layout", "keras_vgan/models/layout.py").video_layout


def preset_config(name):
    """The preset's fields as a dict, read without importing TensorFlow."""
    import dataclasses

    presets = _load_by_path("_vgan_presets", "keras_vgan/presets.py")
    return dataclasses.asdict(presets.get_preset(name))


class TimeSamePad(nn.Module):
    """Keras "same" padding along time for a stride-1, size-4 kernel: 1 before, 2 after."""

    def forward(self, x):
        return functional.pad(x, (0, 0, 0, 0, 1, 2))


class CropTime(nn.Module):
    """Keeps the first `frames` frames: a stride-1 transposed conv with padding 1 makes one too many."""

    def __init__(self, frames):
        super().__init__()
        self.frames = frames

    def forward(self, x):
        return x[:, :, : self.frames]


class Generator(nn.Module):
    """Linear → reshape → BatchNorm → ReLU → ConvTranspose3d stack → tanh, as `build_video_generator`."""

    def __init__(self, frames, height, width, channels, latent_dim, base_filters):
        super().__init__()
        layout = video_layout(frames, height, width)
        widths = [base_filters * 2 ** (layout.depth - 1 - i) for i in range(layout.depth)]
        self.start = (widths[0], *layout.start_shape)
        self.project = nn.Linear(latent_dim, widths[0] * layout.start_shape[0] * layout.start_shape[1]
                                 * layout.start_shape[2], bias=False)
        # Keras's BatchNormalization defaults: epsilon 1e-3, moving-average momentum 0.99.
        self.project_norm = nn.BatchNorm3d(widths[0], eps=1e-3, momentum=0.01)
        blocks = []
        time_frames = layout.start_shape[0]
        for i, time_stride in enumerate(layout.time_strides):
            last = i == layout.depth - 1
            out_channels = channels if last else widths[i + 1]
            time_frames *= time_stride
            blocks.append(nn.ConvTranspose3d(widths[i], out_channels, KERNEL, stride=(time_stride, 2, 2),
                                             padding=1, bias=last))
            if time_stride == 1:
                blocks.append(CropTime(time_frames))
            if not last:
                blocks += [nn.BatchNorm3d(out_channels, eps=1e-3, momentum=0.01), nn.ReLU()]
        self.blocks = nn.Sequential(*blocks)

    def forward(self, noise):
        x = self.project(noise).view(noise.shape[0], *self.start)
        x = functional.relu(self.project_norm(x))
        return torch.tanh(self.blocks(x).float())


class ChannelLayerNorm(nn.Module):
    """Keras's LayerNormalization on channels-last video: over the channel axis only."""

    def __init__(self, channels):
        super().__init__()
        self.norm = nn.LayerNorm(channels, eps=1e-3)

    def forward(self, x):
        return self.norm(x.permute(0, 2, 3, 4, 1)).permute(0, 4, 1, 2, 3)


class Discriminator(nn.Module):
    """Conv3d (stride 2 in space) [+ norm] + LeakyReLU(0.2) stack → flatten → one logit, as `build_video_discriminator`."""

    def __init__(self, frames, height, width, channels, base_filters, normalization="none"):
        super().__init__()
        if normalization not in ("none", "batch", "layer"):
            raise ValueError(f"normalization={normalization!r} is not valid for the PyTorch twin; "
                             "expected 'none', 'batch' or 'layer'")
        layout = video_layout(frames, height, width)
        layers = []
        in_channels = channels
        for i, time_stride in enumerate(reversed(layout.time_strides)):
            if time_stride == 1:
                layers.append(TimeSamePad())
            out_channels = base_filters * 2**i
            layers.append(nn.Conv3d(in_channels, out_channels, KERNEL, stride=(time_stride, 2, 2),
                                    padding=(1 if time_stride == 2 else 0, 1, 1)))
            if i > 0 and normalization == "batch":
                layers.append(nn.BatchNorm3d(out_channels, eps=1e-3, momentum=0.01))
            elif i > 0 and normalization == "layer":
                layers.append(ChannelLayerNorm(out_channels))
            layers.append(nn.LeakyReLU(0.2))
            in_channels = out_channels
        self.features = nn.Sequential(*layers)
        coarse = layout.start_shape[0] * layout.start_shape[1] * layout.start_shape[2]
        self.logit = nn.Linear(in_channels * coarse, 1)

    def forward(self, video):
        return self.logit(torch.flatten(self.features(video), 1)).float()


class TwinTrainer:
    """One non-saturating GAN step (D update, then G update, then EMA) on a fixed real batch."""

    def __init__(self, config, precision="float32", memory_format="channels_last", adam="fused"):
        if precision not in ("float32", "bfloat16"):
            raise ValueError(f"precision={precision!r} is not valid; expected 'float32' or 'bfloat16'")
        if memory_format not in ("channels_last", "contiguous"):
            raise ValueError(f"memory_format={memory_format!r} is not valid; expected 'channels_last' or 'contiguous'")
        if adam not in ("fused", "foreach", "for-loop"):
            raise ValueError(f"adam={adam!r} is not valid; expected 'fused', 'foreach' or 'for-loop'")
        shape = (config["frames"], config["height"], config["width"], config["channels"])
        self.memory_format = torch.channels_last_3d if memory_format == "channels_last" else torch.contiguous_format
        self.generator = Generator(*shape, config["latent_dim"], config["generator_filters"])
        self.discriminator = Discriminator(*shape, config["discriminator_filters"],
                                           config.get("discriminator_normalization", "none"))
        self.generator.to(memory_format=self.memory_format)
        self.discriminator.to(memory_format=self.memory_format)
        self.ema_generator = None
        if config.get("ema_decay") is not None:
            self.ema_generator = Generator(*shape, config["latent_dim"], config["generator_filters"])
            self.ema_generator.to(memory_format=self.memory_format)
            self.ema_generator.load_state_dict(self.generator.state_dict())
            self.ema_generator.requires_grad_(False)
            self.ema_decay = float(config["ema_decay"])
        options = {"betas": (config["beta_1"], 0.999), "eps": 1e-7}  # Keras Adam's epsilon
        options.update({"fused": {"fused": True}, "foreach": {"foreach": True}, "for-loop": {"foreach": False}}[adam])
        self.g_optimizer = torch.optim.Adam(self.generator.parameters(), lr=config["g_learning_rate"], **options)
        self.d_optimizer = torch.optim.Adam(self.discriminator.parameters(), lr=config["d_learning_rate"], **options)
        self.bf16 = precision == "bfloat16"
        self.batch_size = config["batch_size"]
        self.latent_dim = config["latent_dim"]
        generator = torch.Generator().manual_seed(0)
        real = torch.rand(self.batch_size, *shape, generator=generator) * 2 - 1
        # (N, T, H, W, C) → (N, C, T, H, W) view whose memory stays channels-last, like the Keras clips.
        real = real.permute(0, 4, 1, 2, 3)
        self.real = real.contiguous(memory_format=self.memory_format)

    def _autocast(self):
        return torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16)

    def step(self):
        """One training step; returns (d_loss, g_loss) as Python floats (which waits for the work)."""
        noise = torch.randn(self.batch_size, self.latent_dim)
        with torch.no_grad(), self._autocast():
            fake = self.generator(noise)
        with self._autocast():
            real_logits = self.discriminator(self.real)
            fake_logits = self.discriminator(fake)
        d_loss = (functional.softplus(-real_logits) + functional.softplus(fake_logits)).mean()
        self.d_optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        self.d_optimizer.step()

        # Only the generator's weights get gradients: the discriminator is frozen for this half.
        self.discriminator.requires_grad_(False)
        noise = torch.randn(self.batch_size, self.latent_dim)
        with self._autocast():
            fake_logits = self.discriminator(self.generator(noise))
        g_loss = functional.softplus(-fake_logits).mean()
        self.g_optimizer.zero_grad(set_to_none=True)
        g_loss.backward()
        self.g_optimizer.step()
        self.discriminator.requires_grad_(True)

        if self.ema_generator is not None:
            with torch.no_grad():
                torch._foreach_lerp_(list(self.ema_generator.parameters()), list(self.generator.parameters()),
                                     1.0 - self.ema_decay)
                for average, current in zip(self.ema_generator.buffers(), self.generator.buffers()):
                    average.copy_(current)
        return float(d_loss.detach()), float(g_loss.detach())


def time_steps(config, precision, warmup, steps, memory_format="channels_last", adam="fused"):
    """Seconds per training step for `steps` steps after `warmup` untimed ones."""
    torch.manual_seed(0)
    trainer = TwinTrainer(config, precision, memory_format=memory_format, adam=adam)
    for _ in range(warmup):
        trainer.step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        losses = trainer.step()
        times.append(time.perf_counter() - start)
    if not all(map(lambda value: value == value, losses)):
        raise RuntimeError(f"the PyTorch twin's losses are not finite: {losses}")
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="vgan-64", help="a keras_vgan preset name (default: vgan-64)")
    parser.add_argument("--config-json", help="the full config as JSON (overrides --model)")
    parser.add_argument("--precision", default="float32", choices=("float32", "bfloat16"))
    parser.add_argument("--memory-format", default="channels_last", choices=("channels_last", "contiguous"))
    parser.add_argument("--adam", default="fused", choices=("fused", "foreach", "for-loop"))
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print one JSON line (for training_throughput.py)")
    args = parser.parse_args(argv)
    torch.set_num_threads(os.cpu_count())
    config = json.loads(args.config_json) if args.config_json else preset_config(args.model)
    times = time_steps(config, args.precision, args.warmup, args.steps, args.memory_format, args.adam)
    if args.json:
        print(json.dumps({"times": times, "torch": torch.__version__, "threads": torch.get_num_threads()}))
    else:
        middle = statistics.median(times)
        print(f"PyTorch {torch.__version__} {args.precision} {args.memory_format} adam={args.adam}: "
              f"{middle:.3f} s/step median of {len(times)}, {config['batch_size'] / middle:.2f} clips/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
