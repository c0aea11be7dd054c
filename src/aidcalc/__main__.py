"""``python -m aidcalc``: the ``aidcalc`` command, for an environment whose scripts are not on PATH."""

import sys

from aidcalc.cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m aidcalc"))
