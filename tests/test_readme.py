"""The README's Python example runs as written (with a smaller dataset and fewer steps)."""

import os
import re

import keras

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")


def readme_python_example():
    text = open(README, encoding="utf-8").read()
    section = text.split("## Using it from Python", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_python_example_runs(tmp_path, monkeypatch):
    code = readme_python_example()
    shrunk = code.replace("2048", "32").replace("epochs=10, steps_per_epoch=100", "epochs=1, steps_per_epoch=2")
    assert shrunk != code and "steps_per_epoch=2" in shrunk, "the README example changed: update this test"
    monkeypatch.chdir(tmp_path)
    namespace = {}
    try:
        exec(compile(shrunk, "README.md", "exec"), namespace)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert namespace["videos"].shape == (8, 16, 32, 32, 1)
    assert (tmp_path / "moving_digits.keras").exists()
    assert any((tmp_path / "runs" / "notebook" / "samples").iterdir())
