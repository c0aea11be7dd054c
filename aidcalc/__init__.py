"""aidcalc: an exact toolkit for the quantitative history of foreign aid."""
