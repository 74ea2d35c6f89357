/**
 * Reads a V8 `.cpuprofile` (what `node --cpu-prof` writes) and names where the CPU went: self time
 * by function, and by area (a file of paystream, a package of node_modules, Node's internals, the
 * garbage collector). Self time only: a function's callees are counted where they run, so the
 * areas add up to the whole profile. Also runnable alone: `node bench/pipeline/profile-summary.ts FILE`.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  /** Busy time: everything but `(idle)`. */
  busyMs: number;
  functions: { name: string; selfMs: number }[];
  areas: { name: string; selfMs: number }[];
}

export function summarizeProfile(path: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUsByNode = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUsByNode.set(id, (selfUsByNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const functions = new Map<string, number>();
  const areas = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, selfUs] of selfUsByNode) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    totalUs += selfUs;
    if (functionName === '(idle)') idleUs += selfUs;
    const name = `${functionName || '(anonymous)'} ${url ? `${shortPath(url)}:${lineNumber + 1}` : ''}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + selfUs);
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + selfUs);
  }
  const ranked = (map: Map<string, number>) =>
    [...map]
      .filter(([name]) => name !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: us / 1000 }));
  return { totalMs: totalUs / 1000, busyMs: (totalUs - idleUs) / 1000, functions: ranked(functions), areas: ranked(areas) };
}

export function formatProfileSummary(summary: ProfileSummary): string {
  const share = (ms: number) => `${((ms / summary.busyMs) * 100).toFixed(1).padStart(5)}%`;
  return [
    `profile: ${(summary.busyMs / 1000).toFixed(1)} s busy of ${(summary.totalMs / 1000).toFixed(1)} s (one thread; shares below are of its busy time, self time only)`,
    'by area:',
    ...summary.areas.map((area) => `  ${share(area.selfMs)}  ${area.name}`),
    'by function:',
    ...summary.functions.map((fn) => `  ${share(fn.selfMs)}  ${fn.name}`),
  ].join('\n');
}

function shortPath(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) return path.slice(modules + '/node_modules/'.length);
  for (const root of ['/src/', '/tools/', '/bench/']) {
    const at = path.lastIndexOf(root);
    if (at >= 0) return path.slice(at + 1);
  }
  return path;
}

/** A paystream file, a package (`pg`, `@platformatic/kafka`), `node:internal`, or V8's own entries. */
function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native / V8 builtins)';
  const path = shortPath(url);
  if (url.includes('/node_modules/')) {
    const parts = path.split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  return path;
}

if (import.meta.main) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node bench/pipeline/profile-summary.ts FILE.cpuprofile');
    process.exit(2);
  }
  console.log(formatProfileSummary(summarizeProfile(file)));
}
