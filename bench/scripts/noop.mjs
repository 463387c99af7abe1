// parajob entry script for the scheduling-rate benchmark: does nothing, returns one row per item.
export function run(items) {
  return items;
}
