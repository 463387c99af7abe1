"""Loads the user's entry script by file path and calls its init(), as Azure's runtime does."""
from __future__ import annotations

import importlib.util
import inspect
import os
import sys
import traceback
from types import ModuleType
from typing import Callable, Optional


class InitFailure(Exception):
    """The entry script could not be made ready. `invalid` is True when retrying cannot help
    (missing file, syntax error, no run()); otherwise the host retries with backoff."""

    def __init__(self, kind: str, message: str, stack: str, invalid: bool) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.stack = stack
        self.invalid = invalid


class LoadedScript:
    """The loaded script's entry points. `run_takes_context` says whether run() gets mini_batch_context."""

    def __init__(self, module: ModuleType, run: Callable, shutdown: Optional[Callable]) -> None:
        self.module = module
        self.run = run
        self.shutdown = shutdown
        self.run_takes_context = _accepts_two_positionals(run)


def load_entry_script(path: str) -> LoadedScript:
    """Imports the script at `path` (its folder already first on sys.path) and calls init() if defined.

    Raises InitFailure for every way this can go wrong, with the traceback in `stack`.
    """
    if not os.path.isfile(path):
        raise InitFailure(
            "FileNotFoundError",
            f"entry script {path} does not exist; expected a Python file with a run(mini_batch) function",
            "",
            invalid=True,
        )
    module = _import_by_path(path)
    run = getattr(module, "run", None)
    if not callable(run):
        problem = "defines no run() function" if run is None else f"defines run as a {type(run).__name__}, not a function"
        raise InitFailure(
            "AttributeError",
            f"entry script {path} {problem}; expected run(mini_batch) or "
            "run(mini_batch, mini_batch_context) returning a list, tuple or pandas DataFrame",
            "",
            invalid=True,
        )
    init = getattr(module, "init", None)
    if callable(init):
        try:
            init()
        except BaseException as error:  # noqa: BLE001 - SystemExit from init() is a failed init too
            if isinstance(error, KeyboardInterrupt):
                raise
            raise InitFailure(type(error).__name__, f"init() in {path} raised: {error}", traceback.format_exc(), invalid=False)
    shutdown = getattr(module, "shutdown", None)
    return LoadedScript(module, run, shutdown if callable(shutdown) else None)


def _import_by_path(path: str) -> ModuleType:
    # Azure names the module after the file (score.py -> score); fall back to a private name rather
    # than replace a module that is already loaded under that name (a script called json.py).
    name = os.path.splitext(os.path.basename(path))[0]
    if not name.isidentifier() or name in sys.modules:
        name = "__parajob_entry_script__"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise InitFailure("ImportError", f"entry script {path} cannot be imported: not a Python source file", "", invalid=True)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        sys.modules.pop(name, None)
        raise InitFailure(type(error).__name__, f"entry script {path} does not compile: {error}", traceback.format_exc(), invalid=True)
    except BaseException as error:  # noqa: BLE001 - SystemExit at import time is a failed import too
        sys.modules.pop(name, None)
        if isinstance(error, KeyboardInterrupt):
            raise
        raise InitFailure(type(error).__name__, f"importing entry script {path} raised: {error}", traceback.format_exc(), invalid=False)
    return module


def _accepts_two_positionals(function: Callable) -> bool:
    """True for run(mini_batch, mini_batch_context): two or more named positional parameters.

    A bare run(*args) gets one argument: it is most often a decorator's wrapper around run(mini_batch).
    """
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2
