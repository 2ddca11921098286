/**
 * Which callers see the catalogue as outsiders (visibility.ts `seesAsOutsider`), from one cached
 * fact per owner: whether it owns an algorithm. Asked only for operations that could be answered
 * from a shared entry (graphql/plugins/response-cache.ts); a miss is one indexed statement.
 *
 * The fact changes only when an algorithm is created or deleted (an owner's retirement deletes its
 * algorithms), which the algorithm service announces (call-sheets.ts `changingAlgorithms`). On any
 * such announcement every instance forgets the facts "owns none": a creation may have made one
 * wrong, and a wrong one would share an owner's answer. "Owns some" stays until its TTL: a deletion
 * may have made one wrong, which only keeps a former owner from sharing for that long, while owners
 * reading right after their own publishes cost no statement. A read that overlapped a change
 * answers its own request but is not remembered.
 */
import type { Principal } from '../../auth/principal.js';
import type { NowOrLater } from '../../core/now-or-later.js';
import type { Db } from '../../db/connect.js';
import { ownersWithAlgorithms } from './store.js';
import { fullAccessOwners, seesAsOutsider } from './visibility.js';

interface Fact {
  owns: boolean;
  validUntil: number;
}

export class Outsiders {
  private readonly facts = new Map<string, Fact>();
  /** Bumped by every change: a read that overlapped one must not be remembered. */
  private generation = 0;

  constructor(
    private readonly db: Db,
    private readonly options: { ttlMs: number; maxOwners?: number },
  ) {}

  /** Whether `principal` sees every algorithm and version as any outsider does. */
  of(principal: Principal): NowOrLater<boolean> {
    const ownerIds = fullAccessOwners(principal);
    if (ownerIds === null) return false;
    const now = Date.now();
    const unknown = ownerIds.filter((id) => !((this.facts.get(id)?.validUntil ?? 0) > now));
    if (unknown.length === 0) return seesAsOutsider(principal, (id) => this.facts.get(id)!.owns);
    return this.load(unknown).then((owning) => seesAsOutsider(principal, (id) => owning.has(id) || this.facts.get(id)?.owns === true));
  }

  /**
   * `of`, asked of the database afresh, after the caller's answer was worked out and before it is
   * shared: the cached facts may not yet know of an algorithm another instance has just created
   * (its notification still on the way), and the answer may show it.
   */
  async confirm(principal: Principal): Promise<boolean> {
    const ownerIds = fullAccessOwners(principal);
    if (ownerIds === null) return false;
    const owning = await ownersWithAlgorithms(this.db, ownerIds);
    return seesAsOutsider(principal, (id) => owning.has(id));
  }

  /** An algorithm was created, published or deleted, here or on another instance: forgets every "owns none". */
  forget(): void {
    this.generation++;
    for (const [id, fact] of this.facts) if (!fact.owns) this.facts.delete(id);
  }

  private async load(ownerIds: string[]): Promise<Set<string>> {
    const generation = this.generation;
    const owning = await ownersWithAlgorithms(this.db, ownerIds);
    if (generation === this.generation) {
      // A fact is a few bytes: past the bound, starting afresh is simpler than tracking age.
      if (this.facts.size + ownerIds.length > (this.options.maxOwners ?? 100_000)) this.facts.clear();
      const validUntil = Date.now() + this.options.ttlMs;
      for (const id of ownerIds) this.facts.set(id, { owns: owning.has(id), validUntil });
    }
    return owning;
  }
}
