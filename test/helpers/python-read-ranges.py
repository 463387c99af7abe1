"""Test helper: reads byte ranges with the Python worker's table reader, as separate mini-batches.

stdin: {"runtime": <folder holding parajob_runtime>, "settings": <tabularReader>, "batches": [[range, ...], ...],
"partitionKeyValues": [key or null, ...]}
stdout: one JSON object per batch: {"columns", "rows", "types"} (types: JSON type per cell) or {"error"}.
"""
import json
import sys

request = json.load(sys.stdin)
sys.path.insert(0, request["runtime"])

import pandas  # noqa: E402

from parajob_runtime.mini_batch import InputError
from parajob_runtime.table_read import read_table  # noqa: E402


def plain(value):
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def json_type(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "string" if isinstance(value, str) else type(value).__name__


keys = request.get("partitionKeyValues") or [None] * len(request["batches"])
for ranges, key in zip(request["batches"], keys):
    try:
        frame = read_table(pandas, ranges, request["settings"], key)
    except InputError as error:
        print(json.dumps({"error": str(error)}))
        continue
    rows = [[plain(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    print(json.dumps({
        "columns": [str(c) for c in frame.columns],
        "rows": rows,
        "types": [[json_type(v) for v in row] for row in rows],
        "dtypes": [str(t) for t in frame.dtypes],
    }))
