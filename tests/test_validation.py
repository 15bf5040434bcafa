import numpy as np
import pytest

from keras_vgan.validation import check_choice, check_positive_int, check_positive_ints


@pytest.mark.parametrize("value", [0, -3, 2.0, True, "4", None])
def test_check_positive_int_names_the_bad_value(value):
    with pytest.raises(ValueError, match=rf"^columns={value!r} is not valid; expected a positive integer$"):
        check_positive_int("columns", value)


def test_check_positive_int_accepts_numpy_integers_and_optional_none():
    assert check_positive_int("n", np.int32(3)) == 3 and type(check_positive_int("n", np.int64(3))) is int
    assert check_positive_int("n", None, allow_none=True) is None
    with pytest.raises(ValueError, match="expected a positive integer or None"):
        check_positive_int("n", 0, allow_none=True)


def test_check_positive_ints_reports_the_first_bad_argument():
    with pytest.raises(ValueError, match="^b=0 "):
        check_positive_ints(a=1, b=0, c=-1)


def test_check_choice():
    assert check_choice("loss", "hinge", ("hinge", "wasserstein")) == "hinge"
    with pytest.raises(ValueError, match=r"loss='softmax' is not valid; expected one of \['hinge'\]"):
        check_choice("loss", "softmax", ("hinge",))
