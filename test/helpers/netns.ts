import { execFileSync } from 'node:child_process';

/**
 * A network namespace with only loopback, for aravis tests: aravis discovery broadcasts on every
 * interface, so the fake camera and every aravis client run inside it and nothing leaves the machine.
 * Returns null (with the reason) when namespaces cannot be created here.
 */
export function createLoopbackNetns(name: string): { name: string; remove: () => void } | { error: string } {
  try {
    execFileSync('ip', ['netns', 'add', name], { stdio: 'pipe' });
  } catch (err) {
    return {
      error: `cannot create a network namespace (ip netns add: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()})`,
    };
  }
  execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  // Proof that the namespace has nothing but loopback, before anything runs in it.
  const links = execFileSync('ip', ['-n', name, '-o', 'link', 'show'], { encoding: 'utf8' })
    .trim()
    .split('\n');
  if (links.length !== 1 || !/: lo:/.test(links[0]!))
    throw new Error(`namespace ${name} has more than loopback: ${links.join(' | ')}`);
  return {
    name,
    remove: () => {
      try {
        execFileSync('ip', ['netns', 'delete', name], { stdio: 'pipe' });
      } catch {
        // already gone
      }
    },
  };
}
