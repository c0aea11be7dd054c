"""Publish: tables for people, CSV exports, charts and the HTML pages of the reports.

Needs the extra ``report`` (matplotlib, nbconvert, ...): ``pip install "aidcalc[report]"``.
"""

from aidcalc.errors import require_extra

require_extra("report", "aidcalc.publish (the tables, charts and pages of the reports)")
