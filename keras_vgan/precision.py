"""Choosing the numeric precision (and XLA) for the hardware at hand.

`precision="auto"` picks:
  * `mixed_bfloat16` on TPUs and on CPUs with native bf16 arithmetic
    (AVX512-BF16 or AMX): about 3× faster than float32 for 3D convs there;
  * `mixed_float16` (with loss scaling, which `VideoGAN.compile` adds) on CUDA GPUs;
  * `float32` otherwise.
Variables, losses, penalties and the discriminator's logits stay float32 under
every policy: the models' last layers are float32 and the losses cast.
"""

import functools
import os
import platform

import keras
import tensorflow as tf

PRECISIONS = ("auto", "float32", "mixed_bfloat16", "mixed_float16")
_BF16_CPU_FLAGS = {"avx512_bf16", "amx_bf16"}


@functools.lru_cache(maxsize=None)
def cpu_has_native_bfloat16():
    """True when the CPU computes bf16 natively (x86 AVX512-BF16 / AMX-BF16, or Arm BF16)."""
    flags = set()
    if platform.system() == "Linux" and os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith(("flags", "Features")):
                    flags.update(line.split(":", 1)[1].split())
                    break
    return bool(flags & (_BF16_CPU_FLAGS | {"bf16"}))


def _has_device(kind):
    try:
        return bool(tf.config.list_logical_devices(kind))
    except RuntimeError:
        return False


def accelerator():
    """"TPU", "GPU" or "CPU": the device kind training will run on."""
    for kind in ("TPU", "GPU"):
        if _has_device(kind):
            return kind
    return "CPU"


def resolve_precision(precision="auto"):
    """The Keras dtype policy name `precision` stands for on this machine.

    Example:
    >>> resolve_precision("float32")
    'float32'
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision={precision!r} is not valid; expected one of {list(PRECISIONS)}")
    if precision != "auto":
        return precision
    device = accelerator()
    if device == "TPU":
        return "mixed_bfloat16"
    if device == "GPU":
        return "mixed_float16"
    return "mixed_bfloat16" if cpu_has_native_bfloat16() else "float32"


def set_precision(precision="auto"):
    """Set Keras's global dtype policy for models built from now on; returns the policy name."""
    policy = resolve_precision(precision)
    keras.mixed_precision.set_global_policy(policy)
    return policy


def resolve_jit_compile(jit_compile="auto"):
    """XLA for GPU/TPU only: on CPU XLA compiles 3D convolutions for many minutes."""
    if jit_compile == "auto":
        return accelerator() in ("GPU", "TPU")
    if isinstance(jit_compile, bool):
        return jit_compile
    raise ValueError(f"jit_compile={jit_compile!r} is not valid; expected 'auto', True or False")
