"""Report: the report configuration, the crash-safe reports tree, the runner and a notebook's session.

Needs the extra ``report`` (papermill, nbconvert, ipykernel, matplotlib, ...):
``pip install "aidcalc[report]"``.
"""

from aidcalc.errors import require_extra

require_extra("report", "aidcalc.report (regenerating the reports)")
