"""System (e), lifetimes: pandas cleaning, then lifetimes' summary_data_from_transaction_data
for the BTYD columns (the timed process ``_lifetimes``)."""

from __future__ import annotations

from collections.abc import Sequence

from custseg.benchmark.common import LIFETIMES_COLUMNS, MONEY_SCALE
from custseg.benchmark.pandas_system import _pandas_clean
from custseg.benchmark.system_args import _leg_arguments


def _lifetimes_main(argv: Sequence[str]) -> int:
    """Timed process (e): pandas cleaning, then lifetimes' summary_data_from_transaction_data."""
    import pandas as pd
    from lifetimes.utils import summary_data_from_transaction_data

    args = _leg_arguments("benchmark _lifetimes", argv)
    tx, _registered = _pandas_clean(args.data_dir, args.seeds_dir, args.run_date, args.as_of_date)
    purchases = tx.loc[tx["is_purchase"], ["customer_id", "business_date", "amount_e4"]]
    purchases = purchases.assign(amount=purchases["amount_e4"] / MONEY_SCALE)
    summary = summary_data_from_transaction_data(
        purchases,
        "customer_id",
        "business_date",
        monetary_value_col="amount",
        observation_period_end=pd.Timestamp(args.as_of_date),
        freq="D",
    )
    summary = summary.rename(columns=LIFETIMES_COLUMNS).astype(
        dict.fromkeys(LIFETIMES_COLUMNS.values(), "int64")
    )
    summary.index.name = "customer_id"
    summary.reset_index().sort_values("customer_id").to_parquet(args.out, index=False)
    return 0
