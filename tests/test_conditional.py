"""Class-conditional generation: label embedding, projection discriminators, labelled data, training, sampling."""

import json
import os
import textwrap

import cv2
import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import TWO_LOGICAL_CPUS, run_with_two_logical_cpus
from keras_vgan.datasets import load_source
from keras_vgan.datasets import synthetic
from keras_vgan.datasets.synthetic import (DIGIT_CLASS_NAMES, SHAPE_CLASS_NAMES, bouncing_shapes, moving_digits,
                                           render_bouncing_shapes, render_moving_digits)
from keras_vgan.models import (VideoGAN, build_image_discriminator, build_spatial_discriminator,
                               build_temporal_discriminator, build_video_discriminator, build_video_generator)
from keras_vgan.models.conditioning import check_labels, class_count, has_class_head
from keras_vgan.models.zoo import build_architecture, conditional_architectures
from keras_vgan.presets import TrainingConfig
from keras_vgan.training import build_gan, data_class_names, source_clips, train, training_dataset

SHAPE = dict(frames=8, height=16, width=16, channels=1)
CLIP = (SHAPE["frames"], SHAPE["height"], SHAPE["width"], SHAPE["channels"])
TINY_OPTIONS = dict(latent_dim=8, generator_filters=4, discriminator_filters=4)


def labelled_digit_batches(num_videos=8, batch_size=4):
    return moving_digits(num_videos, **SHAPE, labels=True, seed=1).batch(batch_size)


def random_clips(count=2, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (count, *CLIP)).astype(np.float32)


def conditional_gan(model="conv3d", num_classes=10, **compile_options):
    keras.utils.set_random_seed(0)
    generator, discriminators = build_architecture(model, *CLIP, num_classes=num_classes, **TINY_OPTIONS)
    gan = VideoGAN(generator, discriminators, ema_decay=0.9)
    gan.compile(loss="hinge", **compile_options)
    return gan


# ---- networks ----------------------------------------------------------------------------------------

def test_generator_embeds_the_label_beside_the_noise():
    generator = build_video_generator(**SHAPE, latent_dim=8, base_filters=4, num_classes=10, class_embedding_dim=6)
    assert [tensor.name for tensor in generator.inputs] == ["noise", "condition"]
    assert generator.get_layer("class_embedding").output.shape == (None, 6)
    assert generator.get_layer("noise_and_class").output.shape == (None, 14)
    noise = np.zeros((2, 8), np.float32)
    videos = generator([noise, np.array([3, 7], np.int32)])
    assert videos.shape == (2, *CLIP)
    # The same noise, another label: another video.
    assert not np.allclose(videos, generator([noise, np.array([4, 7], np.int32)]))
    assert class_count(generator) == 10


@pytest.mark.parametrize("num_classes", [None, 0])
def test_no_classes_is_the_unconditional_network_as_before(num_classes):
    generator = build_video_generator(**SHAPE, latent_dim=8, base_filters=4, num_classes=num_classes)
    discriminator = build_video_discriminator(**SHAPE, base_filters=4, num_classes=num_classes)
    plain_generator = build_video_generator(**SHAPE, latent_dim=8, base_filters=4)
    plain_discriminator = build_video_discriminator(**SHAPE, base_filters=4)
    assert [layer.name for layer in generator.layers] == [layer.name for layer in plain_generator.layers]
    assert [layer.name for layer in discriminator.layers] == [layer.name for layer in plain_discriminator.layers]
    assert [tensor.name for tensor in generator.inputs] == ["noise"] and class_count(generator) is None


DISCRIMINATORS = {
    "video": lambda: build_video_discriminator(**SHAPE, base_filters=4, num_classes=5),
    "video_spectral": lambda: build_video_discriminator(**SHAPE, base_filters=4, normalization="spectral",
                                                        num_classes=5),
    "image": lambda: build_image_discriminator(*CLIP, frames_per_clip=2, base_filters=4, num_classes=5),
    "spatial": lambda: build_spatial_discriminator(*CLIP, frames_per_clip=4, base_filters=4, num_classes=5),
    "temporal": lambda: build_temporal_discriminator(*CLIP, base_filters=4, num_classes=5),
}


@pytest.mark.parametrize("kind", sorted(DISCRIMINATORS))
def test_projection_discriminators_score_the_same_clip_differently_per_label(kind):
    keras.utils.set_random_seed(0)
    discriminator = DISCRIMINATORS[kind]()
    assert [tensor.name for tensor in discriminator.inputs] == ["video", "condition"]
    assert discriminator.output_shape == (None, 1)
    clips = random_clips()
    logits = {label: discriminator([clips, np.full(2, label, np.int32)]).numpy() for label in range(5)}
    assert logits[0].shape == (2, 1) and logits[0].dtype == np.float32
    assert all(not np.allclose(logits[0], logits[label]) for label in range(1, 5))
    # The label adds <embed(label), pooled features>: the difference between two labels is exactly that.
    embeddings = discriminator.get_layer("class_embedding").get_weights()[0]
    pooled = keras.Model(discriminator.inputs, discriminator.get_layer("class_pool").output)(
        [clips, np.zeros(2, np.int32)]).numpy()
    np.testing.assert_allclose(logits[3] - logits[1], pooled @ (embeddings[3] - embeddings[1])[:, None],
                               rtol=1e-4, atol=1e-6)


def test_zoo_threads_num_classes_through_conv3d_dvd_gan_and_sprites_only():
    assert conditional_architectures() == ["conv3d", "dvd-gan", "sprites"]
    generator, (spatial, temporal) = build_architecture("dvd-gan", *CLIP, num_classes=4, **TINY_OPTIONS)
    assert class_count(generator) == 4
    for discriminator in (spatial, temporal):
        assert [tensor.name for tensor in discriminator.inputs] == ["video", "condition"]
        assert discriminator.get_layer("class_embedding").input_dim == 4
    generator, _ = build_architecture("vgan", *CLIP, num_classes=0, **TINY_OPTIONS)  # 0: unconditional
    assert len(generator.inputs) == 1
    for model in ("vgan", "tgan", "mocogan"):
        with pytest.raises(ValueError, match=f"model '{model}' has no class-conditional form"):
            build_architecture(model, *CLIP, num_classes=10)


@pytest.mark.parametrize("num_classes", [-1, 2.5, True, "10"])
def test_bad_num_classes_is_named(num_classes):
    with pytest.raises(ValueError, match=f"num_classes={num_classes!r} is not valid"):
        build_video_generator(**SHAPE, latent_dim=8, base_filters=4, num_classes=num_classes)


def dvd_gan_with_class_heads():
    keras.utils.set_random_seed(0)
    return build_architecture("dvd-gan", *CLIP, num_classes=5, auxiliary_classifier=True, class_normalization=True,
                              frames_per_clip=4, **TINY_OPTIONS)


def test_dvd_gan_class_heads_classify_every_chosen_frame():
    generator, (spatial, temporal) = dvd_gan_with_class_heads()
    assert any(layer.name.endswith("_class_scale") for layer in generator.layers)  # class_normalization reached G
    assert has_class_head(temporal) and temporal.output_shape == [(None, 1), (None, 5)]
    assert has_class_head(spatial) and spatial.output_shape == [(None, 1), (None, 4, 5)]
    frame_discriminator = spatial.get_layer("frame_scores").layer
    assert spatial.get_layer("class_frame_pool").output.shape == (None, 4, frame_discriminator.outputs[1].shape[-1])
    clips, labels = random_clips(), np.array([1, 3], np.int32)
    logit, class_logits = (output.numpy() for output in spatial([clips, labels], training=False))
    assert logit.shape == (2, 1) and class_logits.shape == (2, 4, 5) and class_logits.dtype == np.float32
    # By hand: outside training the 4 frames are evenly spaced (1, 3, 5, 7); each one's final features through
    # the frame discriminator, averaged over space, then the shared Dense.
    _, features = frame_discriminator(clips[:, [1, 3, 5, 7]].reshape(-1, *CLIP[1:]), training=False)
    kernel, bias = spatial.get_layer("class_logits").get_weights()
    per_frame = (features.numpy().mean(axis=(1, 2)) @ kernel + bias).reshape(2, 4, 5)
    assert not np.allclose(per_frame[:, 0], per_frame[:, 1])  # each frame is classified on its own
    np.testing.assert_allclose(class_logits, per_frame, rtol=1e-5, atol=1e-6)
    # The head reads the clip, not the label (only the projection does).
    np.testing.assert_allclose(spatial([clips, labels[::-1]])[1], class_logits, rtol=1e-6)


def test_dvd_gan_discriminators_with_class_heads_round_trip_through_keras_files(tmp_path):
    inputs = [random_clips(), np.array([0, 4], np.int32)]
    for discriminator in dvd_gan_with_class_heads()[1]:
        discriminator.save(tmp_path / f"{discriminator.name}.keras")
        loaded = keras.models.load_model(tmp_path / f"{discriminator.name}.keras")
        assert [layer.name for layer in loaded.layers] == [layer.name for layer in discriminator.layers]
        for got, expected in zip(loaded(inputs), discriminator(inputs)):
            np.testing.assert_array_equal(got.numpy(), expected.numpy())


@pytest.mark.parametrize("build, named", [
    (lambda: build_spatial_discriminator(*CLIP, base_filters=4, auxiliary_classifier=True),
     "auxiliary_classifier=True is not valid with num_classes=None"),
    (lambda: build_temporal_discriminator(*CLIP, base_filters=4, auxiliary_classifier=True),
     "auxiliary_classifier=True is not valid with num_classes=None"),
    (lambda: build_image_discriminator(*CLIP, base_filters=4, num_classes=5, auxiliary_classifier="yes"),
     r"auxiliary_classifier='yes' is not valid; expected one of \[False, True, 'fake_class'\]"),
    (lambda: build_architecture("dvd-gan", *CLIP, auxiliary_classifier=True, **TINY_OPTIONS),
     "auxiliary_classifier=True is not valid with num_classes=None"),
    (lambda: build_architecture("dvd-gan", *CLIP, class_normalization=True, **TINY_OPTIONS),
     "class_normalization=True is not valid"),
], ids=["spatial", "temporal", "image_not_bool", "dvd_gan", "dvd_gan_class_normalization"])
def test_dvd_gan_class_heads_without_classes_are_named(build, named):
    with pytest.raises(ValueError, match=named):
        build()


# ---- training, saving, sampling --------------------------------------------------------------------------

# conv3d's steps are traced (labels through tf.function); dvd-gan's run eagerly, quicker for two steps.
@pytest.mark.parametrize("model, eagerly", [("conv3d", False), ("dvd-gan", True)])
def test_conditional_gan_fits_two_steps_on_labelled_digits(model, eagerly):
    gan = conditional_gan(model, run_eagerly=eagerly)
    assert gan.num_classes == 10 and gan.is_conditional
    before = [w.copy() for w in gan.discriminator.get_layer("class_embedding").get_weights()]
    history = gan.fit(labelled_digit_batches(), epochs=1, verbose=0)
    assert int(gan.g_optimizer.iterations) == 2
    assert all(np.isfinite(values[-1]) for values in history.history.values())
    # The projection learned: its embedding moved.
    assert not np.allclose(before[0], gan.discriminator.get_layer("class_embedding").get_weights()[0])
    with pytest.raises(ValueError, match="clips alone is not valid for a conditional generator"):
        gan.fit(moving_digits(4, **SHAPE, num_digits=1).batch(4), epochs=1, verbose=0)


def test_keras_round_trip_generates_the_same_videos_for_the_same_labels(tmp_path):
    gan = conditional_gan("dvd-gan", run_eagerly=True)
    gan.fit(labelled_digit_batches(4), epochs=1, verbose=0)
    expected = gan.generate(4, seed=0, labels=[0, 1, 2, 3])
    path = str(tmp_path / "conditional.keras")
    gan.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.num_classes == 10
    np.testing.assert_array_equal(loaded.generate(4, seed=0, labels=[0, 1, 2, 3]), expected)
    # The labels matter: the same noise as another class is another video.
    assert not np.array_equal(loaded.generate(4, seed=0, labels=[9, 9, 9, 9]), expected)
    # One int labels every video; condition= takes the same labels.
    np.testing.assert_array_equal(loaded.generate(2, seed=0, labels=5), loaded.generate(2, seed=0, labels=[5, 5]))
    np.testing.assert_array_equal(loaded.generate(4, seed=0, condition=[0, 1, 2, 3]), expected)


@pytest.mark.parametrize("labels, named", [
    (10, "label 10 is not valid"),
    ([0, 1, -1, 3], "label -1 is not valid"),
    ([0, 1], r"labels=\[0, 1\] gives 2 labels for 4 videos"),
    ([0.5, 1, 2, 3], r"labels=\[0.5, 1, 2, 3\] is not valid"),
    ("3", "labels='3' is not valid"),
    (None, "labels=None is not valid for a class-conditional model of 10 classes"),
])
def test_bad_labels_are_named(labels, named):
    gan = conditional_gan()
    with pytest.raises(ValueError, match=named):
        gan.generate(4, seed=0, labels=labels)


def test_labels_for_an_unconditional_model_are_refused():
    gan = VideoGAN(build_video_generator(**SHAPE, latent_dim=8, base_filters=4),
                   build_video_discriminator(**SHAPE, base_filters=4))
    assert gan.num_classes is None
    with pytest.raises(ValueError, match=r"labels=\[1, 2\] is not valid: this model is unconditional"):
        gan.generate(2, seed=0, labels=[1, 2])
    with pytest.raises(ValueError, match="num_classes=3 is not valid for generator"):
        VideoGAN(gan.generator, gan.discriminator, num_classes=3)


def test_check_labels_spreads_one_int_and_takes_numpy_integers():
    assert check_labels(np.int64(2), 3, 4).tolist() == [2, 2, 2]
    assert check_labels(np.array([3, 0], np.uint8), 2, 4).dtype == np.int32


# ---- labelled built-in data --------------------------------------------------------------------------

def test_moving_digit_labels_are_the_digits_drawn(monkeypatch):
    drawn = []
    put_text = cv2.putText

    def recording_put_text(canvas, text, *arguments):
        drawn.append(text)
        return put_text(canvas, text, *arguments)

    monkeypatch.setattr(synthetic.cv2, "putText", recording_put_text)
    videos, labels = render_moving_digits(40, frames=2, height=16, width=16, seed=3, labels=True)
    assert labels.dtype == np.int32 and labels.shape == (40,)
    assert [DIGIT_CLASS_NAMES[label] for label in labels] == drawn  # one digit a clip, in order
    assert len(set(drawn)) >= 8


def test_bouncing_shape_labels_are_the_shapes_drawn(monkeypatch):
    drawn = []
    draw_shape = synthetic._draw_shape

    def recording_draw_shape(frame, kind, *arguments):
        drawn.append(kind)
        return draw_shape(frame, kind, *arguments)

    monkeypatch.setattr(synthetic, "_draw_shape", recording_draw_shape)
    videos, labels = render_bouncing_shapes(12, frames=3, height=16, width=16, seed=2, labels=True)
    assert drawn == [int(label) for label in labels for _ in range(3)]  # a call per frame
    assert set(labels.tolist()) == {0, 1, 2} and len(SHAPE_CLASS_NAMES) == 3


@pytest.mark.parametrize("render, option", [(render_moving_digits, "num_digits"),
                                            (render_bouncing_shapes, "num_shapes")])
def test_labelled_clips_are_the_unlabelled_clips_of_the_same_seed(render, option):
    videos, _ = render(6, frames=4, height=16, width=16, seed=5, labels=True)
    np.testing.assert_array_equal(videos, render(6, frames=4, height=16, width=16, seed=5, **{option: 1}))
    # The unlabelled default is still several objects a clip, as before.
    np.testing.assert_array_equal(render(6, frames=4, height=16, width=16, seed=5),
                                  render(6, frames=4, height=16, width=16, seed=5,
                                         **{option: (1, 2) if option == "num_digits" else (1, 3)}))


@pytest.mark.parametrize("render, option", [(render_moving_digits, "num_digits"),
                                            (render_bouncing_shapes, "num_shapes")])
def test_labels_with_several_objects_a_clip_are_refused(render, option):
    with pytest.raises(ValueError, match=rf"{option}=\(1, 2\) is not valid with labels=True"):
        render(2, frames=2, height=16, width=16, labels=True, **{option: (1, 2)})


def test_labelled_datasets_carry_class_names_and_shards():
    digits = moving_digits(4, frames=2, height=16, width=16, labels=True, seed=1)
    assert digits.class_names == list(DIGIT_CLASS_NAMES) and digits.data_summary.num_classes == 10
    clips, labels = zip(*digits.as_numpy_iterator())
    _, expected = render_moving_digits(4, frames=2, height=16, width=16, seed=1, labels=True)
    assert list(labels) == expected.tolist() and clips[0].dtype == np.float32
    shapes = bouncing_shapes(4, frames=2, height=16, width=16, labels=True, shard=(1, 2))
    assert shapes.class_names == list(SHAPE_CLASS_NAMES) and len(list(shapes)) == 2
    via_spec = load_source("bouncing_shapes", frames=2, height=16, width=16, channels=3, num_videos=4,
                           num_objects=1, labels=True)
    assert via_spec.element_spec[1].dtype == tf.int32


# ---- the training configuration ----------------------------------------------------------------------

TINY_RUN = dict(dataset="moving_digits", num_objects=1, frames=4, height=16, width=16, channels=1, latent_dim=8,
                generator_filters=4, discriminator_filters=4, batch_size=4, num_videos=8, epochs=1,
                steps_per_epoch=2, checkpoint_every=2, num_samples=3, precision="float32", conditional=True)


def test_a_conditional_config_builds_a_class_conditional_gan_on_labelled_batches():
    config = TrainingConfig(**TINY_RUN).validate()
    assert data_class_names(config) == list(DIGIT_CLASS_NAMES)
    gan = build_gan(config)
    assert gan.num_classes == 10
    clips, labels = next(iter(training_dataset(config, source_clips(config))))
    assert clips.shape == (4, 4, 16, 16, 1) and labels.shape == (4,) and labels.dtype == tf.int32
    shapes = config.replace(dataset="bouncing_shapes", channels=3)
    assert build_gan(shapes).num_classes == 3 and data_class_names(shapes) == list(SHAPE_CLASS_NAMES)
    assert TrainingConfig().conditional is False and data_class_names(TrainingConfig()) is None


@pytest.mark.parametrize("changes, named", [
    (dict(task="predict", model="convlstm", frames=20), "conditional=True is not valid with task='predict'"),
    (dict(model="tgan"), "conditional=True is not valid with model='tgan'"),
    (dict(num_objects=(1, 2)), r"num_objects=\(1, 2\) is not valid for a conditional run"),
    (dict(conditional="yes"), "conditional='yes' is not valid"),
    (dict(conditional=False, model_options={"num_classes": 10}), "model option num_classes=10 is not valid"),
])
def test_bad_conditional_configs_are_named(changes, named):
    with pytest.raises(ValueError, match=named):
        TrainingConfig(**{**TINY_RUN, **changes}).validate()


def test_a_conditional_run_on_data_without_labels_is_refused(tmp_path):
    path = str(tmp_path / "clips.npy")
    np.save(path, np.zeros((2, 8, 16, 16), np.uint8))
    config = TrainingConfig(**{**TINY_RUN, "dataset": None, "data": path})
    with pytest.raises(ValueError, match="data without labels for a conditional run"):
        source_clips(config)
    with pytest.raises(ValueError, match="data without labels for a conditional run"):
        build_gan(config)


def test_cli_flag_sets_conditional():
    import argparse

    from keras_vgan.cli import train as train_command

    parser = argparse.ArgumentParser()
    train_command.add_parser(parser.add_subparsers())
    assert train_command.config_from_args(parser.parse_args(["train", "--conditional"])).conditional is True
    assert train_command.config_from_args(parser.parse_args(["train"])).conditional is False


def test_train_saves_class_names_and_samples_every_class(tmp_path):
    run_dir = str(tmp_path / "run")
    gan, history = train(TrainingConfig(**TINY_RUN), run_dir, verbose=0)
    with open(os.path.join(run_dir, "class_names.json")) as file:
        assert json.load(file) == list(DIGIT_CLASS_NAMES)
    assert gan.num_classes == 10 and int(gan.g_optimizer.iterations) == 2
    assert os.path.exists(os.path.join(run_dir, "samples", "epoch_0001.png"))
    loaded = keras.models.load_model(os.path.join(run_dir, "model.keras"))
    assert loaded.generate(2, seed=0, labels=[1, 2]).shape == (2, 4, 16, 16, 1)
    # Resuming on data of other classes would relabel the model's classes.
    with open(os.path.join(run_dir, "class_names.json"), "w") as file:
        json.dump(["a", "b"], file)
    with pytest.raises(ValueError, match=r"was trained on the classes \['a', 'b'\]"):
        train(TrainingConfig(**TINY_RUN), run_dir, verbose=0)


# A conditional fit splits (clip, label) batches over the replicas; each replica must see its own labels
# beside its own clips, and the all-reduced steps must keep the two copies of every weight identical.
MIRRORED_WITH_LABELS = TWO_LOGICAL_CPUS + textwrap.dedent("""
    from keras_vgan.datasets.synthetic import moving_digits
    from keras_vgan.models import VideoGAN
    from keras_vgan.models.zoo import build_architecture

    keras.utils.set_random_seed(0)
    with strategy.scope():
        generator, discriminators = build_architecture("dvd-gan", 8, 16, 16, 1, num_classes=10, latent_dim=8,
                                                       generator_filters=4, discriminator_filters=4)
        gan = VideoGAN(generator, discriminators)
        gan.compile(loss="hinge", jit_compile=False)
    embedding = [d.get_layer("class_embedding").get_weights()[0].copy() for d in gan.discriminators]
    data = moving_digits(16, frames=8, height=16, width=16, channels=1, labels=True, seed=1).batch(8)
    history = gan.fit(data, epochs=1, verbose=0)
    assert int(gan.g_optimizer.iterations.numpy()) == 2
    assert all(np.isfinite(values[-1]) for values in history.history.values()), history.history
    for before, discriminator in zip(embedding, gan.discriminators):
        assert not np.allclose(before, discriminator.get_layer("class_embedding").get_weights()[0])
    for variable in gan.generator.trainable_variables + gan.discriminator_variables:
        copies = variable.value.values
        assert len(copies) == 2 and np.array_equal(copies[0].numpy(), copies[1].numpy()), variable.path
    videos = gan.generate(4, seed=0, labels=[0, 1, 2, 3])
    assert videos.shape == (4, 8, 16, 16, 1)
    print("MIRRORED_LABELS_OK", len(gan.discriminators))
""")


def test_a_conditional_multi_discriminator_gan_fits_labelled_batches_under_mirrored_strategy():
    result = run_with_two_logical_cpus(MIRRORED_WITH_LABELS)
    assert "MIRRORED_LABELS_OK 2" in result.stdout, result.stderr[-3000:]
