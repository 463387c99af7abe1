"""Attempt staging on the worker's side (src/worker/js/stage.ts is the JS twin; protocol.ts StageFolders).

A staged output's live folder is empty when run() starts (what a killed earlier attempt left there is
thrown away) and is renamed to the attempt's folder when run() ends, before the result is sent, so
every file the script wrote during the call belongs to that attempt alone.
"""
from __future__ import annotations

import os
import shutil
from typing import Any, Dict, Iterable, List, Optional


def make_live_folders(live: Optional[Iterable[str]]) -> None:
    """Makes the live folders before init(), which may already look at its output."""
    for folder in live or []:
        os.makedirs(folder, exist_ok=True)


def _error(error: BaseException) -> Dict[str, Any]:
    return {"kind": "OutputStagingError", "message": f"staging the attempt's outputs failed: {error}"}


def open_stage(stage: Optional[List[Dict[str, str]]]) -> Optional[Dict[str, Any]]:
    """Empties each live folder before run(); None, or the wire error that fails the attempt."""
    try:
        for folders in stage or []:
            shutil.rmtree(folders["live"], ignore_errors=True)
            os.makedirs(folders["live"], exist_ok=True)
    except OSError as error:
        return _error(error)
    return None


def seal_stage(stage: Optional[List[Dict[str, str]]]) -> Optional[Dict[str, Any]]:
    """Renames each live folder to its attempt folder after run() and makes it again."""
    try:
        for folders in stage or []:
            live, attempt = folders["live"], folders["attempt"]
            os.makedirs(os.path.dirname(attempt), exist_ok=True)
            shutil.rmtree(attempt, ignore_errors=True)
            os.rename(live, attempt)
            os.makedirs(live, exist_ok=True)
    except OSError as error:
        return _error(error)
    return None
