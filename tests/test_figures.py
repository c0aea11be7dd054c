import pytest

from aidcalc.evidence.figure_text import read_figure


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("50 million rubles", 50_000_000),
        ("1.56 billion yuan", 1_560_000_000),
        ("151.9 million rubles", 151_900_000),
        ("3,500 tons", 3_500),
        ("0,5 percent", 0.5),  # decimal comma
        ("1,880 billion yuan", 1_880_000_000),  # decimal comma before a scale word
        ("fifty", 50),
        ("one and a half million", 1_500_000),
        ("half a million", 500_000),
        ("six and a half thousand", 6_500),
        ("twelve thousand", 12_000),
    ],
)
def test_a_figure_is_read_as_the_source_writes_it(text, value):
    assert value in read_figure(text)


def test_an_ambiguous_separator_gives_both_readings():
    readings = read_figure("266.218 tons")
    assert 266.218 in readings and 266_218 in readings


def test_a_range_gives_both_ends():
    readings = read_figure("one to two million")
    assert {1_000_000, 2_000_000} <= readings
    assert 3_000_000 not in readings
