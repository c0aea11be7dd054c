"""The package's layout holds: imports run down the floors, no circles, only public names across sub-packages."""

import ast
from pathlib import Path

import pytest

import aidcalc

PACKAGE = Path(aidcalc.__file__).parent
#: The floors, lowest first: a module may import from its own floor or any floor below it.
FLOORS = [
    {"paths", "errors", "distinct", "units", "frames"},
    {"tables"},
    {"money"},
    {"evidence"},
    {"publish"},
    {"report"},
    {"cli", "__main__"},
]


def _unit(module: str) -> str:
    """The floor's unit of ``aidcalc.x.y``: the sub-package ``x`` or the flat module ``x``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _floor(unit: str) -> int:
    return next(i for i, units in enumerate(FLOORS) if unit in units)


def _imports():
    """Every ``aidcalc`` import of every module: (importer, imported module, names)."""
    for path in sorted(PACKAGE.rglob("*.py")):
        if "data" in path.relative_to(PACKAGE).parts:
            continue
        module = ".".join(("aidcalc", *path.relative_to(PACKAGE).with_suffix("").parts))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("aidcalc"):
                names = [a.name for a in node.names]
                if node.module == "aidcalc":  # from aidcalc import paths: the modules themselves
                    for name in names:
                        yield module, f"aidcalc.{name}", []
                else:
                    yield module, node.module, names


IMPORTS = [(a, b, n) for a, b, n in _imports() if not a.endswith("__init__") or a.count(".") > 1]


def test_every_module_sits_on_a_floor():
    units = {_unit(a) for a, _, _ in IMPORTS} | {_unit(b) for _, b, _ in IMPORTS}
    assert units - {"__init__"} <= set().union(*FLOORS)


@pytest.mark.parametrize(("importer", "imported", "names"), IMPORTS, ids=lambda v: str(v))
def test_no_import_runs_back_up_a_floor(importer, imported, names):
    assert _floor(_unit(imported)) <= _floor(_unit(importer)), (
        f"{importer} imports {imported}, which sits on a higher floor")


def test_no_private_name_is_imported_across_sub_packages():
    across = [(a, b, n) for a, b, names in IMPORTS for n in names
              if n.startswith("_") and _unit(a) != _unit(b)]
    assert across == []


def test_the_sub_packages_import_each_other_in_no_circle():
    edges = {(_unit(a), _unit(b)) for a, b, _ in IMPORTS if _unit(a) != _unit(b)}
    circles = [(a, b) for a, b in edges if (b, a) in edges]
    assert circles == []
