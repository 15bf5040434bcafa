"""Skipping bad items: one warning per item, and a log line whenever a pass skips a new number of them."""

import logging
import threading
import warnings

logger = logging.getLogger("keras_vgan.datasets")


class SkippedItemWarning(UserWarning):
    """Issued once for each unreadable video, frame folder or shard that a dataset skips."""


class SkipItem(Exception):
    """Raised by a reader when one item cannot give a clip; the message says why."""


class SkipTracker:
    """Counts skipped items per pass; warns once per item for the life of the dataset.

    `name` is what the items are ("files", "frame folders") in messages.
    """

    def __init__(self, total, name="files"):
        self.total = total
        self.name = name
        self._lock = threading.Lock()
        self._warned = set()
        self._permanently_bad = {}
        self._skipped_this_pass = set()
        self.passes_completed = 0
        self.history = []  # (pass number, skipped count) for each finished pass

    def skip(self, key, reason, permanent=True):
        """Record that `key` gave no clip this pass; the first time, warn with `reason`."""
        with self._lock:
            self._skipped_this_pass.add(key)
            if permanent:
                self._permanently_bad[key] = reason
            first_time = key not in self._warned
            self._warned.add(key)
        if first_time:
            warnings.warn(f"skipping {key}: {reason}", SkippedItemWarning, stacklevel=2)

    def is_bad(self, key):
        with self._lock:
            return key in self._permanently_bad

    @property
    def bad_items(self):
        with self._lock:
            return dict(self._permanently_bad)

    def end_pass(self):
        """Count this pass's skips, log them when the count is new, and start counting afresh.

        The line "pass p: skipped k of n <items> this pass" comes after the
        first pass and then only when k changes: a small source runs through
        many passes per training step, and the same line each time would bury
        the log. `history` keeps every pass's count.
        """
        with self._lock:
            skipped = len(self._skipped_this_pass | set(self._permanently_bad))
            self._skipped_this_pass = set()
            self.passes_completed += 1
            number = self.passes_completed
            unchanged = bool(self.history) and self.history[-1][1] == skipped
            self.history.append((number, skipped))
        if unchanged:
            return skipped
        message = "pass %d: skipped %d of %d %s this pass"
        if skipped:
            logger.warning(message, number, skipped, self.total, self.name)
        else:
            logger.info(message, number, skipped, self.total, self.name)
        return skipped
