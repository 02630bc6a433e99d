"""The public marts: the one list of the tables BI users read.

`custseg.refresh` publishes these, `custseg.compare_marts` and `custseg.compare_engines` compare
them, and the pytest suite checks them; a new mart is added here once (and `test_conventions`
fails while a model under models/marts/ is missing from this list).
"""

from __future__ import annotations

PUBLIC_MARTS: tuple[str, ...] = (
    "customer_features",
    "customer_segments",
    "segment_summary",
    "rfm_thresholds",
    "quarantined_rows",
    "customer_segment_history",
    "segment_transitions",
    "segment_summary_history",
    "raw_files",
    "customer_predictions",
    "btyd_model_parameters",
    "cluster_profiles",
    "customer_identity_map",
)

# When a run validated or computed a row, and what it found of a file since the last run:
# different between any two runs by design.
RUN_TIME_COLUMNS: frozenset[str] = frozenset(
    {"_validated_at", "_validated_through", "first_read_at", "last_read_at", "file_status"}
)

# Where a row came from (file name, size, row number): different when the same data arrives in
# other files (shuffled, Parquet instead of CSV, another engine's names).
LOCATION_COLUMNS: dict[str, frozenset[str]] = {
    "quarantined_rows": frozenset({"source_file", "source_row", "quarantine_row_id"}),
    "raw_files": frozenset({"file_path", "file_size", "file_modified_at", "file_fingerprint"}),
}
