"""Builds what run() receives: mini_batch (file paths or a pandas DataFrame) and mini_batch_context."""
from __future__ import annotations

import sys
from typing import Any, Dict, List, Optional


class InputError(Exception):
    """Bad data in a tabular mini-batch (the JS reader's InputError): it fails that mini-batch only."""


class TabularNeedsPandas(Exception):
    """Tabular input reached an interpreter that cannot import pandas."""


class MiniBatchContext:
    """run()'s optional second argument, as on Azure: `partition_key_value` is a dict of the
    mini-batch's partition_keys values (empty when the job is not partitioned)."""

    __slots__ = ("partition_key_value", "minibatch_index", "attempt")

    def __init__(self, partition_key_value: Dict[str, Any], minibatch_index: int, attempt: int) -> None:
        self.partition_key_value = partition_key_value
        #: The mini-batch id (0-based), under Azure's name.
        self.minibatch_index = minibatch_index
        #: Attempt number of this mini-batch, from 1.
        self.attempt = attempt

    @property
    def mini_batch_id(self) -> int:
        """Same as `minibatch_index`."""
        return self.minibatch_index

    def __repr__(self) -> str:
        return (
            f"MiniBatchContext(partition_key_value={self.partition_key_value!r}, "
            f"minibatch_index={self.minibatch_index}, attempt={self.attempt})"
        )


_pandas: Optional[Any] = None
_pandas_error: Optional[BaseException] = None


def load_pandas() -> Optional[Any]:
    """Imports pandas once (it costs about half a second); returns None when it is not importable."""
    global _pandas, _pandas_error
    if _pandas is None and _pandas_error is None:
        try:
            import pandas  # noqa: PLC0415 - optional, and slow to import

            _pandas = pandas
        except Exception as error:  # noqa: BLE001 - a broken install is as unusable as a missing one
            _pandas_error = error
    return _pandas


def build_mini_batch(message: Dict[str, Any], tabular_settings: Any = None) -> Any:
    """The first argument of run(): a list of path strings, or a DataFrame for a tabular batch: its
    byte `ranges` read here with `tabular_settings` (the init frame's tabularReader; see
    table_read.py), or the `table` the node read (parquet).

    Raises TabularNeedsPandas when the batch is tabular and pandas cannot be imported, and
    InputError for bad data.
    """
    table = message.get("table")
    ranges = message.get("ranges")
    if table is None and ranges is None:
        files: List[str] = message.get("files") or []
        return files
    pandas = load_pandas()
    if pandas is None:
        raise TabularNeedsPandas(
            f"tabular input needs pandas, which {sys.executable} cannot import ({_pandas_error}); "
            "install python3-pandas (or pip install pandas), or point parajob at a Python that has it "
            "with --python or PARAJOB_PYTHON"
        )
    if ranges is not None:
        from .table_read import read_table  # noqa: PLC0415 - only tabular jobs need it

        return read_table(pandas, ranges, tabular_settings, message.get("partitionKeyValue"))
    # pandas infers each column's dtype as read_csv would: a null in a numeric column becomes NaN,
    # in a text column it stays None.
    return pandas.DataFrame(table["rows"], columns=table["columns"])


def build_context(message: Dict[str, Any]) -> MiniBatchContext:
    """The optional second argument of run()."""
    return MiniBatchContext(dict(message.get("partitionKeyValue") or {}), message["miniBatchId"], message["attempt"])
