"""FusedAdam and FusedBatchNormalization compute what Keras's Adam and BatchNormalization do."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_vgan.models import FusedBatchNormalization
from keras_vgan.optimizers import FusedAdam


@pytest.fixture(autouse=True)
def _restore_global_policy():
    yield
    keras.mixed_precision.set_global_policy("float32")


def _relative(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12))


# ---- FusedAdam --------------------------------------------------------------------------------------
def _train(optimizer, steps=4, seed=0):
    rng = np.random.default_rng(seed)
    variables = [keras.Variable(rng.normal(size=shape).astype("float32")) for shape in ((5, 3), (7,))]
    optimizer.build(variables)
    for _ in range(steps):
        gradients = [tf.constant(rng.normal(size=v.shape).astype("float32")) for v in variables]
        optimizer.apply_gradients(zip(gradients, variables))
    return [v.numpy() for v in variables], [s.numpy() for s in optimizer.variables]


@pytest.mark.parametrize("options", [dict(), dict(beta_1=0.5, epsilon=1e-4), dict(weight_decay=0.01, clipnorm=1.0)])
def test_fused_adam_matches_keras_adam(options):
    reference_weights, reference_slots = _train(keras.optimizers.Adam(0.05, **options))
    fused_weights, fused_slots = _train(FusedAdam(0.05, **options))
    # 1 - beta_2 is rounded to float32 in the kernel and in double by Keras: ~1e-5 apart in the slots.
    for reference, fused in zip(reference_weights + reference_slots, fused_weights + fused_slots):
        assert _relative(fused, reference) < 1e-4


def test_fused_adam_actually_uses_the_fused_kernel():
    optimizer = FusedAdam(0.1)
    variable = keras.Variable([1.0, 2.0])
    optimizer.build([variable])
    graph = tf.function(lambda g: optimizer.apply_gradients([(g, variable)])).get_concrete_function(
        tf.TensorSpec([2], tf.float32)).graph
    kinds = {op.type for op in graph.get_operations()}
    assert "ResourceApplyAdam" in kinds


def test_fused_adam_amsgrad_and_sparse_gradients_take_keras_path():
    reference, _ = _train(keras.optimizers.Adam(0.05, amsgrad=True))
    fused, _ = _train(FusedAdam(0.05, amsgrad=True))
    assert _relative(fused[0], reference[0]) < 1e-5
    table = keras.Variable(np.ones((4, 2), "float32"))
    optimizer = FusedAdam(0.1)
    optimizer.build([table])
    sparse = tf.IndexedSlices(tf.ones([1, 2]), tf.constant([2]), dense_shape=tf.constant([4, 2]))
    optimizer.apply_gradients([(sparse, table)])
    moved = np.abs(table.numpy() - 1.0).sum(axis=1)
    assert moved[2] > 0 and moved[[0, 1, 3]].sum() == 0


def test_fused_adam_serializes_and_restores_state(tmp_path):
    optimizer = FusedAdam(3e-4, beta_1=0.5, clipnorm=2.0)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(optimizer))
    assert isinstance(restored, FusedAdam)
    assert restored.get_config() == optimizer.get_config()


# ---- FusedBatchNormalization ------------------------------------------------------------------------
def _pair(**options):
    reference, fused = keras.layers.BatchNormalization(**options), FusedBatchNormalization(**options)
    for layer in (reference, fused):
        layer.build((None, 3, 4, 4, 6))
    for source, target in zip(reference.weights, fused.weights):
        target.assign(np.random.default_rng(1).uniform(0.5, 1.5, size=source.shape).astype("float32"))
        source.assign(target.numpy())
    return reference, fused


@pytest.mark.parametrize("options", [dict(), dict(momentum=0.9, epsilon=1e-5), dict(center=False, scale=False)])
def test_fused_batch_norm_matches_keras_in_training(options):
    reference, fused = _pair(**options)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(2.0, 3.0, size=(5, 3, 4, 4, 6)).astype("float32"))
    # A random projection: a per-channel linear loss has a zero input gradient after normalization.
    projection = tf.constant(rng.normal(size=x.shape).astype("float32"))
    results = []
    for layer in (reference, fused):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = tf.reduce_sum(tf.nn.relu(y) * projection)
        results.append([y, *tape.gradient(loss, [x, *layer.trainable_weights]), *layer.non_trainable_weights])
    for reference_value, fused_value in zip(*results):
        assert _relative(fused_value, reference_value) < 1e-4


def test_fused_batch_norm_matches_keras_in_inference_and_4d():
    reference, fused = _pair()
    x = tf.random.normal([2, 3, 4, 4, 6], seed=3)
    assert _relative(fused(x, training=False), reference(x, training=False)) < 1e-5
    frozen = FusedBatchNormalization()
    frozen.build((None, 4, 4, 6))
    frozen.trainable = False  # Keras's rule: a frozen BN normalizes with its moving statistics
    image = tf.random.normal([2, 4, 4, 6], seed=4) + 5.0
    np.testing.assert_allclose(frozen(image, training=True), image / np.sqrt(1.0 + frozen.epsilon), rtol=1e-5)


def test_fused_batch_norm_bfloat16_stays_close_and_keeps_float32_statistics():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    reference, fused = _pair()
    x = tf.random.normal([4, 3, 4, 4, 6], seed=5)
    y_reference, y_fused = reference(x, training=True), fused(x, training=True)
    assert y_fused.dtype == tf.bfloat16 == y_reference.dtype
    assert _relative(tf.cast(y_fused, tf.float32), tf.cast(y_reference, tf.float32)) < 2e-2
    assert all(w.dtype == "float32" for w in fused.weights)
    assert _relative(fused.moving_variance, reference.moving_variance) < 1e-2


def test_fused_batch_norm_falls_back_where_it_cannot_fuse():
    layer = FusedBatchNormalization(axis=1)
    x = tf.random.normal([4, 3, 5], seed=6)
    reference = keras.layers.BatchNormalization(axis=1)
    np.testing.assert_allclose(layer(x, training=True), reference(x, training=True), rtol=1e-5, atol=1e-5)


def test_fused_batch_norm_round_trips_in_a_saved_model(tmp_path):
    inputs = keras.Input((2, 4, 4, 3))
    model = keras.Model(inputs, FusedBatchNormalization(name="norm")(inputs))
    model(tf.random.normal([3, 2, 4, 4, 3]), training=True)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.get_layer("norm"), FusedBatchNormalization)
    x = tf.random.normal([2, 2, 4, 4, 3], seed=7)
    np.testing.assert_allclose(loaded(x), model(x), rtol=1e-6)
