"""Azure ML's user-facing helper package, re-implemented by parajob so entry scripts move unchanged."""
