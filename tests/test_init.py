import importlib
import subprocess
import sys

import pytest

import aidcalc


@pytest.mark.parametrize("name", aidcalc.__all__)
def test_every_public_name_is_the_object_of_its_module(name):
    module = importlib.import_module(f"aidcalc.{aidcalc._EXPORTS[name]}")
    assert getattr(aidcalc, name) is getattr(module, name)


def test_an_unknown_name_is_an_attribute_error_naming_it():
    with pytest.raises(AttributeError, match="has no attribute 'aggregate_everything'"):
        aidcalc.aggregate_everything  # noqa: B018


def test_importing_the_package_loads_no_heavy_library():
    code = ("import sys, aidcalc; "
            "print(sorted(m for m in ('pandas', 'matplotlib', 'papermill', 'pint') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
