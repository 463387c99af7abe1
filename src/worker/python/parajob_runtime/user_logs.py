"""Where the user's logs go: root logging to stdout, and full stacks to the user error file.

Layout (Azure's, SPEC section 6.2):
  <logDir>/user/entry_script_log/<node>/<process>.log.txt   EntryScript().logger (given by the host)
  <logDir>/user/stdout/<node>/<process>.stdout.txt           print() and root logging (the host captures stdout)
  <logDir>/user/error/<node>/<process>.txt                   tracebacks of init()/run() failures (this module)
"""
from __future__ import annotations

import datetime
import logging
import os
import sys

#: Root-logger format for lines that land in the user's stdout log.
ROOT_LOG_FORMAT = "%(asctime)s|%(name)s|%(levelname)s|%(message)s"


def configure_root_logging(level_name: str) -> None:
    """Sends root logging to stdout at `level_name` (DEBUG, INFO or WARNING).

    Installing a root handler first makes a user's own logging.basicConfig() a no-op, as on Azure.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(ROOT_LOG_FORMAT))
    root.addHandler(handler)
    root.setLevel(logging.getLevelName(level_name))


def user_error_file(user_log_file: str, node_id: str, process_name: str) -> str:
    """Derives `<logDir>/user/error/<node>/<process>.txt` from the entry-script log file
    `<logDir>/user/entry_script_log/<node>/<process>.log.txt`."""
    node_dir = os.path.dirname(os.path.abspath(user_log_file))
    user_dir = os.path.dirname(os.path.dirname(node_dir))
    return os.path.join(user_dir, "error", node_id, process_name + ".txt")


def append_user_error(path: str, headline: str, stack: str) -> None:
    """Appends one failure (a UTC-stamped headline, then the traceback) to the user error file.

    Never raises: losing this copy of a traceback must not fail the mini-batch a second time (the
    traceback also travels back to the host inside the result).
    """
    stamp = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "a", encoding="utf-8", errors="backslashreplace") as stream:
            stream.write(f"{stamp} {headline}\n{stack}")
            if not stack.endswith("\n"):
                stream.write("\n")
    except OSError as error:
        print(f"parajob worker: cannot write the user error file {path}: {error}", file=sys.stderr, flush=True)
