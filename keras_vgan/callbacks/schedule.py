"""When a periodic callback acts: every N epochs (and after the last), or every N steps.

The callbacks of this package share these two rules so that `every_n_epochs=5`
means the same thing in all of them: after epochs 5, 10, 15, ... counted from
1, plus after the run's last epoch, so that a run whose length is not a
multiple of N still ends with samples, scores and a checkpoint of its final
state.
"""

from keras_vgan.validation import check_positive_int


class EpochSchedule:
    """Due after epochs N, 2N, ... (1-based) and, with `include_last`, after the last epoch.

    `due` takes the 0-based epoch index Keras hands to `on_epoch_end`.

    Example:
    >>> schedule = EpochSchedule(every_n_epochs=2)
    >>> [epoch + 1 for epoch in range(5) if schedule.due(epoch, total_epochs=5)]
    [2, 4, 5]
    >>> [epoch + 1 for epoch in range(5) if EpochSchedule(2, include_last=False).due(epoch, 5)]
    [2, 4]
    """

    def __init__(self, every_n_epochs=1, include_last=True):
        self.every_n_epochs = check_positive_int("every_n_epochs", every_n_epochs)
        self.include_last = bool(include_last)

    def due(self, epoch, total_epochs=None):
        """Whether to act at the end of 0-based epoch `epoch` of `total_epochs` (None: not known)."""
        number = epoch + 1
        if number % self.every_n_epochs == 0:
            return True
        return self.include_last and total_epochs is not None and number == total_epochs

    def __repr__(self):
        return f"EpochSchedule(every_n_epochs={self.every_n_epochs}, include_last={self.include_last})"


class StepSchedule:
    """Due once at least N steps have passed since the step it last acted at.

    "At least", not "a multiple of": with `steps_per_execution > 1` Keras
    reports steps in jumps, so an exact multiple can be skipped over.

    Example:
    >>> schedule = StepSchedule(every_n_steps=3)
    >>> schedule.due(step=2, last_step=0), schedule.due(step=3, last_step=0), schedule.due(step=7, last_step=4)
    (False, True, True)
    """

    def __init__(self, every_n_steps):
        self.every_n_steps = check_positive_int("every_n_steps", every_n_steps)

    def due(self, step, last_step):
        """Whether to act at `step` (steps done in all) when it last acted at `last_step`."""
        return step - last_step >= self.every_n_steps

    def __repr__(self):
        return f"StepSchedule(every_n_steps={self.every_n_steps})"
