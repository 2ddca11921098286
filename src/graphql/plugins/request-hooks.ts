/**
 * The gate's plugins, with the hooks every request passes through (onRequest, onRequestParse,
 * onResultProcess, onResponse) run as one plugin's: yoga's server calls each plugin's hook through
 * promise helpers that allocate one to three kilobytes per call, and every request would pass a
 * dozen of ours. Each plugin keeps its other hooks where it stands, so execution's order is
 * untouched. The hooks of each kind run in the plugins' order, each seeing what an earlier one set
 * (a request, a parser, a result); a hook that ends the request stops the rest of its kind, as in
 * yoga; a hook that returns a promise is waited for.
 */
import type { Plugin } from 'graphql-yoga';
import type { GateServerContext } from './server-context.js';

type Hooks = Plugin<object, GateServerContext>;
type RequestHook = NonNullable<Hooks['onRequest']>;
type RequestParseHook = NonNullable<Hooks['onRequestParse']>;
type ResultProcessHook = NonNullable<Hooks['onResultProcess']>;
type ResponseHook = NonNullable<Hooks['onResponse']>;
type RequestParseDone = NonNullable<Extract<Awaited<ReturnType<RequestParseHook>>, object>['onRequestParseDone']>;

/** The hooks this shares, as each plugin of the gate may have them. */
interface SharedHooks {
  onRequest?: RequestHook;
  onRequestParse?: RequestParseHook;
  onResultProcess?: ResultProcessHook;
  onResponse?: ResponseHook;
}

const SHARED_KINDS = ['onRequest', 'onRequestParse', 'onResultProcess', 'onResponse'] as const satisfies (keyof SharedHooks)[];

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
  const onResultProcess = all('onResultProcess');
  if (onResultProcess.length > 0) shared.onResultProcess = resultProcessHooks(onResultProcess);
  const onResponse = all('onResponse');
  if (onResponse.length > 0) shared.onResponse = responseHooks(onResponse);
  // A plugin without a shared hook goes on as it is (it may be more than a plain object).
  const others = plugins
    .map((plugin) => {
      if (!SHARED_KINDS.some((kind) => kind in plugin)) return plugin;
      const { onRequest: _request, onRequestParse: _parse, onResultProcess: _result, onResponse: _response, ...other }: SharedHooks = plugin;
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
    const done: RequestParseDone[] = [];
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
    const collect = (result: Awaited<ReturnType<RequestParseHook>>) => {
      if (result?.onRequestParseDone) done.push(result.onRequestParseDone);
    };
    const finished = () => (done.length === 0 ? undefined : { onRequestParseDone: (after: Parameters<RequestParseDone>[0]) => inOrder(done, after, () => false) });
    const ran = inOrder(hooks, shared, () => ended, collect);
    return ran ? ran.then(finished) : finished();
  };
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

const isThenable = <R>(value: R | PromiseLike<R>): value is PromiseLike<R> => typeof (value as PromiseLike<R> | undefined)?.then === 'function';
