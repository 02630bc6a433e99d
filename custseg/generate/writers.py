"""Output sinks: each table appended chunk by chunk to ``<table>.csv`` (header row, minimal
quoting, empty = missing) or ``<table>.parquet`` (all-string columns, bounded row groups).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from custseg.contract import COLUMNS
from custseg.generate.constants import SCHEMAS

FORMATS: tuple[str, ...] = ("csv", "parquet")
# Rows per Parquet row group (DuckDB's default row group size).
PARQUET_ROW_GROUP_ROWS = 122_880


class Sink(Protocol):
    """Destination of one table: written chunk by chunk."""

    def write(self, table: pa.Table) -> None:
        """Append the rows of ``table``."""

    def close(self) -> None:
        """Finish the file."""


class CsvSink:
    """CSV with a header row, comma separated, minimal quoting, empty = missing."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self._file = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._file, lineterminator="\n")
        self._writer.writerow(columns)

    def write(self, table: pa.Table) -> None:
        """Append the rows of ``table`` in slices (bounded memory)."""
        for batch in table.to_batches(max_chunksize=100_000):
            columns = [column.to_pylist() for column in batch.columns]
            self._writer.writerows(zip(*columns, strict=True))

    def close(self) -> None:
        """Close the file."""
        self._file.close()


class ParquetSink:
    """Parquet with every column a nullable string; row groups of at most 122,880 rows.

    That is DuckDB's own row group size and what most exporters write; readers
    parallelise a scan by row group, so one group per 50k-customer chunk (about
    3M interaction rows) left a 1M-transaction file to a single thread.
    """

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self._writer = pq.ParquetWriter(path, schema)

    def write(self, table: pa.Table) -> None:
        """Append ``table`` in row groups of at most PARQUET_ROW_GROUP_ROWS rows."""
        if table.num_rows:
            self._writer.write_table(table, row_group_size=PARQUET_ROW_GROUP_ROWS)

    def close(self) -> None:
        """Write the footer and close the file."""
        self._writer.close()


def _open_sink(out_dir: Path, table: str, fmt: str) -> Sink:
    """A sink for ``<out_dir>/<table>.<fmt>``."""
    path = out_dir / f"{table}.{fmt}"
    if fmt == "csv":
        return CsvSink(path, COLUMNS[table])
    return ParquetSink(path, SCHEMAS[table])
