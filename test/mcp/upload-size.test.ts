/**
 * The /mcp body cap leaves room for upload_file's promise: a file of
 * FILE_MAX_BYTES in base64 goes through real HTTP (it used to meet the SDK's
 * 4 MiB default and a 413), and one byte more is the tool's own clear refusal.
 */
import { randomBytes } from 'node:crypto';
import { FILE_MAX_BYTES } from '../../src/tools/toolsets/files';
import { testPrefix } from '../helpers/redis';
import { WRITE_KEY, connectClient, startMcpWithFake, type McpWithFake } from './harness';

describe('upload_file at its size limit over HTTP', () => {
  let w: McpWithFake;
  beforeAll(async () => {
    w = await startMcpWithFake(testPrefix('upload-size'));
  });
  afterAll(() => w.stop());

  test('FILE_MAX_BYTES in base64 is uploaded; one byte more is refused by the tool, not by the body cap', async () => {
    const { client } = await connectClient(w.mcp.url, WRITE_KEY);
    const file = randomBytes(FILE_MAX_BYTES);
    const ok = await client.callTool(
      {
        name: 'upload_file',
        arguments: {
          channel: '~town-square',
          filename: 'big.bin',
          content: file.toString('base64'),
          encoding: 'base64',
          post_file: false,
        },
      },
      undefined,
      { timeout: 60_000 },
    );
    expect(ok.isError).toBeFalsy();
    expect((ok.structuredContent as { file: { size: number } }).file.size).toBe(FILE_MAX_BYTES);

    const tooBig = await client.callTool(
      {
        name: 'upload_file',
        arguments: {
          channel: '~town-square',
          filename: 'bigger.bin',
          content: Buffer.concat([file, Buffer.from([1])]).toString('base64'),
          encoding: 'base64',
          post_file: false,
        },
      },
      undefined,
      { timeout: 60_000 },
    );
    expect(tooBig.isError).toBe(true);
    expect(JSON.stringify(tooBig.structuredContent)).toMatch(/more than 5242880|at most 5242880/);
    await client.close();
  }, 60_000);
});
