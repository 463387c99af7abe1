"""Counts the words of each document: an Azure ML parallel-job entry script, unchanged."""
import argparse
import os

from azureml_user.parallel_run import EntryScript

min_length = 0


def init():
    """Once per worker process: parse our arguments (system arguments are in sys.argv too)."""
    global min_length
    parser = argparse.ArgumentParser(allow_abbrev=False, description="word count")
    parser.add_argument("--min_length", type=int, default=1)
    args, _unknown = parser.parse_known_args()
    min_length = args.min_length
    EntryScript().logger.info("init: counting words of at least %d characters", min_length)


def run(mini_batch):
    """One row per file: `<file name> <words>`."""
    rows = []
    for path in mini_batch:
        with open(path, encoding="utf-8") as handle:
            words = [word for word in handle.read().split() if len(word) >= min_length]
        rows.append(f"{os.path.basename(path)} {len(words)}")
    EntryScript().logger.info("run: %d files", len(mini_batch))
    return rows


def shutdown():
    EntryScript().logger.info("shutdown")
