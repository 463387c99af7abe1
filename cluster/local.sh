#!/usr/bin/env bash
# Start a parajob cluster on this machine in the background: one coordinator and N nodes.
#
#   cluster/local.sh [N] [PORT] [COMPUTE]      (defaults: 2 nodes, port 7070, compute pool "local")
#
# Prints the coordinator address and every pid; logs go to $PARAJOB_CLUSTER_DIR (default
# ./.parajob/cluster). Stop the cluster with:  kill $(cat "$PARAJOB_CLUSTER_DIR/pids")
# Then submit with:  npx parajob job create --file job.yml --coordinator 127.0.0.1:PORT
# (the job's compute: must name COMPUTE, e.g. `compute: azureml:local`).
set -euo pipefail

nodes="${1:-2}"
port="${2:-7070}"
compute="${3:-local}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${PARAJOB_CLUSTER_DIR:-$PWD/.parajob/cluster}"
parajob=(node "$root/bin/parajob.js")

if [[ ! -f "$root/dist/src/cli/main.js" ]]; then
  echo "parajob is not built: run npm run build" >&2
  exit 2
fi
mkdir -p "$dir"
: > "$dir/pids"

"${parajob[@]}" coordinator --port "$port" --host 127.0.0.1 --data-dir "$dir/data" >"$dir/coordinator.log" 2>&1 &
coordinator_pid=$!
echo "$coordinator_pid" >> "$dir/pids"

# Wait (bounded) for the coordinator to say it listens before starting nodes.
for _ in $(seq 1 100); do
  if grep -q "listening on" "$dir/coordinator.log" 2>/dev/null; then break; fi
  if ! kill -0 "$coordinator_pid" 2>/dev/null; then
    echo "the coordinator exited; see $dir/coordinator.log" >&2
    cat "$dir/coordinator.log" >&2
    exit 3
  fi
  sleep 0.1
done
if ! grep -q "listening on" "$dir/coordinator.log"; then
  echo "the coordinator did not start within 10 s; see $dir/coordinator.log" >&2
  exit 3
fi

echo "coordinator 127.0.0.1:$port  pid $coordinator_pid  log $dir/coordinator.log"
for i in $(seq 1 "$nodes"); do
  "${parajob[@]}" node --coordinator "127.0.0.1:$port" --name "node-$i" --compute "$compute" \
    --cache-dir "$dir/cache/node-$i" >"$dir/node-$i.log" 2>&1 &
  echo "$!" >> "$dir/pids"
  echo "node-$i (compute $compute)  pid $!  log $dir/node-$i.log"
done
echo "stop with: kill \$(cat $dir/pids)"
