// talisman ships no type declarations; this covers the one function screening uses.
declare module 'talisman/metrics/jaro-winkler.js' {
  /** Jaro-Winkler similarity of two strings, 0–1 (boost threshold 0.7, scaling factor 0.1, prefix ≤ 4). */
  export default function jaroWinkler(a: string, b: string): number;
}
