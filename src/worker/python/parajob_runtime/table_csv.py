"""Delimited bytes through pandas' C parser (read_csv), typed as the JS reader types them: the fast
path of table_read.py, for input both parsers read alike (table_read.py says which)."""
from __future__ import annotations

import io
from typing import Any, Dict, List, Optional

import numpy  # pandas' own dependency: this module is imported only once pandas is

from .table_types import apply_inferred_types

_MAX_SAFE_INTEGER = 2**53 - 1


def pandas_read(pandas: Any, source: bytes, encoding: str, delimiter: str, columns: Optional[List[str]], types: Dict[str, str]) -> Any:
    """The C parser's frame. Columns typed int, float or bool are left to its own number and bool
    parsing, kept where it agrees with the JS rules (column-types.ts `fits`); where it may not, the
    column's text decides, and a column with a value that does not fit is typed value by value."""
    typed = {c: k for c, k in types.items() if k in ("int", "float", "bool") and c in (columns or ())}

    def read(dtype: Any, usecols: Optional[List[str]] = None) -> Any:
        return pandas.read_csv(
            io.BytesIO(source),
            sep=delimiter,
            header=None,
            names=columns,
            usecols=usecols,
            index_col=False,
            dtype=dtype,
            keep_default_na=False,
            na_values=[""],
            quotechar='"',
            doublequote=True,
            skip_blank_lines=True,
            engine="c",
            encoding=encoding,
        )

    frame = read({c: object for c in columns if c not in typed} if columns and typed else object)
    if columns is None:
        frame.columns = [f"Column{i + 1}" for i in range(len(frame.columns))]
    redo = [c for c, kind in typed.items() if not _typed_natively(frame[c], kind)]
    # The C parser reads numbers more loosely than the JS rules: it trims blanks around them, and an
    # int column with missing values reads as floats (so "1.0" would pass). Where the bytes allow
    # either, the column's text decides.
    numeric = [c for c, kind in typed.items() if c not in redo and kind != "bool"]
    doubtful: List[str] = []
    if numeric and _may_trim_a_number(source, delimiter):
        doubtful = numeric
    else:
        floated = [c for c in numeric if typed[c] == "int" and frame[c].dtype.kind == "f"]
        if floated and (b"." in source or b"e" in source or b"E" in source):
            doubtful = floated
    if redo or doubtful:
        texts = read(object, redo + doubtful)
        for column in doubtful:
            # Every value read as a number: a blank (or, for int, a decimal point or exponent) anywhere
            # in the column's text is one the JS rule rejects.
            joined = "\x00".join(texts[column].dropna().tolist())
            if any(char in joined for char in (" \t.eE" if typed[column] == "int" else " \t")):
                redo.append(column)
        for column in redo:
            frame[column] = texts[column]
    for column in frame.columns:
        kind = typed.get(column) if column not in redo else None
        values = frame[column]
        if kind == "float":
            if values.dtype.kind != "f":
                frame[column] = values.astype("float64")
        elif kind is None or values.dtype == object:
            # Missing and empty fields are NaN: None, as in a frame built from the JS reader's rows.
            # (NaN is the one value not equal to itself: cheaper than pandas.isna on strings.)
            array = values.to_numpy()
            missing = array != array
            if missing.any():
                array = array.copy()
                array[missing] = None
                frame[column] = array
    return apply_inferred_types(pandas, frame, {c: typed[c] for c in redo}, False) if redo else frame


_QUOTE, _SPACE, _TAB, _LF, _CR = 34, 32, 9, 10, 13


def _may_trim_a_number(data: bytes, delimiter: str) -> bool:
    """True when a field's text may start or end with a blank (a number the C parser trimmed), False
    only when none does. Blanks inside a quoted field's text ("a, b") are not at its ends: which text
    is quoted follows from the quotes' parity, which holds where every quote sits where CSV puts one."""
    d = delimiter.encode("utf-8")
    if len(d) != 1 or d[0] in (_QUOTE, _SPACE, _TAB, _LF, _CR):
        return True
    if data[:1] in (b" ", b"\t") or data[-1:] in (b" ", b"\t"):
        return True
    codes = numpy.frombuffer(data, dtype=numpy.uint8)
    blanks = numpy.flatnonzero(codes == _SPACE)
    if b"\t" in data:
        blanks = numpy.union1d(blanks, numpy.flatnonzero(codes == _TAB))
    if len(blanks) == 0:
        return False
    # Blanks beside a delimiter, a line end or a quote: the others are inside a field's text.
    before, after = codes[blanks - 1], codes[blanks + 1]
    marks = blanks[_edge(before, d[0]) | _edge(after, d[0]) | (before == _QUOTE) | (after == _QUOTE)]
    if len(marks) == 0:
        return False
    quotes = numpy.flatnonzero(codes == _QUOTE)
    if len(quotes) == 0:
        return True
    if len(quotes) % 2:
        return True
    # Neighbours of each opening and closing quote (a line end stands in past either end).
    size = len(codes)
    opening, closing = quotes[0::2], quotes[1::2]
    before = numpy.where(opening > 0, codes[numpy.maximum(opening - 1, 0)], _LF)
    after = numpy.where(closing < size - 1, codes[numpy.minimum(closing + 1, size - 1)], _LF)
    paired = before == _QUOTE  # the second quote of a doubled pair inside a quoted text
    doubled = after == _QUOTE
    if not bool(((paired | _edge(before, d[0])) & (doubled | _edge(after, d[0]))).all()):
        return True  # a literal quote in an unquoted field: parity says nothing
    # A quoted field whose text starts or ends with a blank: `" 7"` reads as 7.
    first, last = codes[opening + 1], codes[closing - 1]
    if bool((~paired & ((first == _SPACE) | (first == _TAB))).any()):
        return True
    if bool((~doubled & ((last == _SPACE) | (last == _TAB))).any()):
        return True
    # A blank beside a delimiter or line end after an even number of quotes is outside quoted text.
    return bool((numpy.searchsorted(quotes, marks) % 2 == 0).any())


def _edge(codes: Any, delimiter: int) -> Any:
    """Which bytes end a field: the delimiter, a line feed or a carriage return."""
    return (codes == delimiter) | (codes == _LF) | (codes == _CR)


def _typed_natively(values: Any, kind: str) -> bool:
    """True when the C parser typed a column as the JS reader would: int64 (float64 with NaN only
    where values are missing, integral, within 2^53), float64 or int64 for float (finite: it reads
    inf, JS does not), bool (object of bools where values are missing)."""
    dtype = values.dtype.kind
    if kind == "bool":
        return dtype == "b" or (dtype == "O" and all(isinstance(v, bool) for v in values.dropna()))
    if dtype in "iu":
        # Integers are finite; an int column's values must be within 2^53, as JS numbers are exact.
        return kind == "float" or len(values) == 0 or max(int(values.max()), -int(values.min())) <= _MAX_SAFE_INTEGER
    if dtype != "f":
        return False
    array = values.to_numpy()
    present = array[~numpy.isnan(array)]
    if not bool(numpy.isfinite(present).all()):
        return False
    if kind == "float":
        return True
    if len(present) == len(array) or not bool((present == numpy.round(present)).all()):
        return False
    return len(present) == 0 or float(numpy.abs(present).max()) <= _MAX_SAFE_INTEGER
