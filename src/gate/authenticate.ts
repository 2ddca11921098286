/**
 * The gate's one authentication pipeline, for every transport: Authorization header -> a verdict.
 *
 *   failed-auth budget of the address -> key verification -> caller origin -> the key's budget
 *     -> its owner's budget
 *
 * Each request spends one request and one cost point of both budgets here; a GraphQL operation
 * that costs more spends the rest once its cost is known (`spendCost`), before it runs.
 *
 * It runs before anything of the request is parsed or executed, so an unauthenticated caller
 * learns nothing about the API, and a refused origin gets no Access-Control-Allow-Origin.
 */
import { callerFromHeaders, ORIGIN_REFUSAL_MESSAGES, originRefusal, type Caller } from '../auth/origin.js';
import type { Principal } from '../auth/principal.js';
import type { Budget, PointsBudget, RateLimits } from '../auth/rate-limit.js';
import type { KeyUsageRecorder } from '../auth/usage.js';
import { AuthenticationError, type KeyVerifier } from '../auth/verify.js';
import { after, type NowOrLater } from '../core/now-or-later.js';
import { withDeadline } from './deadline.js';
import type { HeaderReader } from './headers.js';
import { rateLimited, refusal, type Refusal } from './refusal.js';

export type Verdict =
  | { valid: true; principal: Principal; caller: Caller; budget: Budget }
  /**
   * `corsAllowed`: whether the calling page may read the refusal (not when its origin was refused).
   * `principal`: the key, when it was good but over its budget (for the log).
   */
  | { valid: false; refusal: Refusal; corsAllowed: boolean; principal?: Principal };

export interface AuthenticatorDeps {
  verifier: KeyVerifier;
  usage: KeyUsageRecorder;
  rateLimits: RateLimits;
  /** How long verification may wait on the database. */
  deadlineMs: number;
}

/** The budget that runs out first, for the RateLimit-* headers and `rateLimit`. */
const tighter = (key: Budget, owner: Budget): Budget => (owner.remaining < key.remaining ? owner : key);

const KEY_SPENT = { requests: 'requests with this key', points: 'cost points with this key' };
const OWNER_SPENT = {
  requests: "requests by this key's owner (all its keys together)",
  points: "cost points by this key's owner (all its keys together)",
};

/** What an operation's cost comes to: charged, refused for now (429), or never affordable. */
export type CostOutcome =
  | { charged: true; budget: Budget }
  | { charged: false; refusal: Refusal; budget: Budget }
  | { charged: false; refusal?: undefined; limit: number };

const UNAUTHENTICATED_HEADERS = { 'WWW-Authenticate': 'Simple realm="algoplane"' };

export class Authenticator {
  constructor(private readonly deps: AuthenticatorDeps) {}

  /**
   * The verdict on a request from `address`, from its headers alone (Authorization, Origin,
   * Referer); database trouble is thrown, not a verdict. A key verified lately, with budgets
   * counted in this process, is decided at once, without a promise: the authorizer answers most
   * calls that way.
   */
  authenticate(headers: HeaderReader, address: string): NowOrLater<Verdict> {
    return after(this.principalFor(address, headers.get('authorization')), (key) => {
      // Browser code may read whatever comes of authentication (401, 429): none of it says anything
      // about a key. Only the key's own origin rules decide below.
      if (!key.valid) return { valid: false, refusal: key.refusal, corsAllowed: true };
      const { principal } = key;
      const caller = callerFromHeaders(headers);
      const originRefused = originRefusal(principal.permissions.callerOrigin, caller);
      if (originRefused) return { valid: false, refusal: refusal(403, 'FORBIDDEN', ORIGIN_REFUSAL_MESSAGES[originRefused], undefined, 'caller_origin'), corsAllowed: false };
      const { rateLimits } = this.deps;
      return after(rateLimits.consumeKey(principal.keyId, principal.key.rateLimitPerMinute), (keyBudget): NowOrLater<Verdict> => {
        if (!keyBudget.allowed) return { valid: false, refusal: spentRefusal(keyBudget, KEY_SPENT, 'key_budget'), corsAllowed: true, principal };
        // A key within its budget still draws on its owner's, which all the owner's keys share (admin
        // keys too: their owner is their administrator); a refused key spends none of it.
        return after(rateLimits.consumeOwner(principal.ownerId, principal.key.rateLimitPerMinute), (ownerBudget): Verdict => {
          if (!ownerBudget.allowed) return { valid: false, refusal: spentRefusal(ownerBudget, OWNER_SPENT, 'owner_budget'), corsAllowed: true, principal };
          this.deps.usage.touch(principal.keyId);
          return { valid: true, principal, caller, budget: tighter(keyBudget, ownerBudget) };
        });
      });
    });
  }

  /**
   * Charges an operation of `cost` points to the budgets of a request `authenticate` let through,
   * which has spent one point already. An operation costing more than a whole window's points can
   * never run, and is told so rather than to wait; one that costs more than is left waits (429)
   * and spends nothing.
   */
  spendCost(principal: Principal, cost: number, budget: Budget): NowOrLater<CostOutcome> {
    const { rateLimits } = this.deps;
    const perMinute = principal.key.rateLimitPerMinute;
    const limit = rateLimits.pointsPerWindow(perMinute);
    if (cost > limit) return { charged: false, limit };
    if (cost <= 1) return { charged: true, budget };
    return after(rateLimits.spendPoints(principal.keyId, principal.ownerId, perMinute, cost - 1), ({ key, owner }): CostOutcome => {
      if (!key.allowed) return { charged: false, refusal: spentRefusal(key, KEY_SPENT, 'key_budget'), budget: key };
      if (!owner.allowed) return { charged: false, refusal: spentRefusal(owner, OWNER_SPENT, 'owner_budget'), budget: owner };
      return { charged: true, budget: tighter(key, owner) };
    });
  }

  /**
   * The principal for a request's key, within its address's budget for failed authentication. A
   * key not known to be good spends from that budget first (so parallel guesses cannot all pass a
   * check made before any is counted), and is refunded when it is good, or absent. A key verified
   * lately and found good is no guess and spends nothing; but an address that has spent its budget
   * is refused all the same, good keys included.
   */
  private principalFor(address: string, authorization: string | null): NowOrLater<KeyVerdict> {
    const known = this.deps.verifier.known(authorization);
    if (!known) return this.verifyGuess(address, authorization);
    return after(this.deps.rateLimits.authAllowed(address), (attempt): KeyVerdict => (attempt.allowed ? { valid: true, principal: known } : overAuthBudget(attempt)));
  }

  private async verifyGuess(address: string, authorization: string | null): Promise<KeyVerdict> {
    const { verifier, rateLimits, deadlineMs } = this.deps;
    const attempt = await rateLimits.takeAuthAttempt(address);
    if (!attempt.allowed) return overAuthBudget(attempt);
    try {
      const principal = await withDeadline(verifier.verify(authorization), deadlineMs);
      await rateLimits.refundAuthAttempt(address);
      return { valid: true, principal };
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
      if (error.reason === 'MISSING') await rateLimits.refundAuthAttempt(address);
      const cause = error.reason === 'MISSING' ? 'missing_key' : 'invalid_key';
      return { valid: false, refusal: refusal(401, 'UNAUTHENTICATED', error.message, UNAUTHENTICATED_HEADERS, cause) };
    }
  }
}

type KeyVerdict = { valid: true; principal: Principal } | { valid: false; refusal: Refusal };

const overAuthBudget = (attempt: Budget): KeyVerdict => ({ valid: false, refusal: rateLimited(attempt, 'failed authentications from this address', 'auth_failure_budget') });

const spentRefusal = (budget: PointsBudget, what: { requests: string; points: string }, name: 'key_budget' | 'owner_budget') =>
  rateLimited(budget, what[budget.spent ?? 'requests'], name);
