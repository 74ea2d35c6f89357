import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AnswerPlan } from './answer-plan.ts';

/** What the simulated network keeps of a pacs.008: references and amounts, no names or accounts of people. */
export interface StoredTransfer {
  uetr: string;
  /** Identifies the content, so a UETR reused for a different payment is refused. */
  fingerprint: string;
  messageId: string;
  instructionId: string | undefined;
  endToEndId: string;
  /** Decimal string of the bigint (JSON has no bigint). */
  amountMinor: string;
  currency: string;
  instructingAgentBic: string;
  creditorAgentBic: string;
  receivedAtMs: number;
  plan: AnswerPlan;
}

export interface Decision {
  status: 'ACSC' | 'RJCT';
  reasonCode?: string;
  decidedAtMs: number;
  /** YYYY-MM-DD, the business day it settled (or was rejected). */
  settlementDate: string;
  /** The operator's settlement reference (camt.053 AcctSvcrRef). */
  reference: string;
}

export interface Entry {
  transfer: StoredTransfer;
  decision: Decision | undefined;
  callbackDelivered: boolean;
}

type Line =
  | { type: 'received'; transfer: StoredTransfer }
  | { type: 'decided'; uetr: string; decision: Decision }
  | { type: 'callback-delivered'; uetr: string };

/**
 * The simulator's state: a map by UETR in memory, and (with a data file) an append-only JSONL log
 * of what happened, replayed on start. Appends are synchronous, so a line is on disk before the
 * HTTP answer that depends on it goes out; a torn last line (a crash mid-write) is ignored.
 */
export class SimulatorStore {
  readonly #entries = new Map<string, Entry>();
  readonly #file: string | undefined;

  constructor(file: string | undefined) {
    this.#file = file;
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    if (!existsSync(file)) return;
    for (const text of readFileSync(file, 'utf8').split('\n')) {
      if (text.trim() === '') continue;
      let line: Line;
      try {
        line = JSON.parse(text) as Line;
      } catch {
        continue;
      }
      this.#apply(line);
    }
  }

  get(uetr: string): Entry | undefined {
    return this.#entries.get(uetr);
  }

  all(): Entry[] {
    return [...this.#entries.values()];
  }

  received(transfer: StoredTransfer): Entry {
    this.#write({ type: 'received', transfer });
    return this.#entries.get(transfer.uetr)!;
  }

  /** Records the decision; refuses (returns false) when the UETR is already decided. */
  decided(uetr: string, decision: Decision): boolean {
    const entry = this.#entries.get(uetr);
    if (!entry || entry.decision) return false;
    this.#write({ type: 'decided', uetr, decision });
    return true;
  }

  callbackDelivered(uetr: string): void {
    this.#write({ type: 'callback-delivered', uetr });
  }

  #write(line: Line): void {
    if (this.#file) appendFileSync(this.#file, `${JSON.stringify(line)}\n`);
    this.#apply(line);
  }

  #apply(line: Line): void {
    if (line.type === 'received') {
      if (!this.#entries.has(line.transfer.uetr))
        this.#entries.set(line.transfer.uetr, { transfer: line.transfer, decision: undefined, callbackDelivered: false });
      return;
    }
    const entry = this.#entries.get(line.uetr);
    if (!entry) return;
    if (line.type === 'decided') entry.decision ??= line.decision;
    else entry.callbackDelivered = true;
  }
}
