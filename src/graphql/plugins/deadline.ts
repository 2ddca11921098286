/** The gate's deadline around execution: a request past it answers 503 and stops (see gate/deadline.ts). */
import type { Plugin } from 'graphql-yoga';
import { workWithinDeadline } from '../../gate/deadline.js';

export function useRequestDeadline(ms: number): Plugin {
  return {
    onExecute({ executeFn, setExecuteFn }) {
      setExecuteFn((args) => workWithinDeadline(() => executeFn(args), ms) as ReturnType<typeof executeFn>);
    },
  };
}
