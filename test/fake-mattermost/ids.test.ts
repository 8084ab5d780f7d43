import { ID_ALPHABET, isValidId, newId } from './ids';

describe('newId', () => {
  it('makes valid, distinct ids across refills of its random pool', () => {
    // 4 KiB pool / 26 bytes per id: 1,000 ids cross six refills
    const ids = Array.from({ length: 1000 }, newId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(isValidId(id)).toBe(true);
      expect([...id].every((c) => ID_ALPHABET.includes(c))).toBe(true);
    }
  });

  it('uses the whole alphabet', () => {
    const seen = new Set(Array.from({ length: 200 }, newId).join(''));
    expect(seen.size).toBe(ID_ALPHABET.length);
  });
});
