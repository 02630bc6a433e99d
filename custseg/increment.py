"""Write an "increment" delivery beside a generated data set: a share (default 1%) of
transactions arriving late, half of them corrections of rows already delivered (same id, amount
changed) and half new late-arriving rows (new ids `L<id>` for past events of the same customers).

    python -m custseg.increment --data-dir /tmp/bench/10000000            # 1%, Parquet or CSV
    python -m custseg.increment --data-dir data/demo --share 0.05 --name increment-2

The file is `<data-dir>/transactions__<name>.<format>` (the project reads every file whose name
starts with the table's name) and its modification time is set one minute after the newest
existing file, so an incremental `dbt build` sees it as loaded later. Deterministic for a given
seed; streams the transactions file in batches (bounded memory at 100M rows).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from custseg.contract import COLUMNS


def _source(data_dir: Path) -> tuple[Path, str]:
    for fmt in ("parquet", "csv"):
        path = data_dir / f"transactions.{fmt}"
        if path.exists():
            return path, fmt
    raise FileNotFoundError(f"{data_dir}: no transactions.parquet or transactions.csv")


def _dataset(path: Path, fmt: str) -> ds.Dataset:
    if fmt == "parquet":
        return ds.dataset(path, format="parquet")
    schema = pa.schema([(name, pa.string()) for name in COLUMNS["transactions"]])
    csv_format = ds.CsvFileFormat(
        convert_options=pacsv.ConvertOptions(column_types=schema, strings_can_be_null=False)
    )
    return ds.dataset(path, format=csv_format, schema=schema)


def _changed(batch: pa.RecordBatch, rng: np.random.Generator, late: bool) -> pa.Table:
    """Corrections (same id, amount times 1.05-1.5) or, with late=True, the same past events
    under new ids (late-arriving rows of the same customers)."""
    table = pa.Table.from_batches([batch])
    if late:
        ids = pc.binary_join_element_wise("L", table["transaction_id"], "")
        index = table.schema.get_field_index("transaction_id")
        return table.set_column(index, "transaction_id", ids)
    amount = pc.cast(table["amount"], pa.float64())
    factor = np.round(rng.uniform(1.05, 1.5, table.num_rows), 2)
    text = pc.cast(pc.round(pc.multiply(amount, pa.array(factor)), 2), pa.string())
    return table.set_column(table.schema.get_field_index("amount"), "amount", text)


def write_increment(
    data_dir: Path, share: float = 0.01, seed: int = 1, name: str = "increment"
) -> Path:
    if not 0 < share < 1:
        raise ValueError("share must be between 0 and 1")
    source, fmt = _source(data_dir)
    rng = np.random.default_rng(seed)
    dataset = _dataset(source, fmt)
    pieces: list[pa.Table] = []
    for batch in dataset.to_batches(batch_size=262_144):
        if batch.num_rows == 0:
            continue
        keep = rng.random(batch.num_rows) < share
        if not keep.any():
            continue
        chosen = batch.filter(pa.array(keep))
        # only rows that look valid (a positive dotted amount and an ISO timestamp)
        valid = pc.and_(
            pc.match_substring_regex(chosen.column("amount"), r"^[0-9]+(\.[0-9]+)?$"),
            pc.match_substring_regex(
                chosen.column("transaction_at"), r"^20[0-9]{2}-[0-9]{2}-[0-9]{2} "
            ),
        )
        chosen = chosen.filter(pc.fill_null(valid, False))
        if chosen.num_rows == 0:
            continue
        halves = rng.random(chosen.num_rows) < 0.5
        pieces.append(_changed(chosen.filter(pa.array(halves)), rng, late=False))
        pieces.append(_changed(chosen.filter(pa.array(~halves)), rng, late=True))
    increment = pa.concat_tables(pieces) if pieces else None
    if increment is None:
        raise ValueError(f"{source}: no rows selected; use a larger --share")
    out = data_dir / f"transactions__{name}.{fmt}"
    if fmt == "parquet":
        pq.write_table(increment, out, row_group_size=122_880)
    else:
        pacsv.write_csv(increment, out)
    newest = max(p.stat().st_mtime for p in data_dir.iterdir() if p != out and p.is_file())
    os.utime(out, (newest + 60, newest + 60))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="custseg increment",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--share", type=float, default=0.01, help="share of transactions")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--name", default="increment", help="file name suffix")
    args = parser.parse_args(argv)
    out = write_increment(args.data_dir, args.share, args.seed, args.name)
    rows = pq.read_metadata(out).num_rows if out.suffix == ".parquet" else None
    print(f"wrote {out}" + (f" ({rows} rows)" if rows is not None else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
