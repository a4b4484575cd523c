/**
 * Provider status words to normalized statuses. Providers document few of their words, so a
 * table maps the known and likely ones, matched case-insensitively; any other word is kept
 * raw by the caller and normalized to `unknown`.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 * @category models
 */
export type StatusTable<A> = (word: string | null | undefined) => A | undefined

/**
 * A lookup in `table` by own keys only: a status word such as `constructor` must not find
 * `Object.prototype`'s members.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <A>(table: Readonly<Record<string, A>>): StatusTable<A> => {
  const own = new Map(Object.entries(table).map(([word, status]) => [word.toLowerCase(), status] as const))
  return (word) => (word == null ? undefined : own.get(word.trim().toLowerCase()))
}
