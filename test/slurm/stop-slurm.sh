#!/usr/bin/env bash
# Stops the Slurm started by test/slurm/start-slurm.sh DIR (each daemon by its pid file) and waits,
# at most 10 s each, until they are gone (slurmctld saves its state while it stops).
dir=$(realpath "$1")
for pid_file in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
  [ -s "$pid_file" ] || continue
  pid=$(cat "$pid_file")
  kill "$pid" 2>/dev/null || continue
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
done
