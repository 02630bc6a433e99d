"""Independent pandas re-implementation of docs/RULES.md: the pytest oracle for the dbt marts.

It follows the written rules only (never the SQL) so that the marts can be checked against a
second, independent computation. Sections refer to docs/RULES.md.

Money is held as exact ``decimal.Decimal`` values with 4 places; scores and percentile ranks
are computed in exact integer / rational arithmetic so that thresholds such as
``contribution_score >= 90`` are decided exactly. Default vars come from dbt_project.yml
(``custseg.oracle.defaults``).

Modules, one job each:

- ``defaults``: the default vars, read from dbt_project.yml;
- ``values``: money/score scales, strict parsers, exact arithmetic helpers;
- ``reading``: the raw files as text and the seeds (section 1);
- ``validation``: valid rows and the quarantine (section 1);
- ``features``: money conversion, as-of date, customer_features (sections 2-4);
- ``scoring``: RFM and value scores (sections 5, 7);
- ``tiers``: pyramid/ABC, churn risk, value tier, lifecycle, control group (sections 6, 8-11);
- ``segments``: the customer_segments mart (sections 5-11 assembled);
- ``summary``: the segment_summary mart (section 12);
- ``predictions``: customer_predictions from given BTYD parameters (section 14);
- ``marts``: ``compute_all``, every mart for one raw data set.

Usage::

    from custseg.oracle import compute_all
    marts = compute_all(Path("data/demo"), Path("seeds"), as_of_date=None)
    marts["customer_segments"].head()
"""

from __future__ import annotations

from custseg.oracle.defaults import DEFAULT_VARS, FIXED_VARS, ORACLE_VARS, resolve_vars
from custseg.oracle.features import (
    convert_amounts,
    customer_features,
    resolve_as_of_date,
)
from custseg.oracle.marts import compute_all
from custseg.oracle.predictions import customer_predictions
from custseg.oracle.reading import load_fx_rates, load_raw
from custseg.oracle.scoring import rfm_scores, value_scores
from custseg.oracle.segments import customer_segments
from custseg.oracle.summary import SCHEMES, segment_summary
from custseg.oracle.tiers import CHURN_SIGNALS, RISK_ORDER, control_group
from custseg.oracle.validation import ID_COLUMN, INTERACTION_TYPES, TRANSACTION_TYPES, validate
from custseg.oracle.values import (
    DECIMAL_RE,
    MONEY_LIMIT,
    MONEY_PLACES,
    MONEY_SCALE,
    SCORE_SCALE,
    TIMESTAMP_RE,
    ZERO,
    parse_decimal,
    parse_number,
    parse_timestamp,
    round_money,
)

__all__ = [
    "CHURN_SIGNALS",
    "DECIMAL_RE",
    "DEFAULT_VARS",
    "FIXED_VARS",
    "ID_COLUMN",
    "INTERACTION_TYPES",
    "MONEY_LIMIT",
    "MONEY_PLACES",
    "MONEY_SCALE",
    "ORACLE_VARS",
    "RISK_ORDER",
    "SCHEMES",
    "SCORE_SCALE",
    "TIMESTAMP_RE",
    "TRANSACTION_TYPES",
    "ZERO",
    "compute_all",
    "control_group",
    "convert_amounts",
    "customer_features",
    "customer_predictions",
    "customer_segments",
    "load_fx_rates",
    "load_raw",
    "parse_decimal",
    "parse_number",
    "parse_timestamp",
    "resolve_as_of_date",
    "resolve_vars",
    "rfm_scores",
    "round_money",
    "segment_summary",
    "validate",
    "value_scores",
]
