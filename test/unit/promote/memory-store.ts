import { LlmcmError } from '../../../src/core/errors.js';
import { computeContentHash } from '../../../src/stores/content-hash.js';
import { StoreConflictError } from '../../../src/stores/store-errors.js';
import type {
  ApplyOptions,
  ApplyResult,
  Store,
  StoreChangeSet,
  StoreState,
} from '../../../src/stores/types.js';

/** Fault switches of the unit-test double (the integration tests use real servers). */
export interface MemoryFaults {
  /** Fail the n-th apply call (1-based) with STORE_REJECTED. */
  rejectApplyCall?: number;
  /** Every apply fails as unreachable this many times before succeeding. */
  unreachableTimes?: number;
  /** apply never answers. */
  hang?: boolean;
  /** apply writes, then never answers (a timeout whose write landed). */
  landThenHang?: boolean;
}

/**
 * A unit-test double of the Store interface: one map per environment, CAS on a counter revision,
 * and switchable faults. It exists only next to the real-server integration tests.
 */
export class MemoryStore implements Store {
  readonly kind = 'file' as const;
  readonly data = new Map<string, StoreState>();
  applyCalls = 0;
  writes = 0;
  closed = 0;
  constructor(
    readonly name: string,
    public faults: MemoryFaults = {},
  ) {}

  async read(environment: string): Promise<StoreState> {
    const s = this.data.get(environment);
    return s ? structuredClone(s) : { values: {}, revision: null, stamp: null };
  }

  async apply(environment: string, changes: StoreChangeSet, options: ApplyOptions): Promise<ApplyResult> {
    this.applyCalls++;
    if (this.faults.hang) return new Promise(() => {});
    if (this.faults.unreachableTimes && this.faults.unreachableTimes > 0) {
      this.faults.unreachableTimes--;
      throw new LlmcmError(`store '${this.name}' is unreachable`, {
        code: 'STORE_UNREACHABLE',
        kind: 'store',
      });
    }
    if (this.faults.rejectApplyCall === this.applyCalls) {
      throw new LlmcmError(`store '${this.name}' refused the request: write ${this.applyCalls}`, {
        code: 'STORE_REJECTED',
        kind: 'store',
      });
    }
    const current = await this.read(environment);
    if (current.revision !== options.expectedRevision) {
      throw new StoreConflictError(this.name, environment, options.expectedRevision, current.revision);
    }
    const values = { ...current.values, ...changes.set };
    for (const k of changes.delete) delete values[k];
    if (computeContentHash(values) !== options.stamp.contentHash) throw new Error('stamp mismatch');
    const revision = String(Number(current.revision ?? 0) + 1);
    this.data.set(environment, { values, revision, stamp: options.stamp });
    if (this.faults.landThenHang) return new Promise(() => {});
    const writes = Object.keys(changes.set).length + changes.delete.length;
    this.writes += writes;
    return { revision, writes };
  }

  async restore(environment: string, previous: StoreState): Promise<void> {
    const current = await this.read(environment);
    const revision = String(Number(current.revision ?? 0) + 1);
    this.data.set(environment, { ...structuredClone(previous), revision });
  }

  async close(): Promise<void> {
    this.closed++;
  }
}
