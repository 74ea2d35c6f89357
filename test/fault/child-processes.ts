import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/**
 * Starts a crash-test child (`node script`) with `env` added to ours; resolves once it printed
 * "ready" or exited (a child may crash before it is ready). `children` tracks the live ones.
 */
export async function startChild(script: string, env: NodeJS.ProcessEnv, children?: Set<ChildProcess>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children?.add(child);
  child.once('exit', () => children?.delete(child));
  await new Promise<void>((resolve) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', () => resolve());
  });
  return child;
}

/** Waits for a child to exit; returns the signal that ended it (SIGKILL for a self-inflicted crash), its code, or 'timeout'. */
export async function exitOf(child: ChildProcess, timeoutMs: number): Promise<NodeJS.Signals | number | 'timeout'> {
  if (child.exitCode !== null || child.signalCode !== null) return child.signalCode ?? child.exitCode!;
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
  const exited = once(child, 'exit').then(([code, signal]) => (signal ?? code) as NodeJS.Signals | number);
  return Promise.race([exited, timer]);
}

/** SIGTERM to each child, SIGKILL to one still alive after 10 s. */
export async function stopChildren(children: Iterable<ChildProcess>): Promise<void> {
  await Promise.all(
    [...children].map(async (child) => {
      child.kill('SIGTERM');
      if ((await exitOf(child, 10_000)) === 'timeout') child.kill('SIGKILL');
    }),
  );
}
