/**
 * Tool schemas in their portable spelling (src/mcp/portable-schema.ts): the
 * forms the MCP Inspector's --strict check warns about are gone from every
 * tool, and the rewrite accepts exactly what the original accepted (checked
 * with the SDK's own Ajv validator, as clients check structured content).
 */
import fc from 'fast-check';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv-provider.js';
import { portableSchema } from '../../src/mcp/portable-schema';
import { toolListing } from '../../src/mcp/tools';
import { ALL_TOOLS } from '../../src/tools/inventory';

const ajv = new AjvJsonSchemaValidator();
const accepts = (schema: object, value: unknown) => ajv.getValidator(schema as never)(value).valid;

/** Every sub-schema of `schema` (under properties, items, anyOf, additionalProperties...). */
function* subSchemas(schema: unknown): Generator<Record<string, unknown>> {
  if (Array.isArray(schema)) for (const s of schema) yield* subSchemas(s);
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return;
  yield schema as Record<string, unknown>;
  for (const v of Object.values(schema)) yield* subSchemas(v);
}

describe('portable tool schemas', () => {
  it('no tool advertises a type array or a keyword-less additionalProperties', () => {
    for (const tool of ALL_TOOLS) {
      const { inputSchema, outputSchema } = toolListing(tool);
      for (const s of subSchemas([inputSchema, outputSchema])) {
        expect({ tool: tool.name, type: Array.isArray(s.type) ? s.type : 'single' }).toEqual({
          tool: tool.name,
          type: 'single',
        });
        const extra = s.additionalProperties;
        const empty = typeof extra === 'object' && extra !== null && Object.keys(extra).length === 0;
        expect({ tool: tool.name, emptyAdditionalProperties: empty }).toEqual({
          tool: tool.name,
          emptyAdditionalProperties: false,
        });
      }
    }
  });

  it('splits a nullable type into anyOf, keeping annotations outside and keywords on their branch', () => {
    expect(portableSchema({ type: ['number', 'null'], description: 'lag', minimum: 0 })).toEqual({
      description: 'lag',
      anyOf: [{ type: 'number', minimum: 0 }, { type: 'null' }],
    });
    expect(portableSchema({ type: 'object', additionalProperties: {} })).toEqual({
      type: 'object',
      additionalProperties: true,
    });
    // a property that happens to be named like a keyword is a property, not a keyword
    expect(portableSchema({ type: 'object', properties: { additionalProperties: {} } })).toEqual({
      type: 'object',
      properties: { additionalProperties: {} },
    });
  });

  it('property: the portable schema accepts exactly the values the original accepts', () => {
    const typeNames = fc.constantFrom('string', 'number', 'integer', 'boolean', 'null', 'object', 'array');
    const schema = fc.record(
      {
        type: fc.uniqueArray(typeNames, { minLength: 1, maxLength: 3 }),
        minimum: fc.integer({ min: -5, max: 5 }),
        maxLength: fc.nat(4),
        description: fc.string({ maxLength: 5 }),
        additionalProperties: fc.constantFrom({}, { type: 'number' }, false),
      },
      { requiredKeys: ['type'] },
    );
    const wrapped = fc
      .tuple(schema, fc.boolean())
      .map(([s, nest]) => (nest ? { type: 'object', properties: { v: s }, additionalProperties: {} } : s));
    fc.assert(
      fc.property(wrapped, fc.jsonValue({ maxDepth: 2 }), (s, value) => {
        const original = structuredClone(s);
        const input = typeof s.type === 'string' ? { v: value } : value;
        expect(accepts(portableSchema(s), input)).toBe(accepts(original, input));
        expect(s).toEqual(original); // the rewrite copies, it does not change the listing it was given
      }),
      { numRuns: 500 },
    );
  });
});
