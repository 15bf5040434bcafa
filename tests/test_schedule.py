import pytest

from keras_vgan.callbacks import EpochSchedule, StepSchedule


def due_epochs(schedule, total):
    """The 1-based epochs after which `schedule` acts in a run of `total` epochs."""
    return [epoch + 1 for epoch in range(total) if schedule.due(epoch, total)]


@pytest.mark.parametrize("every, total, expected", [
    (1, 3, [1, 2, 3]),
    (2, 5, [2, 4, 5]),  # the last epoch although 5 is not a multiple of 2
    (2, 4, [2, 4]),  # the last epoch is on the schedule anyway: once, not twice
    (10, 3, [3]),  # a run shorter than N still ends with one
])
def test_epoch_schedule_every_n_and_the_last(every, total, expected):
    assert due_epochs(EpochSchedule(every), total) == expected


def test_epoch_schedule_without_the_last_or_an_unknown_length():
    assert due_epochs(EpochSchedule(2, include_last=False), 5) == [2, 4]
    assert [e + 1 for e in range(5) if EpochSchedule(2).due(e, total_epochs=None)] == [2, 4]


def test_step_schedule_counts_from_the_last_action():
    schedule = StepSchedule(3)
    assert not schedule.due(step=2, last_step=0)
    assert schedule.due(step=3, last_step=0)
    assert not schedule.due(step=5, last_step=3)
    # Steps reported in jumps (steps_per_execution > 1) pass a multiple of N without landing on it.
    assert schedule.due(step=7, last_step=3)


@pytest.mark.parametrize("make", [lambda: EpochSchedule(0), lambda: EpochSchedule(1.5), lambda: EpochSchedule(True),
                                  lambda: StepSchedule(0), lambda: StepSchedule(None)])
def test_bad_intervals_are_named(make):
    with pytest.raises(ValueError, match=r"every_n_(epochs|steps)=.* is not valid"):
        make()
