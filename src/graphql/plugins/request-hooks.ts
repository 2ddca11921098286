/**
 * The gate's plugins, with the hooks every request passes through (onRequest, onResponse) run as
 * one plugin's: yoga's server calls each plugin's hook through promise helpers that allocate about a
 * kilobyte per call, and every request would pass nine of ours. Each plugin keeps its other hooks.
 * The hooks run in the plugins' order; once one ends the request with a response the rest of the
 * onRequest hooks do not run, as in yoga; a hook that returns a promise is waited for.
 */
import type { Plugin } from 'graphql-yoga';
import type { GateServerContext } from './server-context.js';

type RequestHook = NonNullable<Plugin<object, GateServerContext>['onRequest']>;
type ResponseHook = NonNullable<Plugin<object, GateServerContext>['onResponse']>;
type RequestPayload = Parameters<RequestHook>[0];
type ResponsePayload = Parameters<ResponseHook>[0];

/** The two hooks this shares, as each plugin of the gate may have them. */
interface RequestHooks {
  onRequest?: RequestHook;
  onResponse?: ResponseHook;
}

/**
 * `plugins`, their onRequest and onResponse hooks moved into one plugin that comes first (yoga's
 * plugin types differ by context, so each keeps its own: the result is what `createYoga` takes).
 */
export function withSharedRequestHooks<P extends RequestHooks>(plugins: P[]): (P | Required<RequestHooks>)[] {
  const onRequest = plugins.flatMap((plugin) => (plugin.onRequest ? [plugin.onRequest] : []));
  const onResponse = plugins.flatMap((plugin) => (plugin.onResponse ? [plugin.onResponse] : []));
  const others = plugins
    .map(({ onRequest: _request, onResponse: _response, ...other }) => other as P)
    .filter((other) => Object.keys(other).length > 0);
  return [{ onRequest: requestHooks(onRequest), onResponse: responseHooks(onResponse) }, ...others];
}

function requestHooks(hooks: RequestHook[]): RequestHook {
  return (payload) => {
    let ended = false;
    const shared: RequestPayload = {
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

function responseHooks(hooks: ResponseHook[]): ResponseHook {
  return (payload) => {
    const shared: ResponsePayload = {
      ...payload,
      setResponse(response) {
        payload.setResponse(response);
        shared.response = response;
      },
    };
    return inOrder(hooks, shared, () => false);
  };
}

/** Each hook with `payload`, one after another (waiting for a promise), until `stopped`. */
function inOrder<P>(hooks: ((payload: P) => Promise<void> | void)[], payload: P, stopped: () => boolean): Promise<void> | void {
  const from = (first: number): Promise<void> | void => {
    for (let i = first; i < hooks.length && !stopped(); i++) {
      const result = hooks[i]!(payload);
      if (result) return result.then(() => from(i + 1));
    }
  };
  return from(0);
}
