"""Reads a tabular mini-batch's byte ranges into a pandas DataFrame, in the worker.

The Python twin of src/input/tabular/read-table-batch.ts: the same header modes, null rules, column
types (the table's schema, decided once by the coordinator's probe), transforms and error messages,
so a run() sees the same rows whichever language reads them (test/unit/worker-python/table-equivalence).

Delimited text is parsed by pandas' C parser (`read_csv` over the range's bytes). Input it parses
differently from csv-parse goes through Python's csv module instead (the exact path): lines holding
only blanks (csv-parse keeps them as records), a record with more fields than the header (to name it
as the JS reader does), ragged records without a header, and `empty_as_string` (pandas cannot tell an
empty field from a missing one).
"""
from __future__ import annotations

import csv
import io
import json
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .mini_batch import InputError
from .table_csv import pandas_read
from .table_types import apply_inferred_types, apply_transforms, infer_types, js_string

#: The column include_path_column adds first (PATH_COLUMN in read-table-batch.ts).
PATH_COLUMN = "Path"

_PYTHON_ENCODINGS = {
    "utf8": "utf-8",
    "utf8bom": "utf-8",
    "ascii": "ascii",
    "latin1": "latin-1",
    "windows1252": "cp1252",
}
# A line of blanks only: csv-parse reads it as a record, pandas skips it.
_BLANK_LINE = re.compile(rb"(?:^|\n)[ \t\f\v]+\r?(?:\n|$)")


class _Part:
    """One range's rows: an object DataFrame of str/None, and the file they came from."""

    __slots__ = ("frame", "path")

    def __init__(self, frame: Any, path: str) -> None:
        self.frame = frame
        self.path = path


def settings_of(value: Any) -> Tuple[Dict[str, Any], List[Dict[str, Any]], Optional[Dict[str, Any]]]:
    """reader, transforms and schema of the init frame's tabularReader (tabular-settings.ts)."""
    if isinstance(value, dict):
        if isinstance(value.get("format"), str):
            return value, [], None
        reader = value.get("reader")
        if isinstance(reader, dict) and isinstance(reader.get("format"), str):
            transforms = value.get("transforms")
            schema = value.get("schema")
            return reader, transforms if isinstance(transforms, list) else [], schema if isinstance(schema, dict) else None
    raise InputError(
        f"tabular input: the assignment's tabular_reader_json is {json.dumps(value)}; "
        'expected {"reader": {"format": ...}, "transforms": [...]}'
    )


def read_table(pandas: Any, ranges: Sequence[Dict[str, Any]], settings: Any, partition_key_value: Any = None) -> Any:
    """The DataFrame of `ranges` (dicts with path, start, end) read with `settings` (tabularReader)."""
    reader, transforms, schema = settings_of(settings)
    infer = reader["format"] == "delimited" and bool(reader.get("inferColumnTypes"))
    types = (schema or {}).get("inferredTypes") if infer else {}
    # The table's types are applied as each range is read (by the C parser where it can); without a
    # schema, the mini-batch's own first rows decide them, once the ranges are merged.
    per_range = types if isinstance(types, dict) else {}
    parts = [
        _read_range(pandas, r["path"], int(r["start"]), int(r["end"]), reader, per_range, r.get("sourcePath") or r["path"])
        for r in ranges
    ]
    frame, row_files = _merge(pandas, parts)
    if not isinstance(types, dict):
        skip_path = bool(reader.get("includePathColumn"))
        frame = apply_inferred_types(pandas, frame, infer_types(frame, skip_path, transforms), skip_path)
    frame = apply_transforms(pandas, frame, transforms, row_files, InputError)
    if partition_key_value:
        frame = _keep_partition(frame, partition_key_value, row_files)
    return frame


def _read_range(
    pandas: Any, path: str, start: int, end: int, reader: Dict[str, Any], types: Dict[str, str], source: str
) -> _Part:
    # `source`: the path the input names; `path` may be a local copy of it (ByteRange.sourcePath).
    fmt = reader["format"]
    data = _read_bytes(path, start, end)
    if fmt == "delimited":
        frame = _read_delimited(pandas, data, path, start, end, reader, types)
    elif fmt == "json_lines":
        frame = _read_json_lines(pandas, data, path, start, reader)
    else:
        raise InputError(f"{path}: {fmt} mini-batches are read by the node for Python workers, not here")
    if reader.get("includePathColumn"):
        frame.insert(0, PATH_COLUMN, source)
    return _Part(frame, source)


def _read_bytes(path: str, start: int, end: int) -> bytes:
    if end <= start:
        return b""
    try:
        with open(path, "rb") as handle:
            handle.seek(start)
            return handle.read(end - start)
    except OSError as error:
        raise InputError(f"{path}: cannot read bytes {start}–{end}: {error}") from error


def _decode(data: bytes, encoding: str, path: str, start: int, end: int) -> str:
    """The text of `data`; InputError with text-decoding.ts's message when it is not `encoding`."""
    try:
        return data.decode(_PYTHON_ENCODINGS[encoding])
    except UnicodeDecodeError as error:
        if error.reason == "unexpected end of data":
            raise InputError(
                f"{path}: the text ends inside a {encoding} character (near byte {end}); is the encoding right?"
            ) from None
        raise InputError(
            f"{path}: byte {start + error.start} is not valid {encoding} text; set read_*.encoding to the "
            "file's encoding (utf8, utf8bom, ascii, latin1, windows1252)"
        ) from None


def close_open_quote(line: str, delimiter: str) -> str:
    """quote-tracker.ts closeOpenQuote: a quoted field still open at the end of its line ends there."""
    if '"' not in line:
        return line
    in_quotes = False
    index = 0
    end = len(line) - 1 if line.endswith("\r") else len(line)
    while index < end:
        quote = line.find('"', index, end)
        if quote == -1:
            break
        if in_quotes:
            if quote + 1 < end and line[quote + 1] == '"':
                index = quote + 2
            else:
                in_quotes = False
                index = quote + 1
        else:
            if quote == 0 or line[quote - 1] == delimiter:
                in_quotes = True
            index = quote + 1
    if not in_quotes:
        return line
    return f'{line[:end]}"{line[end:]}'


def _one_record_per_line(text: str, delimiter: str) -> str:
    return "\n".join(close_open_quote(line, delimiter) for line in text.split("\n"))


# Header columns by (file, encoding, delimiter, multi-line): a worker reads each file's header once.
_HEADERS: Dict[Tuple[str, str, str, bool], List[str]] = {}


def _header_columns(path: str, reader: Dict[str, Any]) -> List[str]:
    """read-delimited.ts readHeaderColumns: the first non-blank record of `path`, names made unique."""
    key = (path, reader.get("encoding", "utf8"), reader.get("delimiter", ","), bool(reader.get("supportMultiLine")))
    if key not in _HEADERS:
        _HEADERS[key] = _read_header_columns(path, reader)
    return _HEADERS[key]


def _read_header_columns(path: str, reader: Dict[str, Any]) -> List[str]:
    try:
        with open(path, "rb") as handle:
            data = handle.read(1 << 16)
            # Until the first record is whole (a quoted header may hold newlines; 16 MiB at most).
            while len(data) < (1 << 24) and b"\n" not in data.strip():
                more = handle.read(1 << 16)
                if not more:
                    break
                data += more
    except OSError as error:
        raise InputError(f"{path}: cannot read the header record: {error}") from error
    if data.startswith(b"\xef\xbb\xbf") and reader.get("encoding") in ("utf8", "utf8bom"):
        data = data[3:]
    records = _csv_records(_decode(data, reader.get("encoding", "utf8"), path, 0, len(data)), reader, limit=1)
    if not records:
        raise InputError(
            f"{path}: the file is empty, so it has no header record (read_delimited.header: {reader.get('header')})"
        )
    return unique_column_names(records[0])


def unique_column_names(names: Sequence[str]) -> List[str]:
    """Empty names become Column<n>; repeats get _<k> (read-delimited.ts uniqueColumnNames)."""
    seen: set = set()
    out: List[str] = []
    for index, raw in enumerate(names):
        base = raw if raw != "" else f"Column{index + 1}"
        name = base
        k = 1
        while name in seen:
            name = f"{base}_{k}"
            k += 1
        seen.add(name)
        out.append(name)
    return out


def _csv_records(text: str, reader: Dict[str, Any], limit: Optional[int] = None) -> List[List[str]]:
    """Records of `text` with the csv module, blank lines skipped (csv-parse's skip_empty_lines)."""
    delimiter = reader.get("delimiter", ",")
    if not reader.get("supportMultiLine"):
        text = _one_record_per_line(text, delimiter)
    records: List[List[str]] = []
    for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True):
        if not record:
            continue
        records.append(record)
        if limit is not None and len(records) >= limit:
            break
    return records


def _read_delimited(pandas: Any, data: bytes, path: str, start: int, end: int, reader: Dict[str, Any], types: Dict[str, str]) -> Any:
    encoding = reader.get("encoding", "utf8")
    delimiter = reader.get("delimiter", ",")
    text = _decode(data, encoding, path, start, end)
    columns: Optional[List[str]] = None
    if reader.get("header") != "no_header":
        header_file = reader.get("headerFile") or path if reader.get("header") == "from_first_file" else path
        columns = _header_columns(header_file, reader)
    if not reader.get("emptyAsString") and not _has_blank_line(data):
        if reader.get("supportMultiLine") or b'"' not in data:
            source = data
            source_encoding = _PYTHON_ENCODINGS[encoding]
        else:
            source = _one_record_per_line(text, delimiter).encode("utf-8")
            source_encoding = "utf-8"
        try:
            return pandas_read(pandas, source, source_encoding, delimiter, columns, types)
        except pandas.errors.ParserError:
            pass  # the exact path names the record (or pads ragged records without a header)
        except pandas.errors.EmptyDataError:
            return pandas.DataFrame({name: pandas.Series([], dtype=object) for name in columns or []})
    return apply_inferred_types(pandas, _exact_read(pandas, text, path, start, end, reader, columns), types, False)


def _has_blank_line(data: bytes) -> bool:
    """A line of blanks only (the regex runs only when a line starts with a blank: it is slow). Each
    two-byte search costs a pass over the data; blanks other than a space are looked for first, alone."""
    starts = [b"\n" + blank for blank in (b"\t", b"\x0b", b"\x0c") if blank in data]
    if not data[:1].isspace() and b"\n " not in data and not any(start in data for start in starts):
        return False
    return _BLANK_LINE.search(data) is not None


def _exact_read(pandas: Any, text: str, path: str, start: int, end: int, reader: Dict[str, Any], columns: Optional[List[str]]) -> Any:
    records = _csv_records(text, reader)
    if columns is None:
        width = max((len(record) for record in records), default=0)
        columns = [f"Column{i + 1}" for i in range(width)]
    width = len(columns)
    empty_as_string = bool(reader.get("emptyAsString"))
    rows: List[List[Optional[str]]] = []
    for index, record in enumerate(records):
        if len(record) > width:
            raise InputError(
                f"{path}: record {index + 1} of bytes {start}–{end} has {len(record)} fields but the header has "
                f"{width} ({', '.join(columns)}); check read_delimited.delimiter and header"
            )
        row: List[Optional[str]] = [None] * width
        for c, field in enumerate(record):
            row[c] = None if field == "" and not empty_as_string else field
        rows.append(row)
    return pandas.DataFrame(rows, columns=columns, dtype=object) if rows else pandas.DataFrame(
        {name: pandas.Series([], dtype=object) for name in columns}
    )


def _read_json_lines(pandas: Any, data: bytes, path: str, start: int, reader: Dict[str, Any]) -> Any:
    encoding = reader.get("encoding", "utf8")
    text = _decode(data, encoding, path, start, start + len(data))
    utf8 = encoding in ("utf8", "utf8bom")
    objects: List[Dict[str, Any]] = []
    offset = start
    for line in text.split("\n"):
        line_offset = offset
        offset += (len(line.encode("utf-8")) if utf8 else len(line)) + 1
        if line.strip() == "":
            continue
        problem = None
        try:
            value = json.loads(line)
            if not isinstance(value, dict):
                problem = "the line is JSON but not an object"
        except ValueError as error:
            problem = str(error)
        if problem is None:
            objects.append(value)
        elif reader.get("invalidLines", "error") == "error":
            raise InputError(
                f"{path}: the line at byte {line_offset} is not a JSON object ({problem}); fix it or set "
                "read_json_lines.invalid_lines: drop"
            )
    index: Dict[str, None] = {}
    for obj in objects:
        for key in obj:
            index.setdefault(key, None)
    columns = list(index)
    # Built as the node's rows were: pandas infers each column's dtype from the JSON values.
    return pandas.DataFrame([[obj.get(column) for column in columns] for obj in objects], columns=columns)


def _merge(pandas: Any, parts: List[_Part]) -> Tuple[Any, List[str]]:
    """One frame from the ranges' (columns by name, first seen first; missing values None) and each
    row's file."""
    row_files: List[str] = []
    for part in parts:
        row_files.extend([part.path] * len(part.frame))
    if len(parts) == 1:
        return parts[0].frame, row_files
    if not parts:
        return pandas.DataFrame(), row_files
    merged = pandas.concat([part.frame for part in parts], ignore_index=True, sort=False)
    return merged.astype(object).where(merged.notna(), None) if merged.isna().any().any() else merged, row_files


def _keep_partition(frame: Any, key: Dict[str, Any], row_files: List[str]) -> Any:
    """Rows whose key columns equal the mini-batch's key values, compared as text (keepPartition)."""
    mask = None
    for column, value in key.items():
        if column not in frame.columns:
            files = ", ".join(list(dict.fromkeys(row_files))[:3]) or "the mini-batch"
            raise InputError(
                f"{files}: partition_keys: no column `{column}`; the columns are: {', '.join(map(str, frame.columns))}"
            )
        wanted = None if value is None else js_string(value)
        matches = frame[column].map(lambda cell, wanted=wanted: wanted is None if _is_null(cell) else js_string(cell) == wanted)
        mask = matches if mask is None else (mask & matches)
    if mask is None or bool(mask.all()):
        return frame
    return frame[mask.astype(bool)].reset_index(drop=True)


def _is_null(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)
