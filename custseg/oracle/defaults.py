"""The oracle's default vars, read from the ``vars:`` of dbt_project.yml (the one place they live).

The oracle reads the vars named in ``ORACLE_VARS`` from the project file at import, so that a
threshold changed there changes the dbt models and the oracle alike. Vars given to
``compute_all(vars=...)`` override these defaults.

Values are taken as YAML literals; a value holding Jinja (``{{ ... }}``, ``{% ... %}``) is not
evaluated: it is left out, and a var the oracle needs that is missing or Jinja-valued is an
error. Decimal numbers are kept as the text written (``0.20`` -> ``"0.20"``) so that shares and
ratios become exact fractions, never binary floats.

``FIXED_VARS`` lists the project vars whose default the oracle does not read but implements as
fixed behaviour; tests/pytest/test_oracle.py checks that they still equal dbt_project.yml's.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)

PROJECT_FILE = Path(__file__).resolve().parents[2] / "dbt_project.yml"

# The dbt_project.yml vars the oracle uses (RULES.md refers to them by name).
ORACLE_VARS: tuple[str, ...] = (
    "reporting_currency",
    "business_timezone",
    "rfm_bins",
    "rfm_segment_grid",
    "pyramid_top_share",
    "pyramid_big_share",
    "pyramid_medium_share",
    "abc_a_share",
    "abc_b_share",
    "dormant_after_days",
    "churned_after_days",
    "loyal_min_purchase_days",
    "loyal_value_tier",
    "churn_overdue_factor",
    "churn_single_purchase_overdue_days",
    "churn_visit_drop_ratio",
    "churn_visit_min_previous",
    "churn_complaints_threshold",
    "churn_spend_drop_ratio",
    "churn_high_min_signals",
    "churn_p_alive_below",
    "playbook_scheme",
    "control_group_share",
    "control_group_salt",
    "prediction_horizons_days",
    "clv_horizon_months",
    "clv_monthly_discount_rate",
    "clv_profit_margin",
    "membership_points_per_unit",
    "membership_points_rounding",
    "membership_window",
    "membership_review",
    "membership_max_downgrade_levels",
    "smart_segment_value_measure",
)

# Project vars the oracle implements as fixed behaviour instead of reading them (their
# dbt_project.yml values, checked by a test): compute_all's as_of_date=None and fmt="csv"
# defaults, and the one RFM method and measures the oracle implements.
FIXED_VARS: dict[str, Any] = {
    "as_of_date": None,
    "raw_format": "csv",
    "rfm_method": "cume_dist",
    "rfm_recency_measure": "recency_days",
    "rfm_frequency_measure": "order_count",
    "rfm_monetary_measure": "net_revenue",
}

JINJA_MARKERS: tuple[str, ...] = ("{{", "{%", "{#")


class _ProjectLoader(yaml.SafeLoader):
    """SafeLoader that keeps floats as the text written (exact decimals, not binary floats)."""


def _float_as_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return loader.construct_scalar(node)


_ProjectLoader.add_constructor("tag:yaml.org,2002:float", _float_as_text)


def is_jinja(value: Any) -> bool:
    """Text holding a Jinja expression, statement or comment (rendered by dbt, not here)."""
    return isinstance(value, str) and any(marker in value for marker in JINJA_MARKERS)


def read_project_vars(project_file: Path = PROJECT_FILE) -> dict[str, Any]:
    """The literal ``vars:`` of a dbt project file; Jinja-valued vars are left out."""
    with open(project_file, encoding="utf-8") as handle:
        project = yaml.load(handle, Loader=_ProjectLoader) or {}
    literal: dict[str, Any] = {}
    for name, value in (project.get("vars") or {}).items():
        if is_jinja(value):
            log.debug("%s: var %s holds Jinja (%r); not read", project_file, name, value)
            continue
        literal[name] = value
    return literal


def load_default_vars(project_file: Path = PROJECT_FILE) -> dict[str, Any]:
    """The oracle's defaults: the ``ORACLE_VARS`` of the project file, in that order."""
    project_vars = read_project_vars(project_file)
    missing = [name for name in ORACLE_VARS if name not in project_vars]
    if missing:
        raise ValueError(
            f"{project_file}: the oracle needs literal defaults of vars {missing} "
            "(missing, or Jinja that only dbt can render)"
        )
    return {name: project_vars[name] for name in ORACLE_VARS}


DEFAULT_VARS: dict[str, Any] = load_default_vars()


def resolve_vars(vars: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The default vars, overridden by the vars given."""
    return {**DEFAULT_VARS, **(vars or {})}
