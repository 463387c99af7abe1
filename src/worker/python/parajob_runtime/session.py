"""One worker process's life: init -> run* -> shutdown, one host message at a time (protocol.ts)."""
from __future__ import annotations

import os
import signal
import sys
import time
import tempfile
import traceback
from time import perf_counter
from typing import Any, Dict, Optional

from . import staging, user_logs
from .entry_loader import InitFailure, LoadedScript, load_entry_script
from .mini_batch import InputError, TabularNeedsPandas, build_context, build_mini_batch, load_pandas
from .returns import BadReturnType, summarize_return
from .wire import Channel, ProtocolError


def _wire_error(kind: str, message: str, stack: str = "") -> Dict[str, Any]:
    error: Dict[str, Any] = {"kind": kind, "message": message}
    if stack:
        error["stack"] = stack
    return error


def _inject_before_run(fault: Dict[str, Any]) -> None:
    """Fault injection (src/chaos): act out `hang`, `throw` or `crash` where run() would be called."""
    action = fault.get("action")
    if action == "hang":
        while True:  # only the host's timeout (SIGKILL) ends this
            time.sleep(3600)
    if action == "throw":
        raise RuntimeError(fault.get("message") or "chaos: injected exception")
    if action == "crash":
        os.kill(os.getpid(), signal.SIGKILL)


def _elapsed_ms(started: float) -> float:
    """Milliseconds since `started` (a perf_counter() reading), to the microsecond: the node tunes its
    pipelining on it and rounds it for the wire's whole-millisecond runMs."""
    return max(0.0, round((perf_counter() - started) * 1000.0, 3))


def _drop_items(value: Any, drop: int) -> Any:
    """Fault injection `fewer`: the same return value with its last `drop` items removed."""
    if hasattr(value, "iloc"):
        return value.iloc[: max(len(value) - drop, 0)]
    if isinstance(value, (list, tuple)):
        return value[: max(len(value) - drop, 0)]
    return value


class Session:
    """Answers every host message on `channel`; `serve()` returns when the host asked to shut down."""

    def __init__(self, channel: Channel) -> None:
        self._channel = channel
        self._script: Optional[LoadedScript] = None
        self._init_error: Optional[str] = None
        self._append_row = False
        self._tabular_settings: Any = None
        self._error_file = ""
        self.working_dir: Optional[str] = None

    def serve(self) -> None:
        """Handles messages until `shutdown`."""
        channel = self._channel
        while True:
            message = channel.receive()
            kind = message.get("type")
            # init() and run() may take long: the host hanging up meanwhile ends the worker at once.
            # shutdown() is not watched, so a host that sends `shutdown` and hangs up still gets it run.
            if kind == "run":
                channel.begin_busy()
                reply = self._run_staged(message)
                channel.end_busy()
                channel.send(reply)
            elif kind == "init":
                channel.begin_busy()
                reply = self._init(message)
                channel.end_busy()
                channel.send(reply)
            elif kind == "shutdown":
                channel.send(self._shutdown())
                return
            else:
                raise ProtocolError(f"unknown host message type {kind!r}; expected init, run or shutdown")

    def _init(self, message: Dict[str, Any]) -> Dict[str, Any]:
        entry_script = message["entryScript"]
        process_name = message["processName"]
        self._append_row = bool(message.get("appendRow"))
        self._tabular_settings = message.get("tabularReader")
        self._error_file = user_logs.user_error_file(message["userLogFile"], message["nodeId"], process_name)

        # Azure's environment for the script, in the order its runtime sets it up (SPEC section 3).
        sys.argv = [entry_script, *message.get("argv", [])]
        self.working_dir = tempfile.mkdtemp(prefix=f"parajob-{process_name}-")
        os.chdir(self.working_dir)
        sys.path.insert(0, os.path.dirname(os.path.abspath(entry_script)))
        os.environ["AZUREML_BI_OUTPUT_PATH"] = message["outputDir"]
        staging.make_live_folders(message.get("stageLive"))
        level = message.get("loggingLevel", "INFO")
        user_logs.configure_root_logging(level)
        # Already imported by parajob_worker.py, before the user's folder could shadow it.
        from azureml_user import parallel_run  # noqa: PLC0415

        parallel_run._configure(message["userLogFile"], message["outputDir"], self.working_dir, process_name, level)
        if message.get("inputKind") == "tabular":
            # Import now so the first mini-batch's run time does not include it; a failure is
            # reported with each tabular mini-batch.
            load_pandas()

        try:
            self._script = load_entry_script(entry_script)
        except InitFailure as failure:
            self._init_error = failure.message
            headline = f"init failed ({failure.kind}): {failure.message}"
            user_logs.append_user_error(self._error_file, headline, failure.stack)
            return {
                "type": "initFailed",
                "error": _wire_error(failure.kind, failure.message, failure.stack),
                "invalidEntryScript": failure.invalid,
            }
        return {"type": "ready", "pid": os.getpid()}

    def _run_staged(self, message: Dict[str, Any]) -> Dict[str, Any]:
        """_run between emptying the staged outputs' live folders and handing them to the attempt."""
        stage = message.get("stage")
        if stage is None:
            return self._run(message)
        open_error = staging.open_stage(stage)
        if open_error is not None:
            return {
                "type": "result",
                "miniBatchId": message["miniBatchId"],
                "attempt": message["attempt"],
                "total": 0,
                "returned": 0,
                "succeeded": 0,
                "rows": "",
                "rowCount": 0,
                "runMs": 0,
                "error": open_error,
            }
        result = self._run(message)
        seal_error = staging.seal_stage(stage)
        if seal_error is not None and "error" not in result:
            result["error"] = seal_error
        return result

    def _run(self, message: Dict[str, Any]) -> Dict[str, Any]:
        mini_batch_id = message["miniBatchId"]
        attempt = message["attempt"]
        result: Dict[str, Any] = {
            "type": "result",
            "miniBatchId": mini_batch_id,
            "attempt": attempt,
            "total": 0,
            "returned": 0,
            "succeeded": 0,
            "rows": "",
            "rowCount": 0,
            "runMs": 0,
        }
        script = self._script
        if script is None:
            reason = self._init_error or "no init message came first"
            result["error"] = _wire_error("RuntimeError", f"the entry script is not initialized: {reason}")
            return result
        try:
            mini_batch = build_mini_batch(message, self._tabular_settings)
        except TabularNeedsPandas as error:
            result["total"] = len(message["table"]["rows"]) if "table" in message else 0
            result["error"] = _wire_error("ModuleNotFoundError", str(error))
            return result
        except InputError as error:
            # Bad data fails this mini-batch, with the message the JS reader gives.
            result["error"] = _wire_error("InputError", str(error))
            return result
        total = len(mini_batch)
        result["total"] = total

        fault = message.get("fault") or {}
        action = fault.get("action")
        started = perf_counter()
        try:
            if action:
                _inject_before_run(fault)
            if script.run_takes_context:
                value = script.run(mini_batch, build_context(message))
            else:
                value = script.run(mini_batch)
        except BaseException as error:  # noqa: BLE001 - sys.exit() in run() fails the mini-batch, not the worker
            result["runMs"] = _elapsed_ms(started)
            if isinstance(error, KeyboardInterrupt):
                raise
            stack = traceback.format_exc()
            result["error"] = _wire_error(type(error).__name__, str(error), stack)
            self._record_run_error(mini_batch_id, attempt, type(error).__name__, stack)
            return result
        result["runMs"] = _elapsed_ms(started)
        if action == "fewer":
            value = _drop_items(value, int(fault.get("drop", 1)))

        try:
            returned, rows, row_count = summarize_return(value, self._append_row)
        except BadReturnType as error:
            result["error"] = _wire_error("TypeError", str(error))
            self._record_run_error(mini_batch_id, attempt, "TypeError", str(error))
            return result
        except Exception as error:  # noqa: BLE001 - a DataFrame that fails to_csv or a broken __format__
            stack = traceback.format_exc()
            result["error"] = _wire_error(type(error).__name__, f"formatting run()'s return value failed: {error}", stack)
            self._record_run_error(mini_batch_id, attempt, type(error).__name__, stack)
            return result
        result["returned"] = returned
        result["succeeded"] = min(returned, total)
        result["rows"] = rows
        result["rowCount"] = row_count
        return result

    def _record_run_error(self, mini_batch_id: int, attempt: int, kind: str, stack: str) -> None:
        headline = f"run() failed on mini-batch {mini_batch_id} attempt {attempt} ({kind})"
        user_logs.append_user_error(self._error_file, headline, stack)

    def _shutdown(self) -> Dict[str, Any]:
        reply: Dict[str, Any] = {"type": "shutdownDone"}
        shutdown = self._script.shutdown if self._script is not None else None
        if shutdown is not None:
            try:
                shutdown()
            except Exception as error:  # noqa: BLE001 - reported to the host, the worker exits anyway
                stack = traceback.format_exc()
                reply["error"] = _wire_error(type(error).__name__, str(error), stack)
                user_logs.append_user_error(self._error_file, f"shutdown() failed ({type(error).__name__})", stack)
        return reply
