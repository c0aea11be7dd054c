from unittest.mock import patch

import pytest

from aidcalc import cli


def test_report_passes_its_options_to_run_reports():
    with patch("aidcalc.report.runner.run_reports", return_value={"a/default": 1.0}) as run:
        assert cli.main(["report", "--jobs", "1", "--only", "01_aid_by_plan", "--no-progress"]) == 0
    run.assert_called_once_with(None, None, only=["01_aid_by_plan"], jobs=1, progress=False, force=False)


def test_report_force_reruns_what_did_not_change():
    with patch("aidcalc.report.runner.run_reports", return_value={}) as run:
        assert cli.main(["report", "--force", "--no-progress"]) == 0
    assert run.call_args.kwargs["force"] is True


def test_convert_prints_the_value_and_the_rate_rows(capsys):
    assert cli.main(["convert", "80000000", "RUB_old", "1956-07"]) == 0
    out = capsys.readouterr().out
    assert "20,000,000.00 USD" in out and "R002" in out


def test_a_refused_input_exits_2_with_the_message(capsys):
    assert cli.main(["convert", "1", "EUR", "1960"]) == 2
    assert "unknown currency or unit 'EUR'" in capsys.readouterr().err


def test_validate_lists_every_table(capsys):
    assert cli.main(["validate"]) == 0
    assert "loans:" in capsys.readouterr().out


def test_audit_prints_every_verdict(capsys):
    assert cli.main(["audit"]) == 0
    assert "inconsistent" in capsys.readouterr().out


def test_aggregate_prints_the_plan_table_and_the_reasons(capsys):
    assert cli.main(["aggregate", "loans", "--currency", "RUB"]) == 0
    out = capsys.readouterr().out
    # first plan, Soviet bloc: 254 million old rubles / 4.444 (gold basis) = 57.2 million rubles
    assert "Soviet bloc          -       57.2  57.2  57.2" in out
    assert "included in the total of row L0002" in out


def test_aggregate_loans_prints_the_range_and_what_sets_it(capsys):
    assert cli.main(["aggregate", "loans"]) == 0
    out = capsys.readouterr().out
    # sixth plan: 225 million rubles of 1975 / 0.735 (R048); as account rubles (R049) in yuan at
    # 1.859 per USD, between 225e6 x 70/30 / 1.859 = 282.4 and 225e6 x 1560/252.4 / 1.859 = 748.1;
    # the request: the 665 million rubles option of 1975 (L0062) / 0.735 = 904.8
    assert "6       China      904.8      306.1 282.4 748.1" in out
    assert "plan 3 China high: L0021 read vintage=new (+430.5 million)" in out
    assert max(len(line) for line in out.splitlines()[:10]) <= 100


def test_aggregate_tonnage_by_plan_lists_the_excluded_rows_when_asked(capsys):
    assert cli.main(["aggregate", "tonnage", "--by", "plan", "--excluded"]) == 0
    out = capsys.readouterr().out
    assert "100,400" in out  # delivered in plan 4: 19,000 + 80,000 + 1,400 t
    assert "not a tonnage (unit count)" in out


@pytest.mark.parametrize("argv", [["report", "--jobs", "0"], ["report", "--jobs", "-3"], ["report", "--jobs", "x"]])
def test_the_command_refuses_jobs_below_one(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    assert "argument --jobs" in capsys.readouterr().err


def test_the_command_refuses_an_unknown_only_listing_the_choices(capsys):
    assert cli.main(["report", "--only", "nosuchnotebook", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "--only names 'nosuchnotebook'" in err and "choose from 01_aid_by_plan, 02_arms_shipments" in err
    assert "Traceback" not in err


def test_the_command_names_a_broken_config(tmp_path, capsys):
    (tmp_path / "reports.yaml").write_text("- a.ipynb\n")
    assert cli.main(["report", "--config", str(tmp_path / "reports.yaml"), "--no-progress"]) == 2
    assert "reports.yaml holds a list; it should hold a mapping" in capsys.readouterr().err


def subcommands():
    return ["report", "convert", "aggregate", "validate", "audit"]


@pytest.mark.parametrize("argv", [[], *([c] for c in subcommands())], ids=["aidcalc", *subcommands()])
def test_every_help_shows_an_example(argv, capsys):
    with pytest.raises(SystemExit):
        cli.main([*argv, "--help"])
    out = capsys.readouterr().out
    assert "example" in out and "aidcalc " in out.split("example", 1)[1]


def test_every_argument_has_a_help_text():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.choices and "report" in a.choices)
    missing = [f"{name} {action.dest}" for name, p in sub.choices.items() for action in p._actions
               if not action.help]
    assert not missing
    assert all(action.help for action in sub._choices_actions)


def test_the_report_help_names_every_option():
    text = cli.build_parser()._subparsers._group_actions[0].choices["report"].format_help()
    for option in ("--config", "--only", "--jobs", "--reports-dir", "--no-progress"):
        assert option in text


def test_the_audit_fits_100_columns_without_scientific_notation(capsys):
    assert cli.main(["audit"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 100
    assert "e+0" not in out
    # C001: 83 + 46 + 55 + 50 + 20 = 254 million, written in full
    assert "stated 254,000,000 vs recomputed 254,000,000" in out


def test_a_file_system_error_is_named_without_a_traceback(monkeypatch, capsys):
    from aidcalc.evidence import package_check

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device", "/data/loans.csv")

    monkeypatch.setattr(package_check, "validate_all", full)
    assert cli.main(["validate"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("aidcalc: /data/loans.csv: No space left on device; check the path")
    assert "Traceback" not in err
