/** How the coordinator names nodes (proto `NodeHello.name` / `node_id`, answered in `Welcome`). */

/**
 * The id for a node saying hello: its previous id when it reconnects with one (it keeps that id even
 * if a stale stream still holds it: the node asserts who it is); else its requested name if no live
 * node has it, else `name-2`, `name-3`, ... An empty name is `node`. Names are trimmed, and characters
 * other than letters, digits, `.`, `_` and `-` become `-` (ids are folder names in the run directory).
 */
export function chooseNodeId(requestedName: string, previousId: string, liveIds: ReadonlySet<string>): string {
  const previous = sanitize(previousId);
  if (previous !== '') return previous;
  const base = sanitize(requestedName) || 'node';
  if (!liveIds.has(base)) return base;
  for (let suffix = 2; ; suffix++) {
    const candidate = `${base}-${suffix}`;
    if (!liveIds.has(candidate)) return candidate;
  }
}

function sanitize(name: string): string {
  return name
    .trim()
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^\.+/, '');
}
