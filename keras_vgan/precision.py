"""Choosing the numeric precision (and XLA) for the hardware at hand.

`precision="auto"` picks:
  * `mixed_bfloat16` on TPUs, and on CPUs with native bf16 arithmetic
    (x86 AVX512-BF16 or AMX-BF16, Arm BF16) when TensorFlow's oneDNN kernels
    are on, where it trains faster than float32 (BENCHMARKS.md has the
    measurements);
  * `mixed_float16` (with loss scaling, which `VideoGAN.compile` adds) on CUDA
    GPUs with Tensor Cores (compute capability 7.0 or newer);
  * `float32` otherwise.
Variables, losses, penalties and the discriminator's logits stay float32 under
every policy: mixed policies keep variables in float32, the models' last
layers are float32, and the losses cast what they receive.

`jit_compile="auto"` turns XLA on for GPUs and TPUs only: on CPU, XLA takes
many minutes to compile the training step's 3D convolutions.
"""

import functools
import os
import platform

import keras
import tensorflow as tf

from keras_vgan.validation import check_choice

PRECISIONS = ("auto", "float32", "mixed_bfloat16", "mixed_float16")
# /proc/cpuinfo flag names: x86 "avx512_bf16" / "amx_bf16", Arm "bf16".
_BF16_CPU_FLAGS = frozenset({"avx512_bf16", "amx_bf16", "bf16"})
_TRUE_WORDS, _FALSE_WORDS = ("true", "on", "yes", "1"), ("false", "off", "no", "0")
# Tensor Cores (and so fast float16) start with Volta.
_MIN_FLOAT16_COMPUTE_CAPABILITY = (7, 0)


def cpu_flags(cpuinfo_path="/proc/cpuinfo"):
    """The CPU feature flags listed in `cpuinfo_path` (an empty set where there is no such file)."""
    if not os.path.exists(cpuinfo_path):
        return frozenset()
    with open(cpuinfo_path) as cpuinfo:
        for line in cpuinfo:
            # x86 names them "flags", Arm "Features"; every core repeats the same line.
            if line.startswith(("flags", "Features")) and ":" in line:
                return frozenset(line.split(":", 1)[1].split())
    return frozenset()


@functools.lru_cache(maxsize=None)
def cpu_has_native_bfloat16():
    """True when the CPU computes bf16 natively (x86 AVX512-BF16 / AMX-BF16, or Arm BF16).

    Example:
    >>> isinstance(cpu_has_native_bfloat16(), bool)
    True
    """
    if platform.system() != "Linux":
        return False
    return bool(cpu_flags() & _BF16_CPU_FLAGS)


def onednn_enabled():
    """Whether TensorFlow runs its CPU ops through oneDNN (`TF_ENABLE_ONEDNN_OPTS`).

    Unset, TensorFlow turns it on only on x86 CPUs with AVX512-VNNI/BF16, AVX-VNNI or AMX
    (not, e.g., on an AVX2-only AMD EPYC).

    Without oneDNN, TensorFlow's bf16 CPU kernels are emulated and slower than float32.
    """
    try:
        from tensorflow.python.util import _pywrap_util_port

        return bool(_pywrap_util_port.IsMklEnabled())
    except (ImportError, AttributeError):
        return os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1").strip().lower() not in _FALSE_WORDS


def _physical_devices(kind):
    # Physical, not logical: listing logical devices would initialize the runtime, after
    # which the user could no longer set GPU memory growth or thread counts.
    try:
        return tf.config.list_physical_devices(kind)
    except (RuntimeError, ValueError):
        return []


def _under_tpu_strategy():
    return "TPU" in type(tf.distribute.get_strategy()).__name__


def accelerator():
    """"TPU", "GPU" or "CPU": the device kind training will run on.

    Example:
    >>> accelerator() in ("TPU", "GPU", "CPU")
    True
    """
    if _under_tpu_strategy() or _physical_devices("TPU"):
        return "TPU"
    if _physical_devices("GPU"):
        return "GPU"
    return "CPU"


def gpu_supports_fast_float16():
    """True unless the first GPU reports a compute capability below 7.0 (no Tensor Cores)."""
    gpus = _physical_devices("GPU")
    if not gpus:
        return False
    try:
        capability = tf.config.experimental.get_device_details(gpus[0]).get("compute_capability")
    except (RuntimeError, ValueError):
        capability = None
    return capability is None or tuple(capability) >= _MIN_FLOAT16_COMPUTE_CAPABILITY


def resolve_precision(precision="auto"):
    """The Keras dtype policy name `precision` stands for on this machine.

    Args:
        precision: "auto", "float32", "mixed_bfloat16" or "mixed_float16".

    Example:
    >>> resolve_precision("float32")
    'float32'
    >>> resolve_precision("auto") in ("float32", "mixed_bfloat16", "mixed_float16")
    True
    """
    check_choice("precision", precision, PRECISIONS)
    if precision != "auto":
        return precision
    device = accelerator()
    if device == "TPU":
        return "mixed_bfloat16"
    if device == "GPU":
        return "mixed_float16" if gpu_supports_fast_float16() else "float32"
    if cpu_has_native_bfloat16() and onednn_enabled():
        return "mixed_bfloat16"
    return "float32"


def set_precision(precision="auto"):
    """Set Keras's global dtype policy for models built from now on; returns the policy name.

    Build the models after this call: layers take the policy when they are created.

    Example:
    >>> set_precision("float32")
    'float32'
    """
    policy = resolve_precision(precision)
    keras.mixed_precision.set_global_policy(policy)
    return policy


def resolve_jit_compile(jit_compile="auto"):
    """Whether to compile the training step with XLA: "auto" means on GPU/TPU only.

    Accepts True/False and the strings "auto", "true"/"false" (also "on"/"off",
    "yes"/"no", "1"/"0"), as a config file or command line gives them.

    Example:
    >>> resolve_jit_compile(False)
    False
    >>> resolve_jit_compile("off")
    False
    """
    if isinstance(jit_compile, bool):
        return jit_compile
    if isinstance(jit_compile, str):
        word = jit_compile.strip().lower()
        if word == "auto":
            # On CPU, XLA spends many minutes compiling the 3D convolutions of a training step.
            return accelerator() in ("GPU", "TPU")
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    raise ValueError(f"jit_compile={jit_compile!r} is not valid; expected 'auto', True or False")
