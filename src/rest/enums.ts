/**
 * Enums as Algorithmia's REST API spells them: lower case (`apl`, `isolated`), with a few names of
 * its own (`python3-1` for PYTHON3). The values come from the domain's enums (db/enums.ts through
 * the modules), so REST can never offer a value the services do not know.
 */
import { z } from '@hono/zod-openapi';

export interface RestEnum<D extends string> {
  /** The REST spellings a request may use (aliases included). */
  schema: z.ZodType<D>;
  /** The REST spellings an answer uses. */
  values: readonly string[];
  toRest(value: D): string;
}

/**
 * `domain`'s values in REST spelling: lower case unless `spelled` says otherwise; `aliases` are
 * more spellings a request may use (never answered).
 */
export function restEnum<const D extends string>(
  domain: readonly D[],
  spelled: Partial<Record<D, string>> = {},
  aliases: Record<string, D> = {},
): RestEnum<D> {
  const rest = new Map(domain.map((value) => [value, spelled[value] ?? value.toLowerCase()]));
  const accepted = new Map<string, D>([...domain.map((value) => [rest.get(value)!, value] as const), ...Object.entries(aliases)]);
  const values = [...rest.values()];
  return {
    schema: z
      .string()
      .refine((given) => accepted.has(given), { message: `must be one of ${[...accepted.keys()].join(', ')}` })
      .transform((given) => accepted.get(given)!)
      .openapi({ type: 'string', enum: [...accepted.keys()] }) as unknown as z.ZodType<D>,
    values,
    toRest: (value) => rest.get(value)!,
  };
}
