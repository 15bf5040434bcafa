"""Class obedience: does a class-conditional generator draw the class it is asked for?

A small video classifier, trained on real labelled clips, labels the
generated clips of each requested class; its accuracy on them is the score
("obedience"), read beside its own held-out accuracy on real clips, which
bounds what a perfect generator could get. The confusion matrix says which
class the generator drew instead.

The classifier is a per-frame 2D CNN averaged over time: in the built-in
data a clip's class (its digit, its kind of shape) shows in every frame, and
Conv2D is fast on CPUs where Conv3D is not (no oneDNN 3D kernels).

Example:
>>> classifier = build_video_classifier(4, 16, 16, 1, num_classes=3, filters=4)
>>> clips = np.zeros((2, 4, 16, 16, 1), np.uint8)
>>> classifier.predict(classifier_input(clips), verbose=0).shape
(2, 3)
"""

import dataclasses
import json
import os

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from keras_vgan.atomic import atomic_path
from keras_vgan.validation import check_int, check_positive_int

CLASSIFIER_FILE = "classifier.keras"
CLASSIFIER_INFO_FILE = "classifier.json"


def build_video_classifier(frames, height, width, channels, num_classes, filters=16):
    """A video classifier: float clips in [-1, 1] (N, T, H, W, C) → class logits (N, num_classes).

    Three stride-2 Conv2D layers per frame, max-pooled over space (the
    object is small and anywhere in the frame), averaged over time.

    Example:
    >>> model = build_video_classifier(4, 16, 16, 1, num_classes=10, filters=4)
    >>> tuple(model.output.shape), model.name
    ((None, 10), 'video_classifier')
    """
    for name, value in dict(frames=frames, height=height, width=width, channels=channels, filters=filters).items():
        check_positive_int(name, value)
    check_int("num_classes", num_classes, minimum=2)
    clips = keras.Input((frames, height, width, channels), name="clips")
    features = clips
    for index, width_factor in enumerate((1, 2, 4)):
        features = layers.TimeDistributed(
            layers.Conv2D(filters * width_factor, 3, strides=2, padding="same", activation="relu"),
            name=f"frame_conv_{index}")(features)
    features = layers.TimeDistributed(layers.GlobalMaxPooling2D(), name="frame_pool")(features)
    features = layers.GlobalAveragePooling1D(name="time_pool")(features)
    features = layers.Dense(filters * 4, activation="relu", name="hidden")(features)
    logits = layers.Dense(num_classes, name="logits")(features)
    return keras.Model(clips, logits, name="video_classifier")


def classifier_input(clips):
    """Clips as the classifier reads them: float32 NumPy in [-1, 1], from uint8 [0, 255] or float [-1, 1]."""
    array = np.asarray(clips)
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 127.5 - 1.0
    return array.astype(np.float32, copy=False)


def labelled_arrays(labelled_clips, max_clips=None):
    """`(clips, labels)` NumPy arrays from an unbatched dataset of `(clip, label)` pairs, or from such a pair.

    Example:
    >>> clips, labels = labelled_arrays((np.zeros((3, 2, 4, 4, 1)), [0, 1, 1]))
    >>> clips.shape, labels.tolist()
    ((3, 2, 4, 4, 1), [0, 1, 1])
    """
    if isinstance(labelled_clips, tf.data.Dataset):
        if not isinstance(labelled_clips.element_spec, tuple) or len(labelled_clips.element_spec) != 2:
            raise ValueError("labelled_clips is a dataset without labels; expected (clip, label) pairs, e.g. "
                             "moving_digits(labels=True)")
        if max_clips is not None:
            labelled_clips = labelled_clips.take(max_clips)
        pairs = list(labelled_clips.batch(256).as_numpy_iterator())
        if not pairs:
            raise ValueError("labelled_clips is empty; expected (clip, label) pairs")
        clips = np.concatenate([clip for clip, _ in pairs])
        labels = np.concatenate([label for _, label in pairs])
    else:
        clips, labels = labelled_clips
        clips, labels = np.asarray(clips), np.asarray(labels)
    if clips.ndim != 5 or labels.shape != (len(clips),):
        raise ValueError(f"labelled clips of shape {clips.shape} with labels of shape {labels.shape} are not "
                         "valid; expected clips (N, T, H, W, C) and one label each (N,)")
    return clips, labels.astype(np.int32)


def train_video_classifier(labelled_clips, num_classes, validation_clips=None, validation_fraction=0.2, steps=300,
                           batch_size=32, filters=16, learning_rate=2e-3, seed=0, verbose=0):
    """Train `build_video_classifier` on real labelled clips; returns `(model, held_out_accuracy)`.

    `labelled_clips`: an unbatched dataset of `(clip, label)` pairs (clips
    float in [-1, 1] or uint8) or a `(clips, labels)` pair of arrays. The
    held-out clips are `validation_clips` (the same kinds) or else the last
    `validation_fraction` of a seeded shuffle of `labelled_clips`.
    `keras.utils.set_random_seed(seed)` makes the run repeatable.

    Example:
    >>> clips = np.random.default_rng(0).uniform(-1, 1, (8, 2, 8, 8, 1))
    >>> model, accuracy = train_video_classifier((clips, np.arange(8) % 2), 2, steps=1, filters=2)
    >>> 0.0 <= accuracy <= 1.0
    True
    """
    steps = check_positive_int("steps", steps)
    batch_size = check_positive_int("batch_size", batch_size)
    clips, labels = labelled_arrays(labelled_clips)
    outside = labels[(labels < 0) | (labels >= num_classes)]
    if outside.size:
        raise ValueError(f"label {int(outside[0])} is not valid; expected class indices in [0, {num_classes})")
    order = np.random.default_rng(seed).permutation(len(clips))
    if validation_clips is not None:
        held_clips, held_labels = labelled_arrays(validation_clips)
    else:
        if not 0.0 < validation_fraction < 1.0:
            raise ValueError(f"validation_fraction={validation_fraction!r} is not valid; expected a fraction in "
                             "(0, 1)")
        held = max(1, int(round(len(clips) * validation_fraction)))
        if held >= len(clips):
            raise ValueError(f"{len(clips)} labelled clips are too few to hold out {validation_fraction:g} of "
                             "them; expected at least 2")
        held_clips, held_labels = clips[order[-held:]], labels[order[-held:]]
        order = order[:-held]
    train_clips, train_labels = classifier_input(clips[order]), labels[order]
    keras.utils.set_random_seed(seed)
    model = build_video_classifier(*train_clips.shape[1:], num_classes=num_classes, filters=filters)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    batches = (tf.data.Dataset.from_tensor_slices((train_clips, train_labels))
               .shuffle(len(train_clips), seed=seed).repeat().batch(batch_size).prefetch(2))
    model.fit(batches, epochs=1, steps_per_epoch=steps, verbose=verbose, shuffle=False)  # shuffled above
    return model, classifier_accuracy(model, held_clips, held_labels)


def predict_classes(classifier, clips, batch_size=64):
    """The classifier's class (argmax of its logits) for each clip, int32 NumPy (N,)."""
    logits = classifier.predict(classifier_input(clips), batch_size=batch_size, verbose=0)
    return np.argmax(logits, axis=-1).astype(np.int32)


def classifier_accuracy(classifier, clips, labels, batch_size=64):
    """The fraction of `clips` the classifier labels as `labels`."""
    return float(np.mean(predict_classes(classifier, clips, batch_size) == np.asarray(labels)))


@dataclasses.dataclass
class ClassObedience:
    """What `class_obedience` measured.

    classes: the requested class indices, in order; per_class_accuracy[i]
    the fraction of class classes[i]'s clips the classifier put in it;
    confusion[i, j] how many of them it put in class j (each row sums to
    num_per_class); generated[k] the uint8 clips generated for class k.
    """

    classes: list
    per_class_accuracy: np.ndarray
    confusion: np.ndarray
    generated: dict = dataclasses.field(repr=False)

    @property
    def mean_accuracy(self):
        return float(np.mean(self.per_class_accuracy))


def check_classes(classes, num_classes):
    """`classes` (None: all of them) as a list of distinct ints in [0, num_classes).

    Example:
    >>> check_classes(None, 3), check_classes([2, 0], 3)
    ([0, 1, 2], [2, 0])
    """
    if classes is None:
        return list(range(num_classes))
    checked = []
    for value in classes:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < num_classes:
            raise ValueError(f"class {value!r} is not valid (classes={list(classes)!r}); expected class indices in "
                             f"[0, {num_classes})")
        if int(value) in checked:
            raise ValueError(f"class {value!r} is given twice (classes={list(classes)!r}); expected each once")
        checked.append(int(value))
    if not checked:
        raise ValueError("classes=[] is not valid; expected at least one class index, or None for all")
    return checked


def class_obedience(gan, classifier, num_per_class, seed=0, classes=None, use_ema=True, batch_size=32):
    """The classifier's accuracy on `num_per_class` clips generated for each class (all, or `classes`).

    Every class gets the same noise (`seed`), so the classes' clips differ
    only by their label. `gan` is anything with `num_classes` and
    `generate(n, seed=..., labels=..., use_ema=...)` returning uint8 clips.

    Example:
    >>> result = class_obedience(gan, classifier, num_per_class=16, seed=0)  # doctest: +SKIP
    >>> result.mean_accuracy, result.confusion.sum(axis=1)  # doctest: +SKIP
    (0.94, array([16, 16, 16, 16, 16, 16, 16, 16, 16, 16]))
    """
    num_classes = getattr(gan, "num_classes", None)
    if not num_classes:
        raise ValueError("class obedience needs a class-conditional model (num_classes); this one is "
                         "unconditional")
    num_per_class = check_positive_int("num_per_class", num_per_class)
    classes = check_classes(classes, num_classes)
    confusion = np.zeros((len(classes), num_classes), np.int64)
    generated = {}
    for row, label in enumerate(classes):
        generated[label] = gan.generate(num_per_class, seed=seed, labels=label, use_ema=use_ema,
                                        batch_size=batch_size)
        predicted = predict_classes(classifier, generated[label], batch_size=max(batch_size, 64))
        confusion[row] = np.bincount(predicted, minlength=num_classes)[:num_classes]
    accuracy = np.array([confusion[row, label] / num_per_class for row, label in enumerate(classes)])
    return ClassObedience(classes, accuracy, confusion, generated)


# --------------------------------------------------------------------------- #
# Saved beside the run, so a second evaluate reuses it
# --------------------------------------------------------------------------- #

def save_classifier(run_dir, classifier, held_out_accuracy, trained_on):
    """Write `run_dir/classifier.keras` and `classifier.json` (its held-out accuracy and `trained_on`), atomically.

    `trained_on` is a JSON-able dict saying what the classifier was trained
    on (source, geometry, clip count, seed, steps); `load_classifier` reuses
    the classifier only for the same dict.
    """
    model_path = os.path.join(run_dir, CLASSIFIER_FILE)
    with atomic_path(model_path) as temporary:
        os.remove(temporary)  # Keras refuses to overwrite without asking
        classifier.save(temporary)
    info = {"held_out_accuracy": float(held_out_accuracy), "trained_on": trained_on}
    with atomic_path(os.path.join(run_dir, CLASSIFIER_INFO_FILE)) as temporary:
        with open(temporary, "w") as file:
            json.dump(info, file, indent=2, sort_keys=True)
    return model_path


def load_classifier(run_dir, trained_on):
    """`(classifier, held_out_accuracy)` saved in `run_dir` for the same `trained_on`; None to train anew.

    None when there is none, or it was trained on other data or geometry
    (its `classifier.json` differs), or its files do not load.
    """
    model_path = os.path.join(run_dir, CLASSIFIER_FILE)
    info_path = os.path.join(run_dir, CLASSIFIER_INFO_FILE)
    if not (os.path.isfile(model_path) and os.path.isfile(info_path)):
        return None
    try:
        with open(info_path) as file:
            info = json.load(file)
        # Through JSON, so tuples and lists compare equal.
        if info.get("trained_on") != json.loads(json.dumps(trained_on)):
            return None
        return keras.models.load_model(model_path), float(info["held_out_accuracy"])
    except Exception:  # a damaged file is retrained, not an error: the classifier is derived data
        return None


def fvd_is_biased_note(num_videos):
    """The caveat printed beside FVDs at small N (FVD's bias grows as N shrinks)."""
    return (f"FVD is biased upward at small N (here {num_videos} clips a side): compare per-class values with "
            f"each other and with the floor at the same N, not with published FVDs at N=2048")

