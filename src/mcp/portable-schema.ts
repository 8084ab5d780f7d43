/**
 * Tool schemas in the spelling every client can map. zod's JSON Schema output
 * is valid but uses two forms that clients mapping tool schemas onto a
 * narrower dialect (the OpenAPI subset of Gemini function declarations, for
 * one) reject or drop, and that the MCP Inspector's `--strict` portability
 * check warns about:
 *
 * - `type: ["number", "null"]` (a nullable field) → `anyOf` with one `type`
 *   per branch, the branch's own keywords on its non-null branch;
 * - `additionalProperties: {}` (a record of unknown values) → `true`, which
 *   says the same ("any value") in the form meant for it.
 *
 * The contract is unchanged: both forms accept exactly what they did.
 */
import { isRecord as isSchema } from '../pipeline/normalize/frame';

type Schema = Record<string, unknown>;

/** Keywords that describe the value as a whole: they stay beside the `anyOf`. */
const ANNOTATIONS = new Set(['description', 'title', 'default', 'examples', 'deprecated', '$comment']);
/** Keywords whose value maps names to schemas: a name there is not a keyword. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions']);

export function portableSchema<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map((s) => portableSchema(s)) as T;
  if (!isSchema(schema)) return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'additionalProperties' && isSchema(value) && Object.keys(value).length === 0) out[key] = true;
    else if (SCHEMA_MAPS.has(key) && isSchema(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, portableSchema(s)]));
    } else out[key] = portableSchema(value);
  }
  const types = out.type;
  if (!Array.isArray(types)) return out as T;
  const { type: _types, ...rest } = out;
  const outer: Schema = {};
  const inner: Schema = {};
  for (const [key, value] of Object.entries(rest)) (ANNOTATIONS.has(key) ? outer : inner)[key] = value;
  const branches = (types as string[]).map((t) => (t === 'null' ? { type: 'null' } : { type: t, ...inner }));
  return (branches.length === 1 ? { ...outer, ...branches[0] } : { ...outer, anyOf: branches }) as T;
}
