/**
 * The gate's per-request hooks run as one plugin's (src/graphql/plugins/request-hooks.ts): each
 * kind must behave as yoga's own loop over separate plugins would, in order, seeing what an earlier
 * hook set, stopping where yoga stops, and waiting for a hook that returns a promise.
 */
import { describe, expect, it } from 'vitest';
import type { Plugin } from 'graphql-yoga';
import { withSharedRequestHooks } from '../src/graphql/plugins/request-hooks.js';
import type { GateServerContext } from '../src/graphql/plugins/server-context.js';

type Hooks = Plugin<object, GateServerContext>;
type ParsePayload = Parameters<NonNullable<Hooks['onRequestParse']>>[0];
type ResultPayload = Parameters<NonNullable<Hooks['onResultProcess']>>[0];
type ExecutePayload = Parameters<NonNullable<Hooks['onExecute']>>[0];

/** What envelop hands an onExecute hook: the execute function as it stands, and setters that change it. */
function executePayload(current: () => ExecutePayload['executeFn'], set: (fn: ExecutePayload['executeFn']) => void) {
  const state: { result?: unknown } = {};
  const payload = {
    executeFn: current(),
    setExecuteFn: set,
    setResultAndStopExecution: (result: unknown) => (state.result = result),
    context: {},
    extendContext: () => {},
    args: { contextValue: {} },
  } as unknown as ExecutePayload;
  return { payload, state };
}

const parser = (name: string) => Object.assign(async () => ({ query: name }), { label: name });

function parsePayload(): { payload: ParsePayload; state: { parser?: unknown; ended?: Response } } {
  const state: { parser?: unknown; ended?: Response } = {};
  const payload = {
    request: new Request('http://localhost/graphql', { method: 'POST' }),
    url: new URL('http://localhost/graphql'),
    requestParser: undefined,
    serverContext: {},
    setRequestParser: (p: unknown) => (state.parser = p),
    endResponse: (response: Response) => (state.ended = response),
    fetchAPI: {},
  } as unknown as ParsePayload;
  return { payload, state };
}

describe('shared request hooks', () => {
  it('runs onRequestParse hooks in order, each seeing the parser an earlier one set, waiting for a promise, and gathers their onRequestParseDone', async () => {
    const seen: string[] = [];
    const first = parser('first');
    const done: string[] = [];
    const [shared, ...rest] = withSharedRequestHooks<Hooks>([
      { onRequestParse: ({ setRequestParser }) => setRequestParser(first) },
      {
        onRequestParse: async ({ requestParser }) => {
          seen.push((requestParser as unknown as { label: string }).label);
          await new Promise((resolve) => setTimeout(resolve, 1));
          return { onRequestParseDone: () => void done.push('second') };
        },
      },
      {
        onRequestParse: ({ requestParser }) => {
          seen.push(`after the wait: ${(requestParser as unknown as { label: string }).label}`);
          return { onRequestParseDone: () => void done.push('third') };
        },
      },
    ]);
    expect(rest).toEqual([]);
    const { payload, state } = parsePayload();
    const result = await shared!.onRequestParse!(payload);
    expect(seen).toEqual(['first', 'after the wait: first']);
    expect(state.parser).toBe(first);
    await result!.onRequestParseDone!({ requestParserResult: { query: '{ a }' }, setRequestParserResult: () => {} });
    expect(done).toEqual(['second', 'third']);
  });

  it('stops the onRequestParse hooks at the one that ends the request, and a throw reaches yoga', () => {
    const ran: string[] = [];
    const ended = new Response(null, { status: 401 });
    const [shared] = withSharedRequestHooks<Hooks>([
      { onRequestParse: ({ endResponse }) => (ran.push('ends'), endResponse(ended)) },
      { onRequestParse: () => void ran.push('never') },
    ]);
    const { payload, state } = parsePayload();
    expect(shared!.onRequestParse!(payload)).toBeUndefined();
    expect(ran).toEqual(['ends']);
    expect(state.ended).toBe(ended);

    const [throwing] = withSharedRequestHooks<Hooks>([
      {
        onRequestParse: () => {
          throw new Error('refused');
        },
      },
      { onRequestParse: () => void ran.push('never either') },
    ]);
    expect(() => throwing!.onRequestParse!(parsePayload().payload)).toThrow('refused');
    expect(ran).toEqual(['ends']);
  });

  it('runs onResultProcess hooks in order, each seeing the result and the processor an earlier one set', () => {
    let result: unknown = { data: { a: 1 } };
    let processor: unknown;
    const seen: unknown[] = [];
    const replaced = { data: { a: 2 } };
    const process = async () => new Response('');
    const [shared] = withSharedRequestHooks<Hooks>([
      { onResultProcess: ({ setResult, setResultProcessor }) => (setResult(replaced), setResultProcessor(process, 'application/json')) },
      { onResultProcess: ({ result: now, resultProcessor }) => void seen.push(now, resultProcessor) },
    ]);
    const payload = {
      request: new Request('http://localhost/graphql'),
      result,
      setResult: (r: unknown) => (result = r),
      resultProcessor: undefined,
      acceptableMediaTypes: [],
      setResultProcessor: (p: unknown) => (processor = p),
      serverContext: {},
    } as unknown as ResultPayload;
    expect(shared!.onResultProcess!(payload)).toBeUndefined();
    expect(seen).toEqual([replaced, process]);
    expect(result).toBe(replaced);
    expect(processor).toBe(process);
  });

  it('runs onExecute hooks in order, each wrapping the execute function an earlier one set, waiting for a promise, and their onExecuteDone in order on the result an earlier one set', async () => {
    const calls: string[] = [];
    let executeFn = (() => ({ data: { base: true } })) as unknown as ExecutePayload['executeFn'];
    const wrap = (name: string) => ({ executeFn: inner, setExecuteFn }: ExecutePayload) => {
      setExecuteFn(((args: never) => (calls.push(name), inner(args))) as ExecutePayload['executeFn']);
    };
    const [shared, ...rest] = withSharedRequestHooks<Hooks>([
      { onExecute: wrap('outer') },
      {
        onExecute: async () => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          return { onExecuteDone: ({ result, setResult }) => setResult({ ...(result as object), extensions: { first: true } }) };
        },
      },
      { onExecute: wrap('inner') },
      { onExecute: () => ({ onExecuteDone: ({ result }) => void calls.push(`done saw ${JSON.stringify(result)}`) }) },
    ]);
    expect(rest).toEqual([]);
    const { payload, state } = executePayload(() => executeFn, (fn) => (executeFn = fn));
    const after = await shared!.onExecute!(payload);
    await executeFn({} as never);
    expect(calls).toEqual(['inner', 'outer']);
    expect(state.result).toBeUndefined();
    let result: unknown = { data: { base: true } };
    await after!.onExecuteDone!({ args: payload.args, result: result as never, setResult: (r) => (result = r) });
    expect(calls.at(-1)).toBe('done saw {"data":{"base":true},"extensions":{"first":true}}');
    expect(result).toEqual({ data: { base: true }, extensions: { first: true } });
  });

  it('hands each onExecute hook its own payload, so a hook that reads executeFn from it later calls what it was given', async () => {
    const calls: string[] = [];
    let executeFn = (() => (calls.push('base'), { data: {} })) as unknown as ExecutePayload['executeFn'];
    const lazy = (name: string) => (payload: ExecutePayload) => {
      payload.setExecuteFn(((args: never) => (calls.push(name), payload.executeFn(args))) as ExecutePayload['executeFn']);
    };
    const [shared] = withSharedRequestHooks<Hooks>([{ onExecute: lazy('first') }, { onExecute: lazy('second') }]);
    const { payload } = executePayload(() => executeFn, (fn) => (executeFn = fn));
    await shared!.onExecute!(payload);
    await executeFn({} as never);
    expect(calls).toEqual(['second', 'first', 'base']);
  });

  it('stops the onExecute hooks at the one that sets the result, and still runs the onExecuteDone of those that ran', async () => {
    const ran: string[] = [];
    const refusal = { errors: [] };
    const [shared] = withSharedRequestHooks<Hooks>([
      { onExecute: () => (ran.push('first'), { onExecuteDone: () => void ran.push('first done') }) },
      { onExecute: ({ setResultAndStopExecution }) => (ran.push('refuses'), setResultAndStopExecution(refusal), { onExecuteDone: () => void ran.push('refuser done') }) },
      { onExecute: () => void ran.push('never') },
    ]);
    const { payload, state } = executePayload(() => undefined as never, () => {});
    const after = await shared!.onExecute!(payload);
    expect(state.result).toBe(refusal);
    await after!.onExecuteDone!({ args: payload.args, result: refusal, setResult: () => {} });
    expect(ran).toEqual(['first', 'refuses', 'first done', 'refuser done']);
  });

  it("keeps each plugin's other hooks in its place, passes a plugin without shared hooks on as it is, and adds no hook of a kind nobody has", () => {
    const validate = () => {};
    const untouched = { onValidate: validate };
    const plugins = withSharedRequestHooks<Hooks>([{ onRequest: () => {}, onValidate: validate }, untouched, { onResponse: () => {} }]);
    expect(plugins).toHaveLength(3);
    expect(Object.keys(plugins[0]!).sort()).toEqual(['onRequest', 'onResponse']);
    expect(plugins[1]).toEqual({ onValidate: validate });
    expect(plugins[2]).toBe(untouched);
  });
});
