"""The notebooks as JupyterLab keeps them: canonical on disk, a parameters cell, the project's kernel."""

import nbformat
import pytest

from aidcalc import paths

NOTEBOOKS = sorted(paths.NOTEBOOKS_DIR.glob("*.ipynb"))


def test_there_are_notebooks_to_check():
    assert len(NOTEBOOKS) >= 5


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_notebook_is_saved_as_jupyterlab_would_save_it(path):
    # JupyterLab writes through nbformat: sorted keys, one-space indent, sources as lists of lines and a
    # final newline; a notebook kept in any other form is rewritten by its first save in the lab
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert path.read_text(encoding="utf-8") == nbformat.writes(notebook) + "\n", (
        f"{path.name} is not in canonical form; rewrite it with "
        "nbformat.write(nbformat.read(path, as_version=4), path)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_notebook_opens_with_the_project_kernel_and_a_parameters_cell_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    assert notebook.metadata.kernelspec.name == "aidcalc"
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
