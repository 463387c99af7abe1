/** How the coordinator names nodes (proto `NodeHello.name` / `node_id`, answered in `Welcome`). */

/**
 * The id for a node saying hello: its previous id when it reconnects with one (it keeps that id even
 * if a stale stream still holds it: the node asserts who it is), provided the id is not bound to
 * another credential; else its requested name if no live node has it and no other credential owns
 * it, else `name-2`, `name-3`, ... An empty name is `node`. Names are trimmed, and characters other
 * than letters, digits, `.`, `_` and `-` become `-` (ids are folder names in the run directory).
 *
 * `ownerOf(id)` tells which credential an id is bound to (undefined: never given out); `owner` is the
 * credential of the stream saying hello ('' anonymous): an id is never handed across credentials.
 */
export function chooseNodeId(
  requestedName: string,
  previousId: string,
  liveIds: ReadonlySet<string>,
  owner = '',
  ownerOf: (id: string) => string | undefined = () => undefined,
): string {
  const mine = (id: string): boolean => (ownerOf(id) ?? owner) === owner;
  const previous = sanitize(previousId);
  if (previous !== '' && mine(previous)) return previous;
  const base = sanitize(requestedName) || 'node';
  if (!liveIds.has(base) && mine(base)) return base;
  for (let suffix = 2; ; suffix++) {
    const candidate = `${base}-${suffix}`;
    if (!liveIds.has(candidate) && mine(candidate)) return candidate;
  }
}

function sanitize(name: string): string {
  return name
    .trim()
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^\.+/, '');
}
