"""Class obedience: the video classifier, the score on a fake generator, its saving, and `evaluate --per-class`."""

import json

import numpy as np
import pytest

from keras_vgan.metrics import obedience as obedience_module
from keras_vgan.metrics.obedience import (
    build_video_classifier,
    check_classes,
    class_obedience,
    classifier_accuracy,
    load_classifier,
    save_classifier,
    train_video_classifier,
)

FRAMES, SIZE, CLASSES = 4, 8, 3


def brightness_clips(labels, seed=0):
    """uint8 clips whose class is their brightness (class k around 40 + 80 k), with noise: easy to learn."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    base = 40 + 80 * labels[:, None, None, None, None]
    noise = rng.integers(-30, 31, (len(labels), FRAMES, SIZE, SIZE, 1))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


class BrightnessClassifier:
    """A stand-in classifier with a hand-checkable answer: the class whose brightness is nearest the clip's."""

    def predict(self, clips, batch_size=None, verbose=0):
        pixels = (np.asarray(clips).mean(axis=(1, 2, 3, 4)) + 1.0) * 127.5  # back from [-1, 1]
        nearest = np.argmin(np.abs(pixels[:, None] - (40 + 80 * np.arange(CLASSES))[None]), axis=1)
        return np.eye(CLASSES)[nearest]


class FakeGAN:
    """generate(n, seed, labels) gives real clips of class `labels + shift` (shift 0: an obedient generator)."""

    num_classes = CLASSES

    def __init__(self, shift=0):
        self.shift = shift
        self.calls = []

    def generate(self, num_videos, seed=None, labels=None, use_ema=True, batch_size=32):
        self.calls.append((num_videos, seed, labels))
        drawn = np.full(num_videos, (labels + self.shift) % CLASSES)
        return brightness_clips(drawn, seed=seed)


@pytest.fixture(scope="module")
def trained():
    labels = np.arange(120) % CLASSES
    return train_video_classifier((brightness_clips(labels), labels), CLASSES, steps=60, batch_size=16, filters=4,
                                  seed=0)


def test_the_package_exports_the_function_not_a_module_of_its_name():
    import keras_vgan.metrics as metrics

    # The module is `obedience`: one named `class_obedience` would replace the function once imported.
    assert metrics.class_obedience is class_obedience and callable(metrics.class_obedience)


def test_classifier_maps_clips_to_one_logit_per_class():
    model = build_video_classifier(FRAMES, SIZE, SIZE, 1, num_classes=CLASSES, filters=4)
    assert tuple(model.input.shape) == (None, FRAMES, SIZE, SIZE, 1)
    assert tuple(model.output.shape) == (None, CLASSES)
    assert model.predict(np.zeros((2, FRAMES, SIZE, SIZE, 1), np.float32), verbose=0).shape == (2, CLASSES)
    with pytest.raises(ValueError, match="num_classes=1"):
        build_video_classifier(FRAMES, SIZE, SIZE, 1, num_classes=1)


def test_a_short_training_learns_an_easy_class(trained):
    model, accuracy = trained
    # 24 held-out clips (a fifth of 120); brightness is visible in every pixel.
    assert accuracy >= 0.9
    labels = np.arange(30) % CLASSES
    assert classifier_accuracy(model, brightness_clips(labels, seed=5), labels) >= 0.9


def test_training_takes_a_dataset_of_pairs_and_a_held_out_set():
    import tensorflow as tf

    labels = np.arange(12) % CLASSES
    pairs = tf.data.Dataset.from_tensor_slices((brightness_clips(labels).astype(np.float32) / 127.5 - 1, labels))
    _, accuracy = train_video_classifier(pairs, CLASSES, validation_clips=(brightness_clips(labels[:6]), labels[:6]),
                                         steps=1, filters=2)
    assert accuracy in {k / 6 for k in range(7)}
    with pytest.raises(ValueError, match="without labels"):
        train_video_classifier(pairs.map(lambda clip, label: clip), CLASSES, steps=1)
    with pytest.raises(ValueError, match="label 3 is not valid"):
        train_video_classifier((brightness_clips(labels), labels + 3), CLASSES, steps=1)


def test_an_obedient_generator_scores_the_classifiers_accuracy(trained):
    model, accuracy = trained
    result = class_obedience(FakeGAN(), model, num_per_class=20, seed=3)
    assert result.classes == [0, 1, 2]
    assert result.confusion.sum(axis=1).tolist() == [20, 20, 20]
    # Real clips of the asked class: the score is the classifier's own accuracy (near 1 here).
    assert abs(result.mean_accuracy - accuracy) <= 0.1
    assert result.mean_accuracy >= 0.9


def test_a_generator_drawing_the_next_class_scores_zero_and_the_confusion_says_which():
    gan = FakeGAN(shift=1)
    result = class_obedience(gan, BrightnessClassifier(), num_per_class=5, seed=0, classes=[2, 0])
    assert result.classes == [2, 0]
    assert result.per_class_accuracy.tolist() == [0.0, 0.0]
    # Asked for 2, drew 0; asked for 0, drew 1: all 5 clips of each row in that column.
    assert result.confusion.tolist() == [[5, 0, 0], [0, 5, 0]]
    # The same noise for every class: only the label differs.
    assert [call[1] for call in gan.calls] == [0, 0]
    assert sorted(result.generated) == [0, 2] and result.generated[2].shape == (5, FRAMES, SIZE, SIZE, 1)


def test_an_obedient_generator_under_the_exact_classifier_scores_one():
    result = class_obedience(FakeGAN(), BrightnessClassifier(), num_per_class=4)
    assert result.per_class_accuracy.tolist() == [1.0, 1.0, 1.0]
    assert result.confusion.tolist() == [[4, 0, 0], [0, 4, 0], [0, 0, 4]]


def test_obedience_argument_errors():
    class Unconditional(FakeGAN):
        num_classes = None

    with pytest.raises(ValueError, match="unconditional"):
        class_obedience(Unconditional(), BrightnessClassifier(), 2)
    with pytest.raises(ValueError, match="class 3 is not valid"):
        class_obedience(FakeGAN(), BrightnessClassifier(), 2, classes=[0, 3])
    with pytest.raises(ValueError, match="twice"):
        check_classes([1, 1], CLASSES)
    with pytest.raises(ValueError, match="num_per_class=0"):
        class_obedience(FakeGAN(), BrightnessClassifier(), 0)


def test_a_saved_classifier_is_reused_only_for_the_same_data(trained, tmp_path):
    model, accuracy = trained
    trained_on = {"data": "moving_digits", "geometry": (FRAMES, SIZE, SIZE, 1), "steps": 60}
    assert load_classifier(tmp_path, trained_on) is None  # nothing saved yet
    save_classifier(tmp_path, model, accuracy, trained_on)
    info = json.loads((tmp_path / obedience_module.CLASSIFIER_INFO_FILE).read_text())
    assert info == {"held_out_accuracy": accuracy, "trained_on": {**trained_on, "geometry": [FRAMES, SIZE, SIZE, 1]}}
    loaded, loaded_accuracy = load_classifier(tmp_path, trained_on)
    clips = brightness_clips(np.arange(6) % CLASSES).astype(np.float32) / 127.5 - 1
    np.testing.assert_allclose(loaded.predict(clips, verbose=0), model.predict(clips, verbose=0), atol=1e-5)
    assert loaded_accuracy == accuracy
    assert load_classifier(tmp_path, {**trained_on, "geometry": (FRAMES, 16, 16, 1)}) is None
    assert load_classifier(tmp_path, {**trained_on, "data": "bouncing_shapes"}) is None
    (tmp_path / obedience_module.CLASSIFIER_FILE).write_bytes(b"damaged")
    assert load_classifier(tmp_path, trained_on) is None  # retrained, not an error


# --------------------------------------------------------------------------- #
# keras-vgan evaluate --per-class
# --------------------------------------------------------------------------- #

def _run_dir(tmp_path, conditional=True):
    from keras_vgan.metrics.i3d import MIN_FRAMES
    from keras_vgan.models import VideoGAN, build_video_discriminator, build_video_generator
    from keras_vgan.presets import TrainingConfig
    from keras_vgan.training import write_class_names

    run_dir = tmp_path / ("conditional" if conditional else "unconditional")
    run_dir.mkdir()
    classes = 3 if conditional else None
    config = TrainingConfig(dataset="bouncing_shapes", conditional=conditional, num_objects=1, frames=MIN_FRAMES,
                            height=16, width=16, channels=3)
    (run_dir / "config.json").write_text(config.to_json())
    gan = VideoGAN(build_video_generator(MIN_FRAMES, 16, 16, 3, latent_dim=4, base_filters=4, num_classes=classes),
                   build_video_discriminator(MIN_FRAMES, 16, 16, 3, base_filters=4, num_classes=classes))
    gan.save(run_dir / "model.keras")
    if conditional:
        write_class_names(run_dir, ["circle", "square", "triangle"])
    return run_dir


def _cheap_features(videos, **options):
    # Stands in for I3D (224×224, slow on CPU): a few per-clip statistics are enough to check the plumbing.
    from keras_vgan.metrics.features import VideoSet

    batches = list(VideoSet("videos", videos).batches(16))
    clips = np.concatenate([np.asarray(batch, np.float64) for batch in batches])
    return np.stack([clips.mean(axis=(1, 2, 3, 4)), clips.std(axis=(1, 2, 3, 4)),
                     clips[:, 0].mean(axis=(1, 2, 3)), clips[:, -1].mean(axis=(1, 2, 3))], axis=1)


@pytest.fixture
def cheap_fvd(monkeypatch):
    from keras_vgan.metrics import features, i3d

    monkeypatch.setattr(features, "video_features", _cheap_features)
    monkeypatch.setattr(i3d, "resolve_weights", lambda weights=None: "unused")


def test_evaluate_per_class_prints_a_table_and_reuses_its_classifier(tmp_path, capsys, cheap_fvd):
    from keras_vgan.cli import main

    run_dir = _run_dir(tmp_path)
    arguments = ["evaluate", str(run_dir), "--per-class", "--num-videos", "3", "--classifier-steps", "2",
                 "--classifier-videos", "20"]
    assert main(arguments) == 0
    out = capsys.readouterr().out
    assert "classifier held-out accuracy" in out and (run_dir / "classifier.keras").is_file()
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.split()}
    for name in ("circle", "square", "triangle", "mean"):
        assert 0.0 <= float(rows[name][1]) <= 1.0
    assert rows["circle"][3] == "(N=3)"
    assert "biased" in out
    assert float(rows["FVD:"][1]) >= 0.0  # the overall FVD, as without --per-class

    assert main(arguments + ["--classes", "square"]) == 0
    out = capsys.readouterr().out
    assert "classifier reused" in out
    table = [line.split()[0] for line in out.splitlines() if line.split() and line.split()[0] in
             ("circle", "square", "triangle", "mean")]
    assert table == ["square", "mean"]
    assert main(arguments[:-3] + ["3", "--classifier-videos", "20"]) == 0  # other steps: trained anew
    assert "training a video classifier" in capsys.readouterr().out


@pytest.mark.parametrize("extra, message", [
    (["--classes", "hexagon"], "--classes 'hexagon' is not a class of this run"),
    (["--data", "tiny.npy"], "needs labelled data"),
])
def test_evaluate_per_class_errors(tmp_path, capsys, cheap_fvd, monkeypatch, extra, message):
    from keras_vgan.cli import main

    run_dir = _run_dir(tmp_path)
    monkeypatch.chdir(tmp_path)
    np.save(tmp_path / "tiny.npy", np.zeros((4, 9, 16, 16), np.uint8))
    assert main(["evaluate", str(run_dir), "--per-class", "--num-videos", "2", *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("keras-vgan evaluate: error: ") and message in err and len(err.splitlines()) == 1


def test_evaluate_per_class_on_an_unconditional_run_is_refused(tmp_path, capsys, cheap_fvd):
    from keras_vgan.cli import main

    run_dir = _run_dir(tmp_path, conditional=False)
    assert main(["evaluate", str(run_dir), "--per-class", "--num-videos", "2"]) == 2
    err = capsys.readouterr().err
    assert "needs a class-conditional run" in err and len(err.splitlines()) == 1
    assert main(["evaluate", str(run_dir), "--num-videos", "2", "--classes", "circle", "--data",
                 "bouncing_shapes"]) == 2
    assert capsys.readouterr().err == "keras-vgan evaluate: error: --classes applies with --per-class only\n"
