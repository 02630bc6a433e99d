"""The raw-data contract: the three input tables and their columns, in file order.

The single Python definition, shared by the generator, the test oracle and the benchmark
(the SQL side has its own in macros/io/raw_contract_columns.sql; a test keeps them equal).
"""

from __future__ import annotations

TABLES: tuple[str, ...] = ("customers", "transactions", "interactions")

COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": (
        "customer_id",
        "registered_at",
        "email",
        "phone",
        "country",
        "acquisition_channel",
    ),
    "transactions": (
        "transaction_id",
        "customer_id",
        "transaction_at",
        "transaction_type",
        "amount",
        "currency",
        "product_category",
        "channel",
    ),
    "interactions": (
        "interaction_id",
        "customer_id",
        "occurred_at",
        "interaction_type",
        "channel",
        "score",
    ),
}
