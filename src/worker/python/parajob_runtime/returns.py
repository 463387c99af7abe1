"""Turns run()'s return value into the counts and append_row text of a result message."""
from __future__ import annotations

import sys
from typing import Any, Optional, Tuple


class BadReturnType(Exception):
    """run() returned something other than a list, tuple or pandas DataFrame."""


def _dataframe_type() -> Optional[type]:
    # A DataFrame can only have been returned if pandas is already imported: never import it here.
    pandas = sys.modules.get("pandas")
    return getattr(pandas, "DataFrame", None) if pandas is not None else None


def summarize_return(value: Any, append_row: bool) -> Tuple[int, str, int]:
    """Returns (returned item count, append_row text, row count) for run()'s return value.

    List and tuple items become `"{}\\n".format(item)` each, Azure's exact row format; a DataFrame
    becomes space-separated CSV without header or index, with pandas quoting. The text is empty and
    the row count 0 when `append_row` is False. Raises BadReturnType for any other value.
    """
    if isinstance(value, (list, tuple)):
        if not append_row:
            return len(value), "", 0
        return len(value), "".join(["{}\n".format(item) for item in value]), len(value)
    dataframe = _dataframe_type()
    if dataframe is not None and isinstance(value, dataframe):
        count = len(value.index)
        if not append_row or count == 0:
            return count, "", 0
        return count, value.to_csv(sep=" ", header=False, index=False), count
    kind = type(value)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    raise BadReturnType(f"run() must return a list, tuple or pandas DataFrame, got {name}")
