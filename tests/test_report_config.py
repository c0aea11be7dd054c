"""The report config and the runner's options: every refusal comes before any kernel starts."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from aidcalc.errors import ReportConfigError, ReportError, UnknownParameterError
from aidcalc.report.config import load_jobs
from aidcalc.report.runner import run_reports


def write_notebook(folder, stem, parameters='output_dir = ""\ntag = "x"\ncurrency = "USD"\n'):
    nb = new_notebook(cells=[new_code_cell(parameters, metadata={"tags": ["parameters"]}),
                             new_code_cell("print(tag)")])
    nbformat.write(nb, folder / f"{stem}.ipynb")


@pytest.fixture
def folder(tmp_path):
    """A notebooks folder with two tiny notebooks, a and b, and no config yet."""
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    write_notebook(nb_dir, "a")
    write_notebook(nb_dir, "b")
    return nb_dir


GOOD_SETS = "parameter_sets:\n  default: {}\n"

REFUSED = [
    # (what the case is, config text, error class, fragment of the message)
    ("a config written as a list", "- a.ipynb\n- b.ipynb\n", ReportConfigError,
     r"reports.yaml holds a list; it should hold a mapping with `notebooks:`"),
    ("a YAML syntax error", "notebooks: [a.ipynb\nparameter_sets: {}\n", ReportConfigError,
     r"reports.yaml, line \d+, column \d+ is not valid YAML"),
    ("an empty config", "", ReportConfigError, r"holds a NoneType; it should hold a mapping"),
    ("no notebooks list", "notebooks: a.ipynb\n", ReportConfigError,
     r"`notebooks:` should be a non-empty list of notebook files"),
    ("parameter sets written as a list", "notebooks: [a.ipynb]\nparameter_sets: [default]\n",
     ReportConfigError, r"`parameter_sets:` should be a mapping from set name"),
    ("a set written as a list", "notebooks: [a.ipynb]\nparameter_sets:\n  default: [tag, y]\n",
     ReportConfigError, r"parameter set 'default' is a list; write it as a mapping"),
    ("a set's notebooks not a list", "notebooks: [a.ipynb]\nparameter_sets:\n  s: {notebooks: a}\n",
     ReportConfigError, r"`notebooks:` of parameter set 's' should be a list"),
    ("a set name with a space", "notebooks: [a.ipynb]\nparameter_sets:\n  my set: {}\n",
     UnknownParameterError, r"parameter set 'my set' is not a plain name; use letters, digits"),
    ("a set name with a slash", "notebooks: [a.ipynb]\nparameter_sets:\n  ../up: {}\n",
     UnknownParameterError, r"parameter set '../up' is not a plain name"),
    ("a set name that is a number", "notebooks: [a.ipynb]\nparameter_sets:\n  1990: {}\n",
     UnknownParameterError, r"parameter set 1990 is not a plain name"),
    ("a notebook listed twice", "notebooks: [a.ipynb, b.ipynb, a.ipynb]\n" + GOOD_SETS,
     UnknownParameterError, r"`notebooks:` lists a twice; list each notebook once"),
    ("a notebook listed twice, once without .ipynb", "notebooks: [a.ipynb, a]\n" + GOOD_SETS,
     UnknownParameterError, r"lists a twice"),
    ("an unknown notebook in notebooks", "notebooks: [a.ipynb, c.ipynb]\n" + GOOD_SETS,
     UnknownParameterError, r"lists c.ipynb, which is not in .*notebooks; choose from a.ipynb, b.ipynb"),
    ("an unknown notebook in a set's notebooks",
     "notebooks: [a.ipynb, b.ipynb]\nparameter_sets:\n  default: {}\n  s: {notebooks: [c]}\n",
     UnknownParameterError, r"parameter set 's' names 'c', which .* does not list; choose from a, b"),
    ("an unknown parameter name", "notebooks: [a.ipynb]\nparameter_sets:\n  default: {colour: red}\n",
     UnknownParameterError, r"parameter set 'default' gives \['colour'\] to a.ipynb, whose parameters cell"),
    ("a bad parameter value", "notebooks: [a.ipynb]\nparameter_sets:\n  default: {currency: EUR}\n",
     UnknownParameterError, r"parameter set 'default' for a.ipynb: currency='EUR' is not accepted"),
    # careless and hostile configs
    ("a mistyped top-level key", "notebooks: [a.ipynb]\nparameter_set:\n  rub: {currency: RUB}\n",
     ReportConfigError, r"unknown key 'parameter_set'; did you mean 'parameter_sets'\?"),
    ("a key twice, the last would win", "notebooks: [a.ipynb]\nparameter_sets:\n  default: {}\n"
     "  s: {currency: RUB}\n  s: {currency: CNY}\n",
     ReportConfigError, r"line 5: the key 's' stands twice in one mapping \(first on line 4\); keep one"),
    ("a parameter twice in a set", "notebooks: [a.ipynb]\nparameter_sets:\n  default: {currency: RUB, "
     "currency: CNY}\n", ReportConfigError, r"the key 'currency' stands twice"),
    ("an alias bomb", "notebooks: [a.ipynb]\nx0: &a [q, q, q, q, q, q, q, q, q]\n"
     + "".join(f"x{i}: &{chr(97 + i)} [{', '.join([f'*{chr(96 + i)}'] * 9)}]\n" for i in range(1, 9)),
     ReportConfigError, r"more than 32 YAML aliases \(\*name\); write the values out"),
    ("a mistyped parameter name", "notebooks: [a.ipynb]\nparameter_sets:\n  default: {curency: RUB}\n",
     UnknownParameterError, r"gives \['curency'\] to a.ipynb.*; did you mean 'currency'\?"),
    ("output_dir in a set (the runner sets it)", "notebooks: [a.ipynb]\nparameter_sets:\n  default: "
     "{output_dir: /tmp/x}\n", UnknownParameterError, r"gives \['output_dir'\], which the runner sets"),
    ("a set name of 300 characters", "notebooks: [a.ipynb]\nparameter_sets:\n  " + "s" * 300 + ": {}\n",
     UnknownParameterError, r"is not a plain name; .* at most 64"),
]

SET_VALUES = [
    # (what the case is, the set's values, fragment of the message)
    ("a plan range with a boolean", "{plan_range: [true, 6]}", r"plan_range=\[True, 6\] is not accepted"),
    ("a price year that is a boolean", "{price_basis: constant, price_year: true}",
     r"price_year=True is not accepted; give"),
    ("a price year with nominal prices", "{price_year: 1990}",
     r"gives price_year=1990, which has no effect with nominal prices; add price_basis: constant"),
    ("military that is not a boolean", "{include_military: 'yes'}", r"include_military='yes' is not"),
]


@pytest.mark.parametrize(("case", "values", "fragment"), SET_VALUES, ids=[r[0] for r in SET_VALUES])
def test_a_parameter_value_of_the_wrong_type_is_refused(tmp_path, case, values, fragment):
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    write_notebook(nb_dir, "a", 'output_dir = ""\nplan_range = [1, 6]\nprice_basis = "nominal"\n'
                                'price_year = 1990\ninclude_military = False\n')
    (nb_dir / "reports.yaml").write_text(f"notebooks: [a.ipynb]\nparameter_sets:\n  default: {values}\n")
    with pytest.raises(UnknownParameterError, match=fragment):
        load_jobs(nb_dir / "reports.yaml")


def test_a_config_larger_than_the_limit_is_refused_unread(folder):
    (folder / "reports.yaml").write_text("notebooks: [a.ipynb]\n# " + "x" * 300_000 + "\n")
    with pytest.raises(ReportConfigError, match=r"has 300,\d+ bytes, more than the 262,144"):
        load_jobs(folder / "reports.yaml")


def test_a_config_that_is_not_utf8_is_named(folder):
    (folder / "reports.yaml").write_bytes("notebooks: [a.ipynb]\n# caf\xe9\n".encode("latin-1"))
    with pytest.raises(ReportConfigError, match=r"reports.yaml is not UTF-8 text \(byte 26\)"):  # 21 + len("# caf")
        load_jobs(folder / "reports.yaml")


@pytest.mark.parametrize(("case", "text", "error", "fragment"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_bad_config_is_refused_naming_the_file_and_what_is_expected(folder, case, text, error, fragment):
    config = folder / "reports.yaml"
    config.write_text(text)
    reports = folder.parent / "reports"
    with pytest.raises(error, match=fragment):
        run_reports(config, reports, progress=False)
    assert not reports.exists(), "refused before the reports folder (or any kernel) was touched"


def test_a_missing_config_file_is_named(folder):
    with pytest.raises(ReportConfigError, match=r"no report config at .*nothere.yaml; give --config a YAML"):
        load_jobs(folder / "nothere.yaml")


def test_a_notebook_that_is_not_json_is_named(folder):
    (folder / "a.ipynb").write_text("{not json")
    (folder / "reports.yaml").write_text("notebooks: [a.ipynb]\n")
    with pytest.raises(ReportConfigError, match=r"a.ipynb cannot be read as a notebook"):
        load_jobs(folder / "reports.yaml")


@pytest.mark.parametrize("only", [["c"], ["a", "nosuchnotebook"], ["c.ipynb"]])
def test_an_unknown_notebook_in_only_is_refused_naming_the_choices(folder, only):
    (folder / "reports.yaml").write_text("notebooks: [a.ipynb, b.ipynb]\n")
    with pytest.raises(UnknownParameterError, match=r"--only names '.*', which .* does not list; choose from a, b"):
        run_reports(folder / "reports.yaml", folder.parent / "reports", only=only, progress=False)
    assert not (folder.parent / "reports").exists()


@pytest.mark.parametrize("only", [["a"], ["a.ipynb"]])
def test_only_accepts_a_notebook_with_or_without_its_suffix(folder, only):
    (folder / "reports.yaml").write_text("notebooks: [a.ipynb, b.ipynb]\n")
    assert [j.folder for j in load_jobs(folder / "reports.yaml", only)] == ["a/default"]


@pytest.mark.parametrize("jobs", [0, -1, True, 1.5, "2"])
def test_jobs_below_one_or_not_a_whole_number_is_refused(folder, jobs):
    (folder / "reports.yaml").write_text("notebooks: [a.ipynb]\n")
    with pytest.raises(UnknownParameterError, match=r"jobs=.* is not accepted; give how many notebooks"):
        run_reports(folder / "reports.yaml", folder.parent / "reports", jobs=jobs, progress=False)
    assert not (folder.parent / "reports").exists()


def test_a_set_runs_only_for_the_notebooks_it_lists_and_every_notebook_runs_the_default(folder):
    (folder / "reports.yaml").write_text(
        "notebooks: [a.ipynb, b.ipynb]\nparameter_sets:\n  default: {}\n  s-1: {notebooks: [b], tag: y}\n")
    jobs = load_jobs(folder / "reports.yaml")
    assert [(j.folder, j.parameters) for j in jobs] == [
        ("a/default", {}), ("b/default", {}), ("b/s-1", {"tag": "y"})]


def test_the_config_errors_are_report_errors_so_one_except_catches_them():
    assert issubclass(ReportConfigError, ReportError)
