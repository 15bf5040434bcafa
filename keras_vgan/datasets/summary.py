"""What a data source holds and what the pipeline makes of it, in a few lines printed before training.

Every source function (`from_video_files`, `from_npy`, `moving_digits`, ...)
attaches a `DataSummary` to the dataset it returns, as `dataset.data_summary`,
filled from what it knows already: an array's shape, the probe of every video
file, a TFRecord manifest. Describing a source therefore decodes nothing; for
the built-in sources and arrays the numbers are exact. `describe_source`
reads it back with the skip count as it stands, and `str(summary)` is the
block `keras-vgan train`, `evaluate` and `prepare` print.

Example:
>>> from keras_vgan.datasets import describe_source, load_source
>>> clips = load_source("moving_digits", frames=8, height=32, width=32, channels=1, num_videos=4)
>>> print(describe_source(clips).lines()[0])
data: moving_digits (built-in, procedural)
"""

import dataclasses
import os

import numpy as np

CHANNEL_NAMES = {1: "grayscale", 3: "RGB"}


def _count(number, noun):
    # "classes", not "classs": a noun ending in a hissing sound takes "es".
    plural = noun + ("es" if noun.endswith(("s", "sh", "ch", "x")) else "s")
    return f"{number:,} {noun if number == 1 else plural}"


def _size(size):
    return f"{int(size[0])}×{int(size[1])}"


def _range(low, high):
    return f"[{low:g}, {high:g}]"


@dataclasses.dataclass
class DataSummary:
    """What a source holds (items, frames, frame size, values) and how its clips are made.

    Fields left None are unknown (a TFDS split without counts, a dataset made
    outside `keras_vgan.datasets`). `frame_counts` and `frame_sizes` hold one
    entry per item, or a single entry that holds for every item.
    """

    source: str = None            # the spec or path, as given
    kind: str = "tf.data.Dataset"  # "built-in, procedural", "array in a .npy file", "video files", ...
    part: str = None              # with shard=: this worker's part ("worker 2 of 2 (index 1): 3 of 6 shards")
    num_items: int = None         # items that give clips (videos, frame folders, stored clips)
    item_name: str = "video"      # what an item is, singular
    total_items: int = None       # items found, the skipped ones included
    frame_counts: tuple = None    # frames per item
    frame_sizes: tuple = None     # (height, width) of each item's frames
    channels: int = None          # the source's channels, before conversion
    dtype: str = None             # how the source stores its values
    value_range: tuple = None     # the range those values are in
    layout: str = None            # arrays: the axis order they are read in
    layout_note: str = None       # arrays: how that order was chosen, and how to choose another
    clip_shape: tuple = None      # (T, H, W, C) of the clips the pipeline gives
    frame_step: int = 1
    fps: float = None             # the frame rate videos are resampled to first, if any
    clips_per_item: int = 1
    clip_sampling: str = "random"
    crop: str = "center"
    num_classes: int = None
    skipped: int = 0              # items skipped so far (unreadable, too short)

    @property
    def clips_per_pass(self):
        """Clips one pass over the source gives, or None when the item count is unknown."""
        if self.num_items is None:
            return None
        return self.num_items * self.clips_per_item

    def frame_stats(self):
        """(min, median, max) frames per item, or None when unknown."""
        if not self.frame_counts:
            return None
        counts = np.asarray(self.frame_counts)
        return int(counts.min()), int(np.median(counts)), int(counts.max())

    def conversions(self):
        """How source frames become clips, one phrase per step; empty when they are used as they are."""
        steps = []
        stats = self.frame_stats()
        if self.clip_shape is not None:
            frames, height, width, channels = self.clip_shape
            if frames is not None and stats is not None and (stats[0] != frames or stats[2] != frames
                                                             or self.frame_step != 1):
                taken = f"{frames} frames"
                if self.frame_step != 1:
                    taken += f", every {self.frame_step} frames"
                if self.fps:
                    taken += f" at {self.fps:g} fps"
                where = "random start" if self.clip_sampling == "random" else "starts spread evenly"
                steps.append(f"clips of {taken} ({where})")
            if self.channels in CHANNEL_NAMES and channels in CHANNEL_NAMES and self.channels != channels:
                steps.append(f"{CHANNEL_NAMES[self.channels]} → {CHANNEL_NAMES[channels]}")
            sizes = set(map(tuple, self.frame_sizes or ()))
            if height is not None and sizes and sizes != {(height, width)}:
                crop = "centre" if self.crop == "center" else "random"
                if len(sizes) == 1 and _same_aspect(next(iter(sizes)), (height, width)):
                    steps.append(f"resize {_size(next(iter(sizes)))} → {_size((height, width))}")
                else:
                    steps.append(f"resize (aspect kept) to cover {_size((height, width))}, {crop} crop")
        return steps

    def lines(self):
        """The summary as lines of text: what `str(summary)` joins."""
        item = self.item_name
        lines = [f"data: {self.source or 'a tf.data.Dataset'} ({self.kind})"]
        if self.part:
            lines.append(f"  part: {self.part}")
        if self.layout_note:
            lines.append(f"  layout: {self.layout_note}")
        if self.num_items is not None:
            found = f" (of {self.total_items:,} found)" if self.total_items not in (None, self.num_items) else ""
            classes = f" in {_count(self.num_classes, 'class')}" if self.num_classes else ""
            lines.append(f"  {item}s: {self.num_items:,}{found}{classes}")
        stats = self.frame_stats()
        if stats is not None:
            low, median, high = stats
            lines.append(f"  frames per {item}: " + (f"{low:,}" if low == high else
                                                     f"min {low:,}, median {median:,}, max {high:,}"))
        if self.frame_sizes:
            sizes = [tuple(size) for size in self.frame_sizes]
            distinct = sorted(set(sizes), key=lambda s: (s[0] * s[1], s))
            if len(distinct) == 1:
                text = _size(distinct[0])
            else:
                common = max(distinct, key=sizes.count)
                text = (f"{len(distinct)} sizes from {_size(distinct[0])} to {_size(distinct[-1])}, "
                        f"mostly {_size(common)}")
            if self.channels is not None:
                text += f", {_count(self.channels, 'channel')} ({CHANNEL_NAMES.get(self.channels, '?')})"
            lines.append(f"  frame size: {text}")
        if self.dtype is not None:
            values = self.dtype + (f" in {_range(*self.value_range)}" if self.value_range else "")
            lines.append(f"  values: {values} → float32 in [-1, 1]")
        if self.clip_shape is not None:
            shape = "×".join("?" if d is None else str(d) for d in self.clip_shape)
            lines.append(f"  clips: {shape}; conversion: {', '.join(self.conversions()) or 'none'}")
        per_pass = self.clips_per_pass
        if per_pass is not None:
            each = f" ({self.clips_per_item} per {item})" if self.clips_per_item != 1 else ""
            lines.append(f"  clips per pass: {per_pass:,}{each}; skipped so far: {self.skipped:,}")
        elif self.skipped:
            lines.append(f"  skipped so far: {self.skipped:,}")
        return lines

    def __str__(self):
        return "\n".join(self.lines())


def _same_aspect(size, target):
    return abs(size[0] * target[1] - size[1] * target[0]) <= max(size[0], size[1]) * 0.01 * max(target)


def attach_summary(dataset, summary):
    """Give `dataset` its `data_summary` (filling `clip_shape` from its element spec); returns `dataset`."""
    if summary.clip_shape is None:
        summary.clip_shape = _clip_shape(dataset)
    dataset.data_summary = summary
    return dataset


def _clip_shape(dataset):
    spec = dataset.element_spec
    if isinstance(spec, tuple):
        spec = spec[0]
    shape = getattr(spec, "shape", None)
    if shape is None or shape.rank is None:
        return None
    return tuple(shape.as_list()[-4:])


def describe_source(clips, source=None):
    """The `DataSummary` of a dataset of clips, with the skip count as it stands now.

    `clips` is what a source function or `load_source` returned; a dataset
    made any other way gets a summary of its clip shape only. `source`
    names it (default: the spec `load_source` was given). Nothing is read.

    Example:
    >>> clips = load_source("clips.npy", frames=16)  # doctest: +SKIP
    >>> print(describe_source(clips))  # doctest: +SKIP
    data: clips.npy (array in a .npy file, shape (20, 4000, 64, 64))
      layout: frames-first (TNHW): 4,000 videos of 20 frames each ...
    """
    found = getattr(clips, "data_summary", None)
    summary = dataclasses.replace(found) if found is not None else DataSummary()
    if source is not None:
        summary.source = os.fspath(source)
    if summary.clip_shape is None:
        summary.clip_shape = _clip_shape(clips)
    tracker = getattr(clips, "skip_tracker", None)
    if tracker is not None:
        summary.skipped = len(tracker.bad_items)
    return summary
