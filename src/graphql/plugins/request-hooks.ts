/**
 * The gate's plugins, with the hooks every request passes through (onRequest, onRequestParse,
 * onExecute, onResultProcess, onResponse) run as one plugin's: yoga's server and envelop call each
 * plugin's hook through promise helpers that allocate one to three kilobytes per call, and every
 * request would pass a dozen of ours. Each plugin keeps its other hooks where it stands. The hooks
 * of each kind run in the plugins' order, each seeing what an earlier one set (a request, a parser,
 * an execute function, a result); a hook that ends the request, or sets the operation's result,
 * stops the rest of its kind, as in yoga and envelop; a hook that returns a promise is waited for.
 * Envelop runs every plugin's onParse and onValidate before any onExecute, so moving the execute
 * hooks together keeps the order in which everything runs.
 */
import type { Plugin } from 'graphql-yoga';
import type { GateServerContext } from './server-context.js';

type Hooks = Plugin<object, GateServerContext>;
type RequestHook = NonNullable<Hooks['onRequest']>;
type RequestParseHook = NonNullable<Hooks['onRequestParse']>;
type ResultProcessHook = NonNullable<Hooks['onResultProcess']>;
type ResponseHook = NonNullable<Hooks['onResponse']>;
type ExecuteHook = NonNullable<Hooks['onExecute']>;
type RequestParseDone = NonNullable<Extract<Awaited<ReturnType<RequestParseHook>>, object>['onRequestParseDone']>;
type ExecuteDone = NonNullable<Extract<Awaited<ReturnType<ExecuteHook>>, object>['onExecuteDone']>;
type ExecuteDoneResult = Extract<Awaited<ReturnType<ExecuteDone>>, object>;

/** The hooks this shares, as each plugin of the gate may have them. */
interface SharedHooks {
  onRequest?: RequestHook;
  onRequestParse?: RequestParseHook;
  onExecute?: ExecuteHook;
  onResultProcess?: ResultProcessHook;
  onResponse?: ResponseHook;
}

const SHARED_KINDS = ['onRequest', 'onRequestParse', 'onExecute', 'onResultProcess', 'onResponse'] as const satisfies (keyof SharedHooks)[];

/**
 * `plugins`, their shared hooks moved into one plugin that comes first (yoga's plugin types differ
 * by context, so each keeps its own: the result is what `createYoga` takes). A kind no plugin has
 * gets no hook: an empty one would still cost its call.
 */
export function withSharedRequestHooks<P extends object>(plugins: P[]): (P | SharedHooks)[] {
  const all = <K extends keyof SharedHooks>(kind: K) => plugins.flatMap((plugin: SharedHooks) => (plugin[kind] ? [plugin[kind]] : [])) as NonNullable<SharedHooks[K]>[];
  const shared: SharedHooks = {};
  const onRequest = all('onRequest');
  if (onRequest.length > 0) shared.onRequest = requestHooks(onRequest);
  const onRequestParse = all('onRequestParse');
  if (onRequestParse.length > 0) shared.onRequestParse = requestParseHooks(onRequestParse);
  const onExecute = all('onExecute');
  if (onExecute.length > 0) shared.onExecute = executeHooks(onExecute);
  const onResultProcess = all('onResultProcess');
  if (onResultProcess.length > 0) shared.onResultProcess = resultProcessHooks(onResultProcess);
  const onResponse = all('onResponse');
  if (onResponse.length > 0) shared.onResponse = responseHooks(onResponse);
  // A plugin without a shared hook goes on as it is (it may be more than a plain object).
  const others = plugins
    .map((plugin) => {
      if (!SHARED_KINDS.some((kind) => kind in plugin)) return plugin;
      const { onRequest: _request, onRequestParse: _parse, onExecute: _execute, onResultProcess: _result, onResponse: _response, ...other }: SharedHooks = plugin;
      return Object.keys(other).length > 0 ? (other as P) : undefined;
    })
    .filter((other) => other !== undefined);
  return [shared, ...others];
}

function requestHooks(hooks: RequestHook[]): RequestHook {
  return (payload) => {
    let ended = false;
    const shared: typeof payload = {
      ...payload,
      setRequest(request) {
        payload.setRequest(request);
        shared.request = request;
      },
      endResponse(response) {
        // As whatwg-node's own loop: only a response ends the request.
        if (response) ended = true;
        payload.endResponse(response);
      },
    };
    return inOrder(hooks, shared, () => ended);
  };
}

function requestParseHooks(hooks: RequestParseHook[]): RequestParseHook {
  return (payload) => {
    let ended = false;
    const shared: typeof payload = {
      ...payload,
      setRequestParser(parser) {
        payload.setRequestParser(parser);
        shared.requestParser = parser;
      },
      // As yoga's own loop: any call ends the parsing.
      endResponse(response) {
        ended = true;
        payload.endResponse(response);
      },
    };
    return gathering(
      hooks,
      shared,
      () => ended,
      (result) => result?.onRequestParseDone,
      (done: RequestParseDone[]) => ({ onRequestParseDone: (after) => inOrder(done, after, () => false) }),
    );
  };
}

function executeHooks(hooks: ExecuteHook[]): ExecuteHook {
  const viewing = ownViews(hooks);
  return (payload) => {
    let stopped = false;
    const shared: typeof payload = {
      ...payload,
      setExecuteFn(executeFn) {
        payload.setExecuteFn(executeFn);
        shared.executeFn = executeFn;
      },
      // As envelop's own loop: a result stops the hooks after this one; the onExecuteDone of those before still run.
      setResultAndStopExecution(result) {
        stopped = true;
        payload.setResultAndStopExecution(result);
      },
    };
    return gathering(
      viewing,
      shared,
      () => stopped,
      (result) => result?.onExecuteDone,
      (done) => ({ onExecuteDone: executeDoneHooks(done) }),
    );
  };
}

/** The onExecuteDone hooks, in order, each seeing the result an earlier one set; a streamed result's onNext and onEnd, gathered. */
function executeDoneHooks(hooks: ExecuteDone[]): ExecuteDone {
  const viewing = ownViews(hooks);
  return (payload) => {
    const shared: typeof payload = {
      ...payload,
      setResult(result) {
        payload.setResult(result);
        shared.result = result;
      },
    };
    return gathering(viewing, shared, () => false, (result) => result || undefined, streamedHooks);
  };
}

/** A streamed result's onNext and onEnd hooks, each kind only when one was given. */
function streamedHooks(streamed: ExecuteDoneResult[]): ExecuteDoneResult {
  const onNext = streamed.flatMap(({ onNext }) => (onNext ? [onNext] : []));
  const onEnd = streamed.flatMap(({ onEnd }) => (onEnd ? [onEnd] : []));
  const hooks: ExecuteDoneResult = {};
  if (onNext.length > 0) {
    const viewing = ownViews(onNext);
    hooks.onNext = (next) => {
      const shared: typeof next = {
        ...next,
        setResult(result) {
          next.setResult(result);
          shared.result = result;
        },
      };
      return inOrder(viewing, shared, () => false);
    };
  }
  if (onEnd.length > 0) hooks.onEnd = () => onEnd.forEach((end) => end());
  return hooks;
}

/**
 * Each hook called with a copy of the shared payload as it stands then, as envelop gives each its
 * own: a hook that reads `executeFn` or `result` from its payload later (inside the function it
 * sets) sees what it was handed, not what a later hook set.
 */
function ownViews<P extends object, R>(hooks: ((payload: P) => R)[]): ((payload: P) => R)[] {
  return hooks.map((hook) => (payload) => hook({ ...payload }));
}

function resultProcessHooks(hooks: ResultProcessHook[]): ResultProcessHook {
  return (payload) => {
    const shared: typeof payload = {
      ...payload,
      setResult(result) {
        payload.setResult(result);
        shared.result = result;
      },
      setResultProcessor(processor, mediaType) {
        payload.setResultProcessor(processor, mediaType);
        shared.resultProcessor = processor;
      },
    };
    return inOrder(hooks, shared, () => false);
  };
}

function responseHooks(hooks: ResponseHook[]): ResponseHook {
  return (payload) => {
    const shared: typeof payload = {
      ...payload,
      setResponse(response) {
        payload.setResponse(response);
        shared.response = response;
      },
    };
    return inOrder(hooks, shared, () => false);
  };
}

/**
 * Each hook with `payload`, one after another (waiting for a promise), until `stopped`; what each
 * returns goes to `collect`. Returns a promise only when a hook did.
 */
function inOrder<P, R>(hooks: ((payload: P) => R | Promise<R>)[], payload: P, stopped: () => boolean, collect?: (result: R) => void): Promise<void> | void {
  const from = (first: number): Promise<void> | void => {
    for (let i = first; i < hooks.length && !stopped(); i++) {
      const result = hooks[i]!(payload);
      // Any thenable, made a promise: a library's hook may answer with one of whatwg-node's look-alikes.
      if (isThenable(result)) {
        return Promise.resolve(result).then((settled) => {
          collect?.(settled);
          return from(i + 1);
        });
      }
      collect?.(result);
    }
  };
  return from(0);
}

/**
 * `inOrder`, keeping what `pick` finds in each hook's answer for afterwards; answers with all that
 * was kept, `combine`d, once the hooks have run, or with nothing when none was kept.
 */
function gathering<P, R, D, C>(
  hooks: ((payload: P) => R | Promise<R>)[],
  payload: P,
  stopped: () => boolean,
  pick: (result: R) => D | undefined,
  combine: (kept: D[]) => C,
): C | undefined | Promise<C | undefined> {
  const kept: D[] = [];
  const finished = () => (kept.length === 0 ? undefined : combine(kept));
  const ran = inOrder(hooks, payload, stopped, (result) => {
    const found = pick(result);
    if (found !== undefined) kept.push(found);
  });
  return ran ? ran.then(finished) : finished();
}

const isThenable = <R>(value: R | PromiseLike<R>): value is PromiseLike<R> => typeof (value as PromiseLike<R> | undefined)?.then === 'function';
