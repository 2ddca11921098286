import { decodeGlobalID } from '@pothos/plugin-relay';

/**
 * The database id inside a Relay global id, if it names an object of `typename`. Anything else
 * becomes an id that matches nothing, so services answer NOT_FOUND rather than erroring.
 */
export function localIdOf(globalId: string, typename: string): string {
  try {
    const decoded = decodeGlobalID(globalId);
    return decoded.typename === typename ? decoded.id : '';
  } catch {
    return '';
  }
}
