"""The report config: which notebooks run under which parameter sets, checked before any kernel starts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from aidcalc import paths
from aidcalc.errors import ReportConfigError, UnknownParameterError, closest
from aidcalc.money.basis import PRICE_BASES, RATE_BASES, Basis, check_year

#: The parameters every report notebook declares, with the values each accepts.
PARAMETERS = {
    "currency": ("USD", "RUB", "CNY"),
    "price_basis": PRICE_BASES,
    "rate_basis": RATE_BASES,
}
CONFIG = "reports.yaml"
#: What a parameter set may be called: it becomes a folder name and part of a URL.
SET_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: The keys the config itself may hold.
CONFIG_KEYS = ("notebooks", "parameter_sets")
#: The parameters the runner gives every notebook itself: a set may not give them.
RUNNER_PARAMETERS = ("output_dir", "data_digest")
#: Limits of the config file: its size in bytes and the YAML aliases (``*name``) it may use, so
#: that a small file cannot expand into gigabytes (an "alias bomb").
MAX_CONFIG_BYTES = 256 * 1024
MAX_ALIASES = 32
#: The notebook parameter that receives the digest of the data snapshot, when a notebook declares it.
DIGEST_PARAMETER = "data_digest"
#: The kernel every run uses: the one ipykernel registers wherever it is installed, so the
#: runner works without the project's own ``aidcalc`` kernelspec that the notebooks name.
KERNEL = "python3"


@dataclass(frozen=True)
class Job:
    """One notebook run: which notebook, under which parameter set, with which values."""

    notebook: str
    parameter_set: str
    parameters: dict = field(default_factory=dict)
    declared: tuple = field(default=(), compare=False)

    @property
    def stem(self) -> str:
        """The notebook's name without ``.ipynb``: its folder under ``reports/``."""
        return Path(self.notebook).stem

    @property
    def folder(self) -> str:
        """Where the run's files go under ``reports/``."""
        return f"{self.stem}/{self.parameter_set}"


def _cpi_span() -> tuple[int, int]:
    """Return the first and last year of the CPI-U table: the price years a report can take."""
    from aidcalc.money.rates import load_rate_table

    return load_rate_table().cpi_span


def _plans() -> list[int]:
    """Return the plan numbers of data/plans.csv."""
    from aidcalc.tables.context import open_data

    return open_data().table("plans")["plan"].astype(int).tolist()


def validate_parameters(params: dict) -> dict:
    """Check report parameters' values; return them, or raise naming the value and the choices.

    Examples
    --------
    >>> validate_parameters({"currency": "USD", "plan_range": [1, 6]})["plan_range"]
    [1, 6]
    >>> validate_parameters({"currency": "EUR"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    aidcalc.errors.UnknownParameterError: currency='EUR' is not accepted; choose one of USD, RUB, CNY ...

    """
    for name, allowed in PARAMETERS.items():
        if name in params and params[name] not in allowed:
            extra = f" (data/rates.csv has no {params[name]} rates)" if name == "currency" else ""
            raise UnknownParameterError(
                f"{name}={params[name]!r} is not accepted; choose one of {', '.join(allowed)}{extra}"
            )
    if "price_year" in params:  # the rule of every basis, then the span of the CPI table
        year = check_year("price_year", params["price_year"])
        first, last = _cpi_span()
        if not first <= year <= last:
            raise UnknownParameterError(
                f"price_year={year!r} is not accepted; give a year from {first} to {last} (data/cpi_u.csv)"
            )
    Basis.for_report(params.get("currency", "USD"), params.get("price_basis", "nominal"),
                     params.get("price_year", 1990), params.get("rate_basis", "official"))
    if "plan_range" in params:
        pr = params["plan_range"]
        if not (isinstance(pr, list | tuple) and len(pr) == 2
                and all(isinstance(p, int) and not isinstance(p, bool) for p in pr)
                and min(_plans()) <= pr[0] <= pr[1] <= max(_plans())):
            raise UnknownParameterError(
                f"plan_range={pr!r} is not accepted; give [first, last] plan numbers from {min(_plans())} to "
                f"{max(_plans())} (data/plans.csv)"
            )
    if "include_military" in params and not isinstance(params["include_military"], bool):
        raise UnknownParameterError(
            f"include_military={params['include_military']!r} is not accepted; give true or false"
        )
    return params



_SHAPE = ("a mapping with `notebooks:` (a list of notebook files) and, optionally, "
          "`parameter_sets:` (a mapping from set name to parameter values)")


def suggest(name, choices) -> str:
    """Return ``"; did you mean 'x'?"`` for the choice closest to a mistyped name, or ``""``.

    Examples
    --------
    >>> suggest("parameter_set", ["notebooks", "parameter_sets"])
    "; did you mean 'parameter_sets'?"

    """
    close = closest(name, choices)
    return f"; did you mean {close!r}?" if close else ""


def _loader(config: Path):
    """Return a safe YAML loader that refuses duplicate keys and more than :data:`MAX_ALIASES` aliases."""
    import yaml

    class Loader(yaml.SafeLoader):
        aliases = 0

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                Loader.aliases += 1
                if Loader.aliases > MAX_ALIASES:
                    mark = self.peek_event().start_mark
                    raise ReportConfigError(
                        f"{config}, line {mark.line + 1}: more than {MAX_ALIASES} YAML aliases (*name); "
                        "write the values out instead")
            return super().compose_node(parent, index)

        def construct_mapping(self, node, deep=False):
            seen = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if key in seen:
                    raise ReportConfigError(
                        f"{config}, line {key_node.start_mark.line + 1}: the key {key!r} stands twice in one "
                        f"mapping (first on line {seen[key]}); keep one of them")
                seen[key] = key_node.start_mark.line + 1
            return super().construct_mapping(node, deep)

    return Loader


def _read_config(config: Path) -> dict:
    """Read the report config; raise naming the file and what is expected unless it has the right shape."""
    import yaml

    if not config.is_file():
        raise ReportConfigError(f"no report config at {config}; give --config a YAML file holding {_SHAPE}")
    size = config.stat().st_size
    if size > MAX_CONFIG_BYTES:
        raise ReportConfigError(f"{config} has {size:,} bytes, more than the {MAX_CONFIG_BYTES:,} a report "
                                "config may have; it lists notebooks and parameter sets only")
    try:
        text = config.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ReportConfigError(f"{config} is not UTF-8 text (byte {err.start}); save it as UTF-8") from None
    try:
        spec = yaml.load(text, Loader=_loader(config))  # noqa: S506 - a SafeLoader with limits
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ReportConfigError(f"{config}{where} is not valid YAML ({problem}); it should hold {_SHAPE}") \
            from None
    if not isinstance(spec, dict):
        raise ReportConfigError(f"{config} holds a {type(spec).__name__}; it should hold {_SHAPE}")
    for key in spec:
        if key not in CONFIG_KEYS:
            raise ReportConfigError(f"{config}: unknown key {key!r}{suggest(key, CONFIG_KEYS)} (a report "
                                    f"config holds {', '.join(CONFIG_KEYS)})")
    if not isinstance(spec.get("notebooks"), list) or not spec["notebooks"]:
        raise ReportConfigError(f"{config}: `notebooks:` should be a non-empty list of notebook files "
                                f"(such as 01_aid_by_plan.ipynb), not {spec.get('notebooks')!r}")
    sets = spec.get("parameter_sets", {"default": {}})
    if not isinstance(sets, dict):
        raise ReportConfigError(f"{config}: `parameter_sets:` should be a mapping from set name to its "
                                f"values (default: {{}}), not a {type(sets).__name__}")
    spec["parameter_sets"] = sets
    return spec


def _choices(names) -> str:
    return ", ".join(names) or "(none)"


def _declared(notebook: Path) -> tuple[str, ...]:
    """Return the names the notebook's ``parameters`` cell declares (assigned at its top level)."""
    import ast
    import json

    # plain json and ast rather than nbformat and papermill: importing those costs about two
    # seconds, which a run with nothing to execute (every report reused) should not pay
    try:
        nb = json.loads(notebook.read_text(encoding="utf-8"))
        cell = next((c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])), None)
        if cell is None:
            return ()
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        # read as Python whatever kernel the notebook names: the runner always uses python3
        tree = ast.parse(source, filename=str(notebook))
    except Exception as err:  # not JSON, not a notebook, or a parameters cell that does not parse
        raise ReportConfigError(f"{notebook} cannot be read as a notebook ({type(err).__name__}: {err}); "
                                "fix or restore it") from None
    names = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AnnAssign) else []
        names += [t.id for t in targets if isinstance(t, ast.Name) and t.id not in names]
    return tuple(names)


def _plan(config: Path, only: list[str] | None) -> tuple[list[Job], list[str]]:
    """Return the jobs to run and the stems of every notebook the config lists, checked."""
    spec = _read_config(config)
    notebooks, seen = [], set()
    for entry in spec["notebooks"]:
        if not isinstance(entry, str) or not entry.strip():
            raise ReportConfigError(f"{config}: `notebooks:` lists {entry!r}; give notebook file names")
        name = entry if entry.endswith(".ipynb") else f"{entry}.ipynb"
        if Path(name).stem in seen:
            raise UnknownParameterError(f"{config}: `notebooks:` lists {Path(name).stem} twice; list each "
                                        "notebook once (its parameter sets say how often it runs)")
        seen.add(Path(name).stem)
        notebooks.append(name)
    available = sorted(p.name for p in config.parent.glob("*.ipynb"))
    for name in notebooks:
        if not (config.parent / name).is_file():
            raise UnknownParameterError(
                f"{config}: `notebooks:` lists {name}, which is not in {config.parent}; "
                f"choose from {_choices(available)}")
    stems = [Path(n).stem for n in notebooks]

    def known(name, where: str) -> str:
        stem = Path(str(name)).stem if str(name).endswith(".ipynb") else str(name)
        if stem not in stems:
            raise UnknownParameterError(f"{where} names {name!r}, which {config} does not list; "
                                        f"choose from {_choices(stems)}")
        return stem

    chosen = {known(n, "--only") for n in only} if only else set(stems)

    sets = {}
    for set_name, entry in spec["parameter_sets"].items():
        if not isinstance(set_name, str) or not SET_NAME.fullmatch(set_name):
            raise UnknownParameterError(
                f"{config}: parameter set {set_name!r} is not a plain name; use letters, digits, "
                "'_' and '-' only, at most 64 of them (it becomes a folder name, reports/<notebook>/<set>/)")
        if entry is not None and not isinstance(entry, dict):
            raise ReportConfigError(
                f"{config}: parameter set {set_name!r} is a {type(entry).__name__}; write it as a mapping "
                "of parameter names to values, e.g. `currency: RUB`, with `notebooks: [...]` to limit it")
        entry = dict(entry or {})
        targets = entry.pop("notebooks", None)
        if targets is not None and not isinstance(targets, list):
            raise ReportConfigError(f"{config}: `notebooks:` of parameter set {set_name!r} should be a list "
                                    f"of notebook names, not {targets!r}")
        where = f"{config}: parameter set {set_name!r}"
        sets[set_name] = (entry, {known(t, where) for t in targets} if targets else set(stems))

    jobs = []
    for name in notebooks:
        stem = Path(name).stem
        if stem not in chosen:
            continue
        declared = _declared(config.parent / name)
        for set_name, (values, targets) in sets.items():
            if stem not in targets:
                continue
            given_by_runner = sorted(set(values) & set(RUNNER_PARAMETERS))
            if given_by_runner:
                raise UnknownParameterError(
                    f"{config}: parameter set {set_name!r} gives {given_by_runner}, which the runner sets "
                    "itself for every run (reports/<notebook>/<set>/ and the data snapshot); remove it")
            unknown = sorted(set(values) - set(declared))
            if unknown:
                hints = "".join(suggest(u, declared) for u in unknown)
                raise UnknownParameterError(
                    f"{config}: parameter set {set_name!r} gives {unknown} to {name}, whose "
                    f"parameters cell declares only {sorted(declared)}{hints}"
                )
            if "price_year" in values and values.get("price_basis") != "constant":
                # a notebook declares both with nominal prices by default: a set's price year
                # alone would be shown in the report's parameters and applied nowhere
                raise UnknownParameterError(
                    f"{config}: parameter set {set_name!r} gives price_year={values['price_year']!r}, "
                    "which has no effect with nominal prices; add price_basis: constant, or remove "
                    "price_year")
            try:
                validate_parameters(values)
            except UnknownParameterError as err:
                raise UnknownParameterError(f"{config}: parameter set {set_name!r} for {name}: {err}") \
                    from None
            jobs.append(Job(name, set_name, dict(values), declared))
    return jobs, stems


def load_jobs(config: Path | str | None = None, only: list[str] | None = None) -> list[Job]:
    """Read the report config (``notebooks/reports.yaml``) into jobs, checking every parameter.

    Every notebook runs with the ``default`` set; a further set runs for the notebooks it lists.
    Everything is checked here, before any kernel starts.

    Parameters
    ----------
    config : path, optional
        The report config; defaults to ``notebooks/reports.yaml``.
    only : list of str, optional
        Notebook names (with or without ``.ipynb``) to keep; the config must list them.

    Returns
    -------
    list of Job
        One per notebook and parameter set, in the config's order.

    Raises
    ------
    ReportConfigError
        The config is missing, not YAML, or not shaped as expected (named in the message).
    UnknownParameterError
        An unknown or duplicate notebook, a set name that is not plain, an unknown parameter
        name (not in the notebook's ``parameters`` cell) or a bad value.

    """
    config = Path(config or paths.NOTEBOOKS_DIR / CONFIG)
    return _plan(config, list(only) if only else None)[0]


