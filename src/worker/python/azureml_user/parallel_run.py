"""`from azureml_user.parallel_run import EntryScript`, as on Azure ML parallel jobs (SPEC section 3.2).

EntryScript is a per-process singleton: the instance created in init() is the one seen in run().
The parajob worker calls `_configure()` before it imports the entry script; outside a worker (a
script tried out locally) EntryScript still works: it logs to stderr and uses the current folder.
"""
from __future__ import annotations

import logging
import os
import sys
from typing import Optional

#: The logger name and line format of Azure's EntryScript (and of Microsoft's local simulator).
LOGGER_NAME = "ParallelRunStep"
LOG_FORMAT = "%(asctime)s|%(name)s|%(funcName)s()|%(levelname)s|%(message)s"


class _Settings:
    """What the worker knows about this process; None until `_configure()` is called."""

    def __init__(self, log_file: str, output_dir: str, working_dir: str, agent_name: str, level_name: str) -> None:
        self.log_file = log_file
        self.output_dir = output_dir
        self.working_dir = working_dir
        self.agent_name = agent_name
        self.level_name = level_name


_settings: Optional[_Settings] = None
_instance: Optional["EntryScript"] = None


def _configure(log_file: str, output_dir: str, working_dir: str, agent_name: str, level_name: str) -> None:
    """Called by the parajob worker once, before the entry script is imported. Not for users."""
    global _settings, _instance
    _settings = _Settings(log_file, output_dir, working_dir, agent_name, level_name)
    _instance = None


def _make_logger(settings: Optional[_Settings]) -> logging.Logger:
    logger = logging.getLogger(LOGGER_NAME)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    if settings is None:
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
        logger.setLevel(logging.INFO)
    else:
        os.makedirs(os.path.dirname(settings.log_file) or ".", exist_ok=True)
        # delay=True: a script that never logs leaves no empty file behind.
        handler = logging.FileHandler(settings.log_file, encoding="utf-8", delay=True)
        logger.setLevel(logging.getLevelName(settings.level_name))
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logger.addHandler(handler)
    # Azure keeps these lines in the entry-script log only; they do not repeat in stdout.
    logger.propagate = False
    return logger


class EntryScript:
    """The per-process helper of an entry script: `EntryScript()` always returns the same object."""

    def __new__(cls) -> "EntryScript":
        global _instance
        if _instance is None:
            instance = super().__new__(cls)
            instance._logger = _make_logger(_settings)
            _instance = instance
        return _instance

    @property
    def logger(self) -> logging.Logger:
        """Logger "ParallelRunStep" writing to logs/user/entry_script_log/<node>/<process>.log.txt."""
        return self._logger

    @property
    def log_dir(self) -> str:
        """The folder of this process's entry-script log; a place for the user's own log files."""
        if _settings is None:
            return os.path.join(os.getcwd(), "logs")
        return os.path.dirname(_settings.log_file)

    @property
    def output_dir(self) -> str:
        """The job's output folder (also in AZUREML_BI_OUTPUT_PATH); the script may write into it."""
        if _settings is None:
            return os.environ.get("AZUREML_BI_OUTPUT_PATH", os.getcwd())
        return _settings.output_dir

    @property
    def working_dir(self) -> str:
        """This process's own temporary working folder (the current directory when init() runs)."""
        if _settings is None:
            return os.getcwd()
        return _settings.working_dir

    @property
    def agent_name(self) -> str:
        """The process name, `process000`, `process001`, ... (`agent000` outside a parajob worker)."""
        if _settings is None:
            return "agent000"
        return _settings.agent_name
