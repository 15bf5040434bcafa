"""Every docstring example in the package runs here: an example that drifts from the code fails.

Examples may use, without importing them, what a reader has after
`import numpy as np, tensorflow as tf, keras` and `from keras_vgan import *`
(plus `moving_digits`), and their module's own names. Lines that need a
trained model, a run directory or real data are marked `# doctest: +SKIP`.
Modules added to the package later are found and run the same way.
"""

import doctest
import importlib
import pkgutil

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_vgan
from keras_vgan.datasets.synthetic import moving_digits

NAMESPACE = dict(np=np, tf=tf, keras=keras, keras_vgan=keras_vgan, moving_digits=moving_digits,
                 **{name: getattr(keras_vgan, name) for name in keras_vgan.__all__})
OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def package_modules():
    for info in pkgutil.walk_packages(keras_vgan.__path__, prefix="keras_vgan."):
        if info.name.rsplit(".", 1)[-1] != "__main__":  # running it is running the command
            yield importlib.import_module(info.name)


def docstring_examples():
    finder = doctest.DocTestFinder(exclude_empty=True)
    examples = []
    for module in package_modules():
        # Only what the module defines itself: a re-exported function is tested where it lives.
        examples += [test for test in finder.find(module, globs={**NAMESPACE, **vars(module)}) if test.examples]
    return sorted(examples, key=lambda test: test.name)


EXAMPLES = docstring_examples()


def test_the_package_has_examples_to_run():
    assert len(EXAMPLES) > 30
    assert any(test.name == "keras_vgan.models.gan.VideoGAN" for test in EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda test: test.name)
def test_docstring_example(example, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # what an example writes lands here
    report = []
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    result = runner.run(example, out=report.append)
    assert result.failed == 0, "".join(report)
