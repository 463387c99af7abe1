"""parajob's Python worker: `python3 -u parajob_worker.py`; the host's frames on fd 3, its replies on fd 4.

The node starts one per processor. It loads the user's entry script (init() once, run() per
mini-batch, shutdown() at the end) and answers the host's frames; stdout and stderr are the user's.
"""
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
# `azureml_user` and the runtime live next to this file; put the folder on sys.path explicitly
# because `python -P` / `-I` leave the script's folder off it.
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import logging  # noqa: E402
import shutil  # noqa: E402
import traceback  # noqa: E402

import azureml_user.parallel_run  # noqa: E402,F401 - cached now, so a user folder cannot shadow it
from parajob_runtime.session import Session  # noqa: E402
from parajob_runtime.wire import REPLY_FD, REQUEST_FD, Channel  # noqa: E402


def _flush_user_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass


def _exit_now(code: int) -> None:
    # os._exit, not sys.exit: threads the user's script started must not keep a finished worker alive.
    _flush_user_streams()
    os._exit(code)


def _host_gone() -> None:
    """The host closed the socket (it died or gave up on us): nobody is left to report to."""
    _exit_now(0)


def main() -> None:
    """Serves the host until `shutdown` (exit 0), end of file (exit 0) or a protocol error (exit 2)."""
    try:
        os.fstat(REQUEST_FD)
        os.fstat(REPLY_FD)
    except OSError:
        print(
            f"parajob worker: file descriptors {REQUEST_FD} and {REPLY_FD} (the protocol channels) are not open; "
            "this program is started by a parajob node, not by hand",
            file=sys.stderr,
            flush=True,
        )
        _exit_now(2)
    session = Session(Channel(REQUEST_FD, REPLY_FD, _host_gone))
    try:
        session.serve()
    except KeyboardInterrupt:
        _exit_now(130)
    except BaseException:  # noqa: BLE001 - a protocol bug: say so on stderr, let the host see the exit
        print("parajob worker: internal error\n" + traceback.format_exc(), file=sys.stderr, flush=True)
        _exit_now(2)
    logging.shutdown()
    if session.working_dir is not None:
        shutil.rmtree(session.working_dir, ignore_errors=True)
    _exit_now(0)


if __name__ == "__main__":
    main()
