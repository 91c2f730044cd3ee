/**
 * The one uuid pattern: 8-4-4-4-12 hex digits, any version, either case (Postgres accepts both;
 * callers store and compare the lower-case form).
 */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value) => typeof value === 'string' && UUID_PATTERN.test(value);
//# sourceMappingURL=uuid.js.map