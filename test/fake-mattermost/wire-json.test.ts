import fc from 'fast-check';
import { goJson } from './wire-json';

/** Go's escaping written out pass by pass: what goJson must equal. */
const reference = (value: unknown) =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

describe('goJson', () => {
  it('escapes as Go does and parses back to the same value', () => {
    const text = fc.string({
      unit: fc.oneof(fc.constantFrom('<', '>', '&', '\u2028', '\u2029', 'a', '"'), fc.string({ maxLength: 1 })),
    });
    fc.assert(
      fc.property(fc.dictionary(text, fc.oneof(text, fc.integer(), fc.boolean())), (value) => {
        const json = goJson(value);
        expect(json).toBe(reference(value));
        expect(json).not.toMatch(/[<>&\u2028\u2029]/);
        expect(JSON.parse(json)).toEqual(value);
      }),
    );
  });
});
