"""Each worker of a multi-worker job reads its own part of the data: `shard=(index, count)`.

Every source takes `shard`: this reader is worker `index` of `count`
(`0 <= index < count`), or a `tf.distribute.InputContext` (what
`distribute_datasets_from_function` hands its dataset function), or None
(read everything). The parts of one source are disjoint and together the
whole, whatever the seed:

* items with a fixed, sorted order (video files, frame folders, the videos of
  an array, TFRecord shard files) are split by position: item `j` goes to
  worker `j % count` (`Shard.take`), before any shuffle;
* TFRecord shards fewer than the workers are split by record instead, with a
  `ShardingWarning` (`tfrecord.py`);
* the procedural built-ins render `num_videos / count` videos per worker from
  a seed derived from `seed` and `index` (`shard_seed`).

A seed given with a shard is turned into one per worker (`shard_seed`), so
clip starts, crops and the per-pass order are drawn independently on each
worker rather than in step with the others.

Example:
>>> shard = check_shard((1, 4))
>>> shard.take(list(range(10)))
[1, 5, 9]
>>> str(shard), check_shard(None), check_shard((0, 1))
('worker 2 of 4 (index 1)', None, None)
"""

import dataclasses

import numpy as np

from keras_vgan.datasets.checks import DataWarning
from keras_vgan.validation import check_positive_int


class ShardingWarning(DataWarning):
    """A source cannot be split the usual way across the workers (fewer shard files than workers)."""


@dataclasses.dataclass(frozen=True)
class Shard:
    """This reader is worker `index` (0-based) of `count` workers; see `check_shard`."""

    index: int
    count: int

    def take(self, items):
        """This worker's items of the sorted `items`: those at positions index, index + count, ..."""
        return list(items)[self.index::self.count]

    def part(self, taken, total, noun):
        """The summary's line on this worker's part: "worker 2 of 2 (index 1): 3 of 6 shards"."""
        return f"{self}: {taken:,} of {total:,} {noun}{'' if total == 1 else 's'}"

    def __str__(self):
        return f"worker {self.index + 1} of {self.count} (index {self.index})"


def check_shard(shard):
    """`shard` as a `Shard`, or None when it means "read everything" (None, or a count of 1).

    Accepts `(index, count)` with `0 <= index < count`, a `Shard`, or a
    `tf.distribute.InputContext` (`input_pipeline_id` of
    `num_input_pipelines`). Anything else is a ValueError naming the value.

    Example:
    >>> check_shard((0, 2))
    Shard(index=0, count=2)
    >>> check_shard((2, 2))
    Traceback (most recent call last):
    ...
    ValueError: shard=(2, 2) is not valid; expected (index, count) with 0 <= index < count, or a tf.distribute.InputContext
    """
    if shard is None or isinstance(shard, Shard):
        return shard
    import tensorflow as tf

    if isinstance(shard, tf.distribute.InputContext):
        shard = (shard.input_pipeline_id, shard.num_input_pipelines)
    valid = (isinstance(shard, (tuple, list)) and len(shard) == 2
             and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in shard)
             and 0 <= shard[0] < shard[1])
    if not valid:
        raise ValueError(f"shard={shard!r} is not valid; expected (index, count) with 0 <= index < count, "
                         f"or a tf.distribute.InputContext")
    index, count = int(shard[0]), int(shard[1])
    return None if count == 1 else Shard(index, count)


def shard_items(items, shard, noun, source=""):
    """This worker's part of the sorted `items` (all of them when `shard` is None).

    Fewer items than workers is a ValueError on every worker, naming both
    counts: a worker left with nothing would give an empty dataset, which a
    repeated training pipeline waits on for ever.
    """
    items = list(items)
    if shard is None:
        return items
    if len(items) < shard.count:
        where = f" in {source!r}" if source else ""
        raise ValueError(f"{len(items)} {noun}{'' if len(items) == 1 else 's'}{where} cannot be split across "
                         f"{shard.count} workers (each needs at least one); use fewer workers or more data")
    return shard.take(items)


def shard_seed(seed, shard):
    """The seed worker `shard.index` uses: `seed` itself without a shard, or when it is None.

    Derived from `seed` and the index alone (NumPy's `SeedSequence`), so the
    same seed gives the same worker the same draws on every run, and every
    worker different ones.

    Example:
    >>> shard_seed(7, None), shard_seed(None, Shard(1, 2))
    (7, None)
    >>> shard_seed(7, Shard(0, 2)) != shard_seed(7, Shard(1, 2))
    True
    """
    if shard is None or seed is None:
        return seed
    state = np.random.SeedSequence([int(seed) & 0xFFFFFFFFFFFFFFFF, shard.index]).generate_state(1)
    return int(state[0])


def procedural_part(num_videos, seed, shard):
    """What worker `shard` of a procedural source renders: `(num_videos, seed, part)`.

    Its share of `num_videos` (those at positions index, index + count, ...,
    so the shares add up to `num_videos`), from its own seed
    (`shard_seed`), so the same seed gives each worker different videos;
    `part` is the summary's line (None, and nothing changed, without a shard).

    Example:
    >>> procedural_part(10, 0, Shard(1, 4))[0]
    3
    """
    if shard is None:
        return num_videos, seed, None
    mine = len(shard_items(range(check_positive_int("num_videos", num_videos)), shard, "video"))
    return mine, shard_seed(seed, shard), f"{shard.part(mine, num_videos, 'video')}, from a seed of its own"
