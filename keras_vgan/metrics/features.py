"""I3D features of videos: what FVD and KVD compare.

The features are the 400 Kinetics logits of the I3D network
(`keras_vgan.metrics.i3d`), computed exactly as the reference implementation
(google-research `frechet_video_distance`) does:

1. every frame is resized to 224×224 with TensorFlow 1's `resize_bilinear`
   (no half-pixel centres: the reference's resize, not TF 2's default);
2. pixels in [0, 255] are mapped to [-1, 1] by 2·x/255 − 1;
3. the features are the time-averaged logits (`RGB/inception_i3d/Mean`).

Videos can be NumPy arrays (or tensors) of shape (N, T, H, W, C), uint8 in
[0, 255] or float in [-1, 1], or `tf.data.Dataset`s of clips / `(clip, label)`
pairs, batched or not; `VideoSet` is that input seen one way. T must be at
least 9 (I3D's temporal receptive field); grayscale clips (C = 1) are
repeated to RGB, as I3D was trained on colour.
"""

import contextlib
import math
import weakref

import keras
import numpy as np
import tensorflow as tf

from keras_vgan.metrics import i3d as i3d_module
from keras_vgan.pixels import check_pixel_values
from keras_vgan.validation import check_positive_int

DEFAULT_BATCH_SIZE = 8
# Below this many batches the run is short enough not to need a progress bar.
PROGRESS_MIN_BATCHES = 4

_SHARED_MODELS = {}
_EMBEDDERS = weakref.WeakKeyDictionary()


# --------------------------------------------------------------------------- #
# Video input handling
# --------------------------------------------------------------------------- #

def _check_clip_shape(name, clip_shape):
    frames, _, _, channels = clip_shape
    if channels not in (1, 3):
        raise ValueError(f"{name}: clips must have 1 (grayscale) or 3 (RGB) channels, "
                         f"got shape (T, H, W, C) = {tuple(clip_shape)}")
    if frames is not None and frames < i3d_module.MIN_FRAMES:
        raise ValueError(f"{name}: I3D needs at least {i3d_module.MIN_FRAMES} frames per clip, "
                         f"got {frames} (clip shape {tuple(clip_shape)})")


def _check_values(name, batch):
    check_pixel_values(name, batch)
    if batch.dtype == np.uint8:
        return batch
    return batch.astype(np.float32, copy=False)


class VideoSet:
    """Videos to score, seen one way whatever they came as: a clip shape, a count, NumPy batches.

    `videos` is an array (N, T, H, W, C) or a `tf.data.Dataset` of clips or
    `(clip, label)` pairs, batched or not (see the module docstring);
    `num_videos` takes the first N (required for an infinite dataset). The
    shape is checked at once; `count` is None for a dataset of unknown size.
    `name` says which input an error is about.

    Example:
    >>> videos = VideoSet("real", np.zeros((4, 16, 64, 64, 3), np.uint8))
    >>> videos.count, videos.clip_shape
    (4, (16, 64, 64, 3))
    >>> [batch.shape[0] for batch in videos.batches(3)]
    [3, 1]
    """

    def __init__(self, name, videos, num_videos=None):
        self.name = name
        self.requested = num_videos
        check_positive_int("num_videos", num_videos, allow_none=True)
        if isinstance(videos, tf.data.Dataset):
            self._init_dataset(videos, num_videos)
        else:
            self._init_array(videos, num_videos)

    def _init_array(self, videos, num_videos):
        array = np.asarray(videos)
        if array.ndim != 5:
            raise ValueError(f"{self.name}: expected videos of shape (N, T, H, W, C), got shape {array.shape}")
        if num_videos is not None:
            if array.shape[0] < num_videos:
                raise ValueError(f"{self.name}: num_videos={num_videos} but only {array.shape[0]} videos given")
            array = array[:num_videos]
        self.array, self.dataset = array, None
        self.count, self.clip_shape = array.shape[0], tuple(array.shape[1:])
        _check_clip_shape(self.name, self.clip_shape)

    def _init_dataset(self, dataset, num_videos):
        spec = dataset.element_spec
        if isinstance(spec, (tuple, list)):  # (clips, labels): keep the clips.
            dataset = dataset.map(lambda *element: element[0])
            spec = dataset.element_spec
        if not isinstance(spec, tf.TensorSpec) or spec.shape.rank not in (4, 5):
            raise ValueError(f"{self.name}: expected a dataset of clips (T, H, W, C) or batches "
                             f"(N, T, H, W, C), optionally paired with labels; got element_spec {spec}")
        if spec.shape.rank == 5:
            dataset = dataset.unbatch()
        if num_videos is not None:
            dataset = dataset.take(num_videos)
        elif dataset.cardinality() == tf.data.INFINITE_CARDINALITY:
            raise ValueError(f"{self.name}: the dataset is infinite (repeated); pass num_videos")
        self.array, self.dataset = None, dataset
        self.clip_shape = tuple(dataset.element_spec.shape.as_list())
        cardinality = int(dataset.cardinality())
        self.count = cardinality if cardinality >= 0 else None
        _check_clip_shape(self.name, self.clip_shape)

    def check_enough(self):
        """ValueError when the set is known to hold fewer than the 2 videos a comparison needs."""
        _check_count(self.name, self.count)

    def batches(self, batch_size):
        """The videos as NumPy batches of up to `batch_size`, values checked batch by batch."""
        if self.array is not None:
            for start in range(0, self.array.shape[0], batch_size):
                yield _check_values(self.name, self.array[start:start + batch_size])
            return
        for batch in self.dataset.batch(batch_size).as_numpy_iterator():
            yield _check_values(self.name, batch)


def _check_count(name, count):
    if count is not None and count < 2:
        raise ValueError(f"{name}: need at least 2 videos to compare distributions, got {count}")


# --------------------------------------------------------------------------- #
# I3D features
# --------------------------------------------------------------------------- #

def _shared_model(weights):
    path = i3d_module.resolve_weights(weights)
    model = _SHARED_MODELS.get(path)
    if model is None:
        model = _SHARED_MODELS[path] = i3d_module.load_i3d(path)
    return model


def preprocess_videos(videos):
    """Videos (N, T, H, W, C) uint8 [0, 255] or float [-1, 1] → float32 (N, T, 224, 224, 3) in [-1, 1].

    The reference's resize (TF 1 `resize_bilinear`, corners not aligned, no
    half-pixel centres) on every frame; grayscale is repeated to RGB.

    Example:
    >>> preprocess_videos(np.zeros((1, 9, 64, 64, 1), np.uint8)).shape
    TensorShape([1, 9, 224, 224, 3])
    """
    videos = tf.convert_to_tensor(videos)
    shape = tf.shape(videos)
    size = i3d_module.INPUT_SIZE
    frames = tf.reshape(videos, tf.concat([[-1], shape[2:]], axis=0))
    resized = tf.raw_ops.ResizeBilinear(images=frames, size=[size, size], align_corners=False,
                                        half_pixel_centers=False)
    if videos.dtype == tf.uint8:
        resized = 2.0 * resized / 255.0 - 1.0
    if videos.shape[-1] == 1:
        resized = tf.image.grayscale_to_rgb(resized)
    return tf.reshape(resized, [shape[0], shape[1], size, size, 3])


def feature_function(model):
    """What `video_features` runs on each batch: resize every frame, then I3D.

    The returned callable takes a batch (N, T, H, W, C), uint8 or float32 in
    [-1, 1], C = 1 or 3, and returns (N, 400) float32 features. It wraps two
    `tf.function`s (uint8 and float32 input) traced once each with any batch
    size, frame count and frame size, and is cached per model.

    Example:
    >>> extract = feature_function(load_i3d())  # doctest: +SKIP
    >>> extract(np.zeros((2, 16, 64, 64, 3), np.uint8)).shape  # doctest: +SKIP
    TensorShape([2, 400])
    """
    extract = _EMBEDDERS.get(model)
    if extract is not None:
        return extract
    # A weak reference, so the cache entry does not keep its own key alive.
    model_ref = weakref.ref(model)

    def traced(dtype):
        @tf.function(input_signature=[tf.TensorSpec([None, None, None, None, 3], dtype)], autograph=False)
        def embed(videos):
            return tf.cast(model_ref()(preprocess_videos(videos), training=False), tf.float32)
        return embed

    by_dtype = {tf.uint8: traced(tf.uint8), tf.float32: traced(tf.float32)}

    def extract(videos):
        videos = tf.convert_to_tensor(videos)
        if videos.dtype not in by_dtype:
            videos = tf.cast(videos, tf.float32)
        if videos.shape[-1] == 1:  # Grayscale → RGB here, so the traced graphs stay RGB-only.
            videos = tf.repeat(videos, 3, axis=-1)
        return by_dtype[videos.dtype](videos)

    _EMBEDDERS[model] = extract
    return extract


@contextlib.contextmanager
def _full_float32():
    # TensorFlow runs float32 matmuls/convolutions in TensorFloat-32 on Ampere and
    # newer GPUs by default (10-bit mantissa); FVD is defined in float32.
    was_enabled = tf.config.experimental.tensor_float_32_execution_enabled()
    tf.config.experimental.enable_tensor_float_32_execution(False)
    try:
        yield
    finally:
        tf.config.experimental.enable_tensor_float_32_execution(was_enabled)


def extract_features(videos, *, batch_size=DEFAULT_BATCH_SIZE, model=None, weights=None, verbose="auto"):
    """I3D features of a `VideoSet` and the clip shape seen: `(features (N, 400) float32, (T, H, W, C))`.

    What `video_features` and `FVDCallback` run; the other arguments are as
    in `video_features`. A ValueError when fewer than 2 videos come, fewer
    than the set's `num_videos`, or clips that change shape midway.

    Example:
    >>> features, clip_shape = extract_features(VideoSet("real", real_clips))  # doctest: +SKIP
    """
    with _full_float32():
        return _extract_features_float32(videos, batch_size=batch_size, model=model, weights=weights,
                                         verbose=verbose)


def _extract_features_float32(videos, *, batch_size, model, weights, verbose):
    check_positive_int("batch_size", batch_size)
    model = model if model is not None else _shared_model(weights)
    embed = feature_function(model)
    num_batches = None if videos.count is None else math.ceil(videos.count / batch_size)
    if verbose == "auto":
        show = num_batches is None or num_batches >= PROGRESS_MIN_BATCHES
    else:
        show = bool(verbose)
    progress = keras.utils.Progbar(num_batches, unit_name="batch") if show else None
    outputs, clip_shape = [], None
    for index, batch in enumerate(videos.batches(batch_size)):
        if clip_shape is None:
            clip_shape = batch.shape[1:]
        elif batch.shape[1:] != clip_shape:
            raise ValueError(f"{videos.name}: clips change shape within the input: {tuple(clip_shape)} "
                             f"then {tuple(batch.shape[1:])}")
        outputs.append(embed(batch).numpy())
        if progress is not None:
            progress.update(index + 1)
    if not outputs:
        raise ValueError(f"{videos.name}: no videos given")
    features = np.concatenate(outputs).astype(np.float32)
    if videos.requested is not None and features.shape[0] < videos.requested:
        raise ValueError(f"{videos.name}: num_videos={videos.requested} but the dataset gave only "
                         f"{features.shape[0]} clips")
    _check_count(videos.name, features.shape[0])
    return features, tuple(clip_shape)


def video_features(videos, *, batch_size=DEFAULT_BATCH_SIZE, num_videos=None, model=None,
                   weights=None, verbose="auto"):
    """I3D features (N, 400) float32 of videos: the time-averaged Kinetics logits.

    `videos`: array (N, T, H, W, C) uint8 or float in [-1, 1], or a dataset of
    clips (see module docstring); `num_videos` takes the first N (required for
    an infinite dataset). `model`: an I3D from `load_i3d` (default: loaded
    once per process from `weights`, see `load_i3d`). `verbose`: "auto" shows a
    progress bar for long runs, 0/1 force it off/on.

    Example:
    >>> clips = np.zeros((4, 16, 64, 64, 3), np.uint8)
    >>> video_features(clips).shape  # doctest: +SKIP
    (4, 400)
    """
    source = VideoSet("videos", videos, num_videos)
    source.check_enough()
    return extract_features(source, batch_size=batch_size, model=model, weights=weights, verbose=verbose)[0]

