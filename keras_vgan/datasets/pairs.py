"""(condition, target) pairs from clips, for translation models: frame prediction's (context, future).

Pairs are cut from batches after the pipeline's augmentation, so the context
and its future share one flip, crop and reversal draw.
"""

import tensorflow as tf

from keras_vgan.validation import check_positive_ints


def context_future_pairs(batches, context, future):
    """Batches of clips (N, T, H, W, C) → batches of (the first `context` frames, the next `future` frames).

    `T` must be at least `context + future`; frames after them are dropped.
    Elements that are `(clips, labels)` keep only the clips.

    Example:
    >>> clips = tf.data.Dataset.from_tensors(tf.zeros([2, 20, 8, 8, 1]))
    >>> [tuple(part.shape) for part in next(iter(context_future_pairs(clips, 10, 10)))]
    [(2, 10, 8, 8, 1), (2, 10, 8, 8, 1)]
    """
    check_positive_ints(context=context, future=future)
    spec = batches.element_spec
    spec = spec[0] if isinstance(spec, tuple) else spec
    frames = spec.shape[1]
    if frames is not None and frames < context + future:
        raise ValueError(f"clips of {frames} frames are too short for context={context} and future={future}; "
                         f"expected at least {context + future} frames")

    def split(*element):
        clips = element[0]
        return clips[:, :context], clips[:, context:context + future]

    return batches.map(split, num_parallel_calls=tf.data.AUTOTUNE)
