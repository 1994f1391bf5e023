import { z } from 'zod';

/** Site, zone, desk, device and member ids: DESIGN.md "Topics and payloads". */
export const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const idSchema = z.string().regex(ID_PATTERN, 'must match [a-z0-9][a-z0-9-]{0,63}');
export type Id = z.infer<typeof idSchema>;

export function isId(value: string): boolean {
  return ID_PATTERN.test(value);
}
