/** The gate's deadline around execution: a request past it answers 503 (see gate/deadline.ts). */
import type { Plugin } from 'graphql-yoga';
import { withDeadline } from '../../gate/deadline.js';

export function useRequestDeadline(ms: number): Plugin {
  return {
    onExecute({ executeFn, setExecuteFn }) {
      setExecuteFn((args) => withDeadline(Promise.resolve(executeFn(args)), ms) as ReturnType<typeof executeFn>);
    },
  };
}
