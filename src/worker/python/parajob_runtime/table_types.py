"""Column types and table transforms of a tabular mini-batch: the Python twins of
src/input/tabular/column-types.ts (inference, convert_column_types), partition-format.ts and the
transforms of read-table-batch.ts, with the same rules and messages. Whole columns are typed at once
where the data allows (a column whose every value fits its type); values that do not fit stay strings,
as in JS.
"""
from __future__ import annotations

import json
import math
import os
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, List, Optional, Sequence

#: Rows of a batch that decide a column's inferred type (INFERENCE_SAMPLE_ROWS).
INFERENCE_SAMPLE_ROWS = 200
# The JS patterns, with ASCII digits ([0-9]: Python's \d also matches other scripts' digits).
_INT = r"[+-]?[0-9]+"
_FLOAT = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_BOOL = r"(?i:true|false)"
_PATTERNS = {"int": re.compile(_INT), "float": re.compile(_FLOAT), "bool": re.compile(_BOOL)}
_MAX_SAFE_INTEGER = 2**53 - 1
_DEFAULT_TRUE = ["true", "True", "TRUE", "1"]
_DEFAULT_FALSE = ["false", "False", "FALSE", "0"]
_ZONELESS = re.compile(r"[0-9]{4}-[0-9][0-9]-[0-9][0-9][T ][0-9][0-9]:[0-9][0-9](?::[0-9][0-9](?:\.[0-9]+)?)?")


def _fits(value: str, kind: str) -> bool:
    if not _PATTERNS[kind].fullmatch(value):
        return False
    return kind != "int" or abs(int(value)) <= _MAX_SAFE_INTEGER


def _typed(value: str, kind: str) -> Any:
    if kind == "bool":
        return value.lower() == "true"
    return int(value) if kind == "int" else float(value)


def infer_types(frame: Any, skip_path: bool, transforms: Sequence[Dict[str, Any]]) -> Dict[str, str]:
    """Per-column types from the frame's first rows (a mini-batch read without the table's schema)."""
    converted = {c for t in transforms if t.get("kind") == "convert_column_types" for conv in t["conversions"] for c in conv["columns"]}
    types: Dict[str, str] = {}
    sample = frame.head(INFERENCE_SAMPLE_ROWS)
    for position, column in enumerate(frame.columns):
        if (skip_path and position == 0 and column == "Path") or column in converted:
            continue
        candidates = ["bool", "int", "float"]
        saw_value = False
        kind: Optional[str] = None
        for value in sample[column]:
            if not isinstance(value, str):
                continue
            if value == "":
                kind = "string"
                break
            saw_value = True
            candidates = [c for c in candidates if _fits(value, c)]
            if not candidates:
                break
        types[column] = kind or (candidates[0] if saw_value and candidates else "string")
    return types


def apply_inferred_types(pandas: Any, frame: Any, types: Dict[str, str], skip_path: bool) -> Any:
    """Each column's values that fit its type become that type; the rest stay strings."""
    for position, column in enumerate(list(frame.columns)):
        kind = types.get(column)
        if kind in (None, "string") or (skip_path and position == 0 and column == "Path"):
            continue
        values = frame[column]
        present = values.notna()
        texts = values[present]
        if len(texts) == 0:
            continue
        if not all(isinstance(v, str) for v in texts):
            frame[column] = values.map(lambda v, kind=kind: _typed(v, kind) if isinstance(v, str) and _fits(v, kind) else v)
            continue
        fits = texts.str.fullmatch(_PATTERNS[kind].pattern)
        if kind == "int" and bool(fits.all()):
            long = texts.str.len() > 15
            if bool(long.any()):
                fits = fits & texts.map(lambda v: len(v) <= 15 or abs(int(v)) <= _MAX_SAFE_INTEGER)
        if bool(fits.all()):
            # As a frame built from JSON values: int64 (float64 with NaN where values are missing),
            # float64, bool (object with None where values are missing).
            if kind == "bool":
                frame[column] = values.map(lambda v: None if v is None else v.lower() == "true")
            else:
                numbers = pandas.to_numeric(values)
                frame[column] = numbers.astype("float64") if kind == "float" else numbers
        else:
            frame[column] = values.map(lambda v, kind=kind: _typed(v, kind) if isinstance(v, str) and _fits(v, kind) else v)
    return frame


def _plain(value: Any) -> Any:
    """numpy scalars as Python values; NaN as None."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def js_string(value: Any) -> str:
    """JavaScript's String(value) for JSON values (how keys and string conversions see them)."""
    value = _plain(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        text = repr(value)
        if "e" in text:
            mantissa, exponent = text.split("e")
            exp = int(exponent)
            if -7 < exp < 21:
                return format(value, "f").rstrip("0").rstrip(".")
            return f"{mantissa}e{'+' if exp > 0 else '-'}{abs(exp)}"
        return text
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def convert_value(value: Any, target: Dict[str, Any]) -> Any:
    """column-types.ts convertValue: one value per a convert_column_types entry; unconvertible → None."""
    value = _plain(value)
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else value
    kind = target["type"]
    if kind == "string":
        return value if isinstance(value, str) else js_string(value)
    if kind in ("int", "float"):
        if isinstance(text, bool):
            return 1 if text else 0
        if isinstance(text, (int, float)):
            if kind == "float":
                return text
            return int(text) if math.isfinite(text) else None
        if isinstance(text, str) and re.fullmatch(_FLOAT, text):
            if kind == "int" and re.fullmatch(_INT, text):
                return int(text)
            return float(text) if kind == "float" else int(float(text))
        return None
    if kind == "boolean":
        if isinstance(text, bool):
            return text
        as_text = js_string(text)
        if as_text in (target.get("trueValues") or _DEFAULT_TRUE):
            return True
        if as_text in (target.get("falseValues") or _DEFAULT_FALSE):
            return False
        mismatch = target.get("mismatchAs")
        return True if mismatch == "true" else False if mismatch == "false" else None
    if kind == "datetime":
        return parse_datetime(js_string(text), target.get("formats") or [])
    return value


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _utc(year: int, month: int, day: int, hour: int, minute: int, second: int, millis: int) -> datetime:
    """Date.UTC: fields past their range carry into the next (31 February is 2 March)."""
    base = datetime(year + (month - 1) // 12, (month - 1) % 12 + 1, 1, tzinfo=timezone.utc)
    return base + timedelta(days=day - 1, hours=hour, minutes=minute, seconds=second, milliseconds=millis)


def parse_datetime(text: str, formats: Sequence[str]) -> Optional[str]:
    """column-types.ts parseDatetime: strftime-style formats tried in order, or ISO 8601 (UTC when zoneless)."""
    if not formats:
        candidate = text.replace(" ", "T", 1) + "Z" if _ZONELESS.fullmatch(text) else text
        try:
            moment = datetime.fromisoformat(candidate.replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return _iso(moment.astimezone(timezone.utc))
    for fmt in formats:
        fields: List[str] = []

        def directive(match: Any) -> str:
            if match.group(1) is None:
                return re.escape(match.group(0))
            fields.append(match.group(1))
            return "([0-9]{4})" if match.group(1) == "Y" else "([0-9]{1,6})" if match.group(1) == "f" else "([0-9]{1,2})"

        pattern = re.sub(r"%([YmdHMSf])|[.*+?^${}()|\[\]\\]", directive, fmt)
        found = re.fullmatch(pattern, text)
        if not found:
            continue

        def part(name: str, fallback: int) -> int:
            return int(found.group(fields.index(name) + 1)) if name in fields else fallback

        fraction = found.group(fields.index("f") + 1) if "f" in fields else ""
        millis = round(float(f"0.{fraction}") * 1000) if fraction else 0
        try:
            return _iso(_utc(part("Y", 1970), part("m", 1), part("d", 1), part("H", 0), part("M", 0), part("S", 0), millis))
        except (ValueError, OverflowError):
            continue
    return None


def _compile_partition_format(fmt: str) -> Dict[str, Any]:
    """partition-format.ts compilePartitionFormat."""
    tokens_re = {"yyyy": "[0-9]{4}", "MM": "[0-9]{2}", "dd": "[0-9]{2}", "HH": "[0-9]{2}", "mm": "[0-9]{2}", "ss": "[0-9]{2}"}
    columns: List[str] = []
    date_parts: List[Optional[Dict[str, Any]]] = []
    pattern = ""
    last = 0
    for placeholder in re.finditer(r"\{([^{}:]+)(?::([^{}]+))?\}", fmt):
        pattern += re.escape(fmt[last : placeholder.start()])
        last = placeholder.end()
        columns.append(placeholder.group(1).strip())
        if placeholder.group(2) is None:
            pattern += "([^/]+)"
            date_parts.append(None)
            continue
        tokens: List[str] = []
        capturing = plain = ""
        for token in re.findall(r"yyyy|MM|dd|HH|mm|ss|[^yMdHms]+|.", placeholder.group(2)):
            digits = tokens_re.get(token)
            if digits:
                tokens.append(token)
            capturing += f"({digits})" if digits else re.escape(token)
            plain += digits or re.escape(token)
        pattern += f"({plain})"
        date_parts.append({"tokens": tokens, "pattern": re.compile(capturing)})
    pattern += re.escape(fmt[last:])
    return {"format": fmt, "columns": columns, "pattern": re.compile(f"(?:^|/){pattern}$"), "date_parts": date_parts}


def _partition_values(file: str, base_dir: str, compiled: Dict[str, Any], error: Callable[[str], Exception]) -> Dict[str, str]:
    relative = os.path.relpath(file, base_dir).replace(os.sep, "/")
    match = compiled["pattern"].search(relative)
    if not match:
        raise error(f"{file}: its path ({relative}) does not match extract_columns_from_partition_format `{compiled['format']}`")
    values: Dict[str, str] = {}
    for index, column in enumerate(compiled["columns"]):
        text = match.group(index + 1) or ""
        parts = compiled["date_parts"][index]
        if parts is None:
            values[column] = text
            continue
        found = parts["pattern"].fullmatch(text)
        numbers = [int(n) for n in found.groups()] if found else []

        def get(token: str, fallback: int, parts: Dict[str, Any] = parts, numbers: List[int] = numbers) -> int:
            return numbers[parts["tokens"].index(token)] if token in parts["tokens"] and numbers else fallback

        values[column] = _iso(_utc(get("yyyy", 1970), get("MM", 1), get("dd", 1), get("HH", 0), get("mm", 0), get("ss", 0), 0))
    return values


def apply_transforms(pandas: Any, frame: Any, transforms: Sequence[Dict[str, Any]], row_files: List[str], error: Callable[[str], Exception]) -> Any:
    """The MLTable transforms in order (take/skip were applied by the cutter)."""

    def require(column: str, transform: str) -> None:
        if column not in frame.columns:
            files = ", ".join(list(dict.fromkeys(row_files))[:3]) or "the mini-batch"
            raise error(f"{files}: {transform}: no column `{column}`; the columns are: {', '.join(map(str, frame.columns))}")

    for transform in transforms:
        kind = transform.get("kind")
        if kind == "keep_columns":
            for column in transform["columns"]:
                require(column, "keep_columns")
            frame = frame[list(transform["columns"])]
        elif kind == "drop_columns":
            drop = set(transform["columns"])
            frame = frame[[c for c in frame.columns if c not in drop]]
        elif kind == "convert_column_types":
            frame = frame.copy()
            for conversion in transform["conversions"]:
                for column in conversion["columns"]:
                    require(column, "convert_column_types")
                    target = conversion["columnType"]
                    frame[column] = pandas.Series([convert_value(v, target) for v in frame[column]], index=frame.index, dtype=None if len(frame) else object)
        elif kind == "extract_columns_from_partition_format":
            compiled = _compile_partition_format(transform["format"])
            by_file = {f: _partition_values(f, transform["baseDir"], compiled, error) for f in dict.fromkeys(row_files)}
            frame = frame.copy()
            for column in compiled["columns"]:
                frame[column] = pandas.Series([by_file[f].get(column) for f in row_files], index=frame.index, dtype=object)
    return frame
