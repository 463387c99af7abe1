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
    spaced = _has_blank_beside_field(source, delimiter)
    decimals = b"." in source or b"e" in source or b"E" in source
    doubtful = [
        c
        for c, kind in typed.items()
        if c not in redo and kind != "bool" and (spaced or (kind == "int" and decimals and frame[c].dtype.kind == "f"))
    ]
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
        if kind == "float":
            frame[column] = frame[column].astype("float64")
        elif kind is None or frame[column].dtype == object:
            # Missing and empty fields are NaN: None, as in a frame built from the JS reader's rows.
            frame[column] = frame[column].where(frame[column].notna(), None)
    return apply_inferred_types(pandas, frame, {c: typed[c] for c in redo}, False) if redo else frame


def _has_blank_beside_field(data: bytes, delimiter: str) -> bool:
    """A blank next to a delimiter or a line end: where the C parser may have trimmed a number."""
    d = delimiter.encode("utf-8")
    marks = (b" " + d, d + b" ", b"\t" + d, d + b"\t", b" \n", b"\n ", b"\t\n", b"\n\t", b" \r\n", b"\t\r\n")
    return data[:1] in (b" ", b"\t") or data[-1:] in (b" ", b"\t") or any(mark in data for mark in marks)


def _typed_natively(values: Any, kind: str) -> bool:
    """True when the C parser typed a column as the JS reader would: int64 (float64 with NaN only
    where values are missing, integral, within 2^53), float64 or int64 for float (finite: it reads
    inf, JS does not), bool (object of bools where values are missing)."""
    dtype = values.dtype.kind
    if kind == "bool":
        return dtype == "b" or (dtype == "O" and all(isinstance(v, bool) for v in values.dropna()))
    if dtype not in "iuf":
        return False
    present = values.dropna()
    if len(present) and not bool(numpy.isfinite(present.to_numpy(dtype="float64")).all()):
        return False
    if kind == "float":
        return True
    if dtype == "f" and (len(present) == len(values) or not bool((present == present.round()).all())):
        return False
    return len(present) == 0 or float(present.abs().max()) <= _MAX_SAFE_INTEGER
