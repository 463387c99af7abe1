"""The parajob Python worker runtime: speaks the processor <-> worker protocol (src/worker/protocol.ts)
on file descriptors 3 (in) and 4 (out) and runs the user's entry script with Azure ML's parallel-job contract.

Standard library only; pandas is imported lazily, and only for tabular input or DataFrame returns.
"""
