import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_vgan.models.layers import (FactorizedSelfAttention, FrameDistributed, MaskComposite, MaskSparsity,
                                      SampleFrames, SumOverFrames)


def _videos(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _softmax(logits):
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _attend(sequence, query, key, value):
    weights = _softmax((sequence @ query) @ (sequence @ key).transpose(0, 2, 1))
    return weights @ (sequence @ value)


def _reference_attention(layer, x):
    """NumPy factorized attention: over the pixels of each frame, then over the frames at each pixel."""
    n, t, h, w, c = x.shape
    k = {name: getattr(layer, name).kernel.numpy() for name in (
        "spatial_query", "spatial_key", "spatial_value", "temporal_query", "temporal_key", "temporal_value")}
    spatial = _attend(x.reshape(n * t, h * w, c), k["spatial_query"], k["spatial_key"], k["spatial_value"])
    x = x + float(layer.spatial_gate.numpy()) * spatial.reshape(x.shape)
    per_pixel = x.transpose(0, 2, 3, 1, 4).reshape(n * h * w, t, c)
    temporal = _attend(per_pixel, k["temporal_query"], k["temporal_key"], k["temporal_value"])
    temporal = temporal.reshape(n, h, w, t, c).transpose(0, 3, 1, 2, 4)
    return x + float(layer.temporal_gate.numpy()) * temporal


def test_attention_starts_as_the_identity_then_matches_factorized_attention():
    x = _videos((2, 4, 6, 6, 16))
    attention = FactorizedSelfAttention()
    np.testing.assert_array_equal(attention(x).numpy(), x)
    assert attention.spatial_query.kernel.shape == (16, 2)  # C / 8
    assert attention.spatial_value.kernel.shape == (16, 16)
    attention.spatial_gate.assign(0.7)
    attention.temporal_gate.assign(-1.3)
    np.testing.assert_allclose(attention(x).numpy(), _reference_attention(attention, x), rtol=1e-4, atol=1e-4)


def test_attention_under_mixed_bfloat16_stays_close_to_float32():
    keras.utils.set_random_seed(0)
    x = _videos((1, 4, 8, 8, 16))
    exact = FactorizedSelfAttention(key_channels=4)
    exact.build(x.shape)
    exact.spatial_gate.assign(1.0)
    exact.temporal_gate.assign(1.0)
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    mixed = FactorizedSelfAttention(key_channels=4)
    mixed.build(x.shape)
    mixed.set_weights(exact.get_weights())
    out = mixed(x)
    assert out.dtype == tf.bfloat16
    error = np.abs(tf.cast(out, tf.float32).numpy() - exact(x).numpy())
    # bfloat16 keeps about 3 significant digits: a few outputs of a 4,096 may be off by several
    # hundredths of the output range, the typical one by far less.
    scale = float(np.abs(exact(x).numpy()).max())
    assert error.max() <= 0.1 * scale and error.mean() <= 0.01 * scale, (error.max(), error.mean(), scale)


def test_attention_round_trips_through_a_keras_file(tmp_path):
    video = keras.Input((4, 8, 8, 8), name="video")
    model = keras.Model(video, FactorizedSelfAttention(key_channels=3, name="attention")(video))
    model.get_layer("attention").spatial_gate.assign(0.5)
    model.get_layer("attention").temporal_gate.assign(0.25)
    model.save(tmp_path / "attention.keras")
    loaded = keras.models.load_model(tmp_path / "attention.keras")
    assert loaded.get_layer("attention").key_channels == 3
    x = _videos((2, 4, 8, 8, 8))
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())


def _numbered_clips(batch, frames):
    # Every pixel of frame t of clip n holds n * 100 + t, so the output says which frames were picked.
    values = np.arange(batch)[:, None] * 100 + np.arange(frames)[None, :]
    return np.broadcast_to(values[:, :, None, None, None], (batch, frames, 2, 2, 1)).astype("float32")


def test_sample_frames_picks_distinct_random_frames_per_clip_in_time_order():
    clips = _numbered_clips(32, 16)
    picked = SampleFrames(4)(clips, training=True).numpy()
    assert picked.shape == (32, 4, 2, 2, 1)
    frames = picked[:, :, 0, 0, 0]
    clip_of, frame_of = frames // 100, frames % 100
    assert (clip_of == np.arange(32)[:, None]).all()  # each clip's own frames
    assert (np.diff(frame_of, axis=1) > 0).all()  # distinct and in time order
    assert len({tuple(row) for row in frame_of}) > 16  # chosen per clip, not once per batch


def test_sample_frames_is_evenly_spaced_outside_training_and_random_inside_tf_function():
    clips = _numbered_clips(2, 16)
    layer = SampleFrames(4)
    np.testing.assert_array_equal(layer(clips).numpy()[:, :, 0, 0, 0] % 100, [[2, 6, 10, 14]] * 2)

    @tf.function
    def pick(x):
        return layer(x, training=True)

    draws = {tuple(pick(clips).numpy()[0, :, 0, 0, 0]) for _ in range(5)}
    assert len(draws) > 1


def test_sample_frames_passes_gradients_to_the_chosen_frames_only():
    clips = tf.constant(_videos((3, 8, 4, 4, 1)))
    with tf.GradientTape() as tape:
        tape.watch(clips)
        total = tf.reduce_sum(SampleFrames(3)(clips, training=True) ** 2)
    gradient = tape.gradient(total, clips).numpy()
    touched = np.abs(gradient).reshape(3, 8, -1).sum(axis=-1) > 0
    assert touched.sum(axis=1).tolist() == [3, 3, 3]


def test_sample_frames_refuses_more_frames_than_the_clip_has():
    with pytest.raises(ValueError, match="frames_per_clip=9"):
        SampleFrames(9)(keras.Input((8, 4, 4, 1)))
    with pytest.raises(ValueError, match="frames_per_clip=0"):
        SampleFrames(0)


def _masked_model(weight):
    code = keras.Input((3,), name="code")
    mask = keras.layers.Dense(4, activation="sigmoid", name="mask")(code)
    return keras.Model(code, MaskSparsity(weight, name="mask_sparsity")(mask))


def test_mask_sparsity_loss_reaches_model_losses_in_a_tape_and_in_tf_function():
    model = _masked_model(0.1)
    code = _videos((5, 3))
    expected = 0.1 * np.abs(model(code).numpy()).mean()

    with tf.GradientTape() as tape:
        model(code, training=True)
        loss = tf.add_n(model.losses)
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)
    assert all(g is not None for g in tape.gradient(loss, model.trainable_variables))

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            model(x, training=True)
            loss = tf.add_n(model.losses)
        return loss, tape.gradient(loss, model.trainable_variables)

    loss, gradients = step(code)
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)
    assert all(float(tf.reduce_sum(tf.abs(g))) > 0 for g in gradients)
    assert len(model.losses) == 1  # replaced, not accumulated, call after call


def test_mask_sparsity_weight_zero_adds_nothing_and_bad_weights_are_refused():
    model = _masked_model(0)
    model(_videos((2, 3)))
    assert model.losses == []
    with pytest.raises(ValueError, match="weight=-1"):
        MaskSparsity(-1)


def test_frame_distributed_equals_the_layer_on_each_frame_and_pools_batch_statistics():
    x = _videos((2, 5, 6, 6, 3))
    conv = keras.layers.Conv2D(4, 3, padding="same")
    per_frame = FrameDistributed(conv)(x).numpy()
    assert per_frame.shape == (2, 5, 6, 6, 4)
    for t in range(5):
        np.testing.assert_allclose(per_frame[:, t], conv(x[:, t]).numpy(), rtol=1e-5, atol=1e-5)
    # Batch normalization over all N·T frames, not frame by frame: one frame's output depends on the others.
    normed = FrameDistributed(keras.layers.BatchNormalization())(x, training=True).numpy()
    np.testing.assert_allclose(normed.mean(axis=(0, 1, 2, 3)), 0.0, atol=1e-4)
    assert np.abs(normed.mean(axis=(0, 2, 3, 4))).max() > 1e-3


def test_frame_distributed_sub_model_round_trips(tmp_path):
    frame = keras.Input((4, 4, 1), name="frame")
    inner = keras.Model(frame, keras.layers.Dense(2, name="dense")(keras.layers.Flatten()(frame)), name="inner")
    clips = keras.Input((3, 4, 4, 1), name="video")
    model = keras.Model(clips, SumOverFrames(name="logit")(FrameDistributed(inner, name="per_frame")(clips)))
    model.save(tmp_path / "frames.keras")
    x = _videos((2, 3, 4, 4, 1))
    np.testing.assert_array_equal(keras.models.load_model(tmp_path / "frames.keras")(x).numpy(), model(x).numpy())
    np.testing.assert_allclose(model(x).numpy(), inner(x.reshape(6, 4, 4, 1)).numpy().reshape(2, 3, 2).sum(1),
                               rtol=1e-5)


def test_mask_composite_mixes_foreground_over_background():
    mask = np.array([[[0.0], [0.25], [1.0]]], "float32")
    foreground = np.ones((1, 3, 2), "float32")
    background = -np.ones((1, 3, 2), "float32")
    out = MaskComposite()([mask, foreground, background]).numpy()
    np.testing.assert_allclose(out[0, :, 0], [-1.0, -0.5, 1.0])
    assert out.shape == (1, 3, 2)
