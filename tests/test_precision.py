import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import clips, tiny_gan
from keras_vgan import losses
from keras_vgan import precision


def pretend(monkeypatch, device="CPU", bf16=False, onednn=True, fast_float16=True):
    monkeypatch.setattr(precision, "accelerator", lambda: device)
    monkeypatch.setattr(precision, "cpu_has_native_bfloat16", lambda: bf16)
    monkeypatch.setattr(precision, "onednn_enabled", lambda: onednn)
    monkeypatch.setattr(precision, "gpu_supports_fast_float16", lambda: fast_float16)


# ---- resolving "auto" -----------------------------------------------------------------------------
@pytest.mark.parametrize("hardware, expected", [
    (dict(device="CPU", bf16=True), "mixed_bfloat16"),
    (dict(device="CPU", bf16=False), "float32"),
    (dict(device="CPU", bf16=True, onednn=False), "float32"),  # emulated bf16 kernels are slower
    (dict(device="GPU"), "mixed_float16"),
    (dict(device="GPU", fast_float16=False), "float32"),  # no Tensor Cores
    (dict(device="TPU"), "mixed_bfloat16"),
])
def test_auto_precision_follows_the_hardware(monkeypatch, hardware, expected):
    pretend(monkeypatch, **hardware)
    assert precision.resolve_precision("auto") == expected


@pytest.mark.parametrize("name", ["float32", "mixed_bfloat16", "mixed_float16"])
def test_explicit_precision_overrides_the_hardware(monkeypatch, name):
    pretend(monkeypatch, device="GPU")
    assert precision.resolve_precision(name) == name


@pytest.mark.parametrize("bad", ["bfloat16", "fp16", "", None, 16])
def test_unknown_precision_is_a_value_error_naming_it(bad):
    with pytest.raises(ValueError, match="precision=.*expected one of"):
        precision.resolve_precision(bad)


def test_set_precision_sets_the_global_policy(monkeypatch):
    pretend(monkeypatch, device="CPU", bf16=True)
    assert precision.set_precision() == "mixed_bfloat16"
    assert keras.config.dtype_policy().name == "mixed_bfloat16"
    assert precision.set_precision("float32") == "float32"
    assert keras.config.dtype_policy().name == "float32"


@pytest.mark.parametrize("flags, expected", [
    ("fpu sse avx512f avx512_bf16 amx_tile", True),  # x86 with AVX512-BF16
    ("fpu sse avx2 amx_bf16", True),  # x86 with AMX
    ("fp asimd bf16 i8mm", True),  # Arm
    ("fpu sse avx2 avx512f", False),
])
def test_cpu_flags_are_read_from_cpuinfo(tmp_path, flags, expected):
    key = "Features" if "asimd" in flags else "flags"
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nmodel name\t: Test CPU\n{key}\t\t: {flags}\n\nprocessor\t: 1\n")
    found = precision.cpu_flags(str(cpuinfo))
    assert found == set(flags.split())
    assert bool(found & precision._BF16_CPU_FLAGS) is expected


def test_missing_cpuinfo_means_no_flags(tmp_path):
    assert precision.cpu_flags(str(tmp_path / "absent")) == frozenset()


def test_choosing_does_not_initialize_the_runtime():
    # After asking, users must still be able to set thread counts (and GPU memory growth),
    # which TensorFlow refuses once its runtime is up: so check in a fresh process.
    script = textwrap.dedent("""
        import tensorflow as tf
        from keras_vgan import precision
        precision.resolve_precision("auto"), precision.resolve_jit_compile("auto")
        tf.config.threading.set_intra_op_parallelism_threads(1)
        print("threads set")
    """)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "threads set" in done.stdout


# ---- jit_compile ----------------------------------------------------------------------------------
@pytest.mark.parametrize("device, expected", [("CPU", False), ("GPU", True), ("TPU", True)])
def test_auto_jit_compile_is_on_for_accelerators_only(monkeypatch, device, expected):
    pretend(monkeypatch, device=device)
    assert precision.resolve_jit_compile("auto") is expected


def test_auto_jit_compile_is_off_on_this_cpu_machine():
    if precision.accelerator() != "CPU":
        pytest.skip("this machine has an accelerator")
    assert precision.resolve_jit_compile() is False


@pytest.mark.parametrize("value, expected", [
    (True, True), (False, False), ("true", True), ("False", False), ("on", True), ("off", False), ("1", True),
])
def test_explicit_jit_compile_passes_through(monkeypatch, value, expected):
    pretend(monkeypatch, device="GPU")
    assert precision.resolve_jit_compile(value) is expected


@pytest.mark.parametrize("bad", ["sometimes", None, 1, 0.0])
def test_bad_jit_compile_is_a_value_error_naming_it(bad):
    with pytest.raises(ValueError, match="jit_compile=.*expected 'auto', True or False"):
        precision.resolve_jit_compile(bad)


# ---- training under each policy ------------------------------------------------------------------------
@pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16", "mixed_float16"])
def test_a_few_training_steps_give_finite_losses(policy):
    assert precision.set_precision(policy) == policy
    gan = tiny_gan(ema_decay=0.9)
    gan.compile()
    history = gan.fit(clips(), epochs=1, verbose=0)
    assert int(gan.g_optimizer.iterations) == 2
    for name in ("d_loss", "g_loss", "real_score", "fake_score"):
        assert np.isfinite(history.history[name][-1]), (policy, name, history.history[name])
    expected_compute = {"float32": "float32", "mixed_bfloat16": "bfloat16", "mixed_float16": "float16"}[policy]
    assert gan.discriminator.get_layer("down1_conv").compute_dtype == expected_compute
    # float16 loses small gradients without loss scaling; bf16 and float32 do not need it.
    scaled = isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
    assert scaled is (policy == "mixed_float16")
    assert np.isfinite(gan.generate(2, seed=0).astype(np.float32)).all()


def test_under_auto_logits_losses_penalties_and_variables_are_float32():
    policy = precision.set_precision("auto")
    gan = tiny_gan(ema_decay=0.9)
    gan.compile(gradient_penalty_weight=1.0, r1_weight=1.0)
    history = gan.fit(clips(), epochs=1, verbose=0)
    assert all(np.isfinite(values[-1]) for values in history.history.values())

    if policy != "float32":
        # The policy did reach the layers: the convolutions compute in the reduced type.
        assert gan.generator.get_layer("up1_deconv").compute_dtype == keras.config.dtype_policy().compute_dtype
        assert gan.generator.get_layer("up1_deconv").compute_dtype != "float32"
    models = (gan.generator, gan.discriminator, gan.ema_generator)
    assert all(v.dtype == "float32" for model in models for v in model.weights)
    assert all(v.dtype in ("float32", "int64") for opt in (gan.g_optimizer, gan.d_optimizer) for v in opt.variables)

    real = next(iter(clips()))
    fake = gan.generator(tf.random.normal([8, gan.latent_dim]), training=False)
    real_logits, fake_logits = gan.discriminator(real), gan.discriminator(fake)
    assert fake.dtype == tf.float32 and real_logits.dtype == tf.float32 and fake_logits.dtype == tf.float32
    loss = losses.get_adversarial_loss("non_saturating")
    assert loss.discriminator(real_logits, fake_logits).dtype == tf.float32
    assert loss.generator(fake_logits).dtype == tf.float32
    assert losses.gradient_penalty(gan.discriminator, real, fake).dtype == tf.float32
    assert losses.r1_penalty(gan.discriminator, real).dtype == tf.float32
