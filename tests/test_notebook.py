from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


@pytest.mark.parametrize("name, saved_file", [
    ("quickstart.ipynb", "notebook_run/samples/epoch_0001.png"),
    ("frame_prediction.ipynb", "notebook_run/samples/epoch_0001.png"),
    ("enhancement.ipynb", "enhancement_restorer.keras"),
])
def test_notebook_runs_in_reduced_mode(name, saved_file, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_VGAN_NOTEBOOK_REDUCED", "1")
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)
    assert (tmp_path / saved_file).is_file()
