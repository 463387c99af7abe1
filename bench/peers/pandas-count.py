# Peer of the Python tabular job benchmark: one plain Python process, no scheduling, reading the same
# CSV with pandas' C parser in chunks of 100,000 rows and counting them. Prints {"rows", "ms"} as JSON.
# Usage: python3 pandas-count.py <file.csv>
import json
import sys
import time

import pandas

started = time.perf_counter()
rows = 0
for chunk in pandas.read_csv(sys.argv[1], chunksize=100_000):
    rows += len(chunk)
print(json.dumps({"rows": rows, "ms": (time.perf_counter() - started) * 1000}))
