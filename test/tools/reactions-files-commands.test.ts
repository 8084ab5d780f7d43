/** Toolsets `reactions`, `files` and `commands` against the fake Mattermost. */
import { errorOf, ToolWorld, type ToolAnswer } from './harness';

let world: ToolWorld;
beforeAll(async () => {
  world = await ToolWorld.start();
});
afterAll(async () => {
  await world.stop();
});

const s = <T>(r: ToolAnswer) => r.structuredContent as T;
const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

describe('reactions', () => {
  it('adds, lists with usernames, and removes reactions', async () => {
    const post = world.fake.post({ user: 'alice', channel: 'town-square', message: 'react to me' }) as { id: string };
    world.fake.app.addReaction(world.fake.user('alice').id, {
      user_id: world.fake.user('alice').id,
      post_id: post.id,
      emoji_name: 'tada',
    });
    const add = await world.call('add_reaction', { post_id: post.id, emoji_name: ':+1:' });
    expect(add.isError).toBeFalsy();
    expect(s<{ emoji_name: string }>(add).emoji_name).toBe('+1');
    expect((await world.call('add_reaction', { post_id: post.id, emoji_name: '+1' })).isError).toBeFalsy();

    const list = await world.call('get_reactions', { post_id: post.id });
    const reactions = s<{ reactions: { emoji_name: string; count: number; users: string[] }[] }>(list).reactions;
    expect(reactions).toEqual(
      expect.arrayContaining([
        { emoji_name: '+1', count: 1, users: ['@bridge-bot'] },
        { emoji_name: 'tada', count: 1, users: ['@alice'] },
      ]),
    );
    expect(list.text).toContain(':tada: ×1 by @alice');

    expect((await world.call('remove_reaction', { post_id: post.id, emoji_name: '+1' })).isError).toBeFalsy();
    const after = s<{ reactions: { emoji_name: string }[] }>(await world.call('get_reactions', { post_id: post.id }));
    expect(after.reactions.map((r) => r.emoji_name)).toEqual(['tada']);
  });

  it('refuses bad emoji names, unknown posts and read-only keys', async () => {
    const post = world.fake.post({ user: 'bob', channel: 'town-square', message: 'x' }) as { id: string };
    expect(errorOf(await world.call('add_reaction', { post_id: post.id, emoji_name: 'no spaces' })).category).toBe(
      'validation',
    );
    expect(
      errorOf(await world.call('add_reaction', { post_id: 'ybndrfg8ejkmcpqxot1uwisza3', emoji_name: 'x' })).category,
    ).toBe('not_found');
    expect(
      errorOf(await world.call('add_reaction', { post_id: post.id, emoji_name: 'x' }, { scopes: ['read'] })).category,
    ).toBe('forbidden');
  });
});

describe('files', () => {
  it('uploads text and posts it in one step; reads it back as text', async () => {
    const r = await world.call('upload_file', {
      channel: '~town-square',
      filename: 'notes.md',
      content: '# Notes\nline two',
      message: 'here are the notes',
    });
    expect(r.isError).toBeFalsy();
    const out = s<{ file: { id: string; name: string; size: number }; post: { id: string; file_ids: string[] } }>(r);
    expect(out.post.file_ids).toEqual([out.file.id]);
    expect(out.file.size).toBe(Buffer.byteLength('# Notes\nline two'));

    const info = await world.call('get_file_info', { file_id: out.file.id });
    expect(s<{ post_id: string; name: string }>(info)).toMatchObject({ post_id: out.post.id, name: 'notes.md' });

    const read = await world.call('read_file', { file_id: out.file.id });
    expect(s<{ kind: string; text: string }>(read)).toMatchObject({
      kind: 'text',
      text: '# Notes\nline two',
      truncated: false,
    });
    expect(read.text).toContain('line two');

    const thread = await world.call('read_post', { post_id: out.post.id });
    expect(thread.text).toContain(`[files: ${out.file.id}]`);
  });

  it('uploads base64 images without posting, attaches them later, and reads them as image content', async () => {
    const up = await world.call('upload_file', {
      channel: '~town-square',
      filename: 'dot.png',
      content: PNG_1X1,
      encoding: 'base64',
      post_file: false,
    });
    const fileId = s<{ file: { id: string } }>(up).file.id;
    expect(s<{ post?: unknown }>(up).post).toBeUndefined();
    expect(up.text).toContain(`file_ids=["${fileId}"]`);
    const post = await world.call('create_post', { channel: '~town-square', message: 'a dot', file_ids: [fileId] });
    expect(post.isError).toBeFalsy();
    const read = await world.call('read_file', { file_id: fileId }, { progressToken: 7 });
    expect(s<{ kind: string }>(read).kind).toBe('image');
    const image = read.content.find((c) => c.type === 'image') as { data: string; mimeType: string } | undefined;
    expect(image).toBeDefined();
    expect(image!.mimeType).toBe('image/png');
    expect(image!.data).toBe(PNG_1X1);
    expect(read.progress.length).toBeGreaterThan(0);
  });

  it('refuses bad uploads before anything is posted, and says why', async () => {
    const before = world.fake.store.posts.size;
    const bad64 = errorOf(
      await world.call('upload_file', {
        channel: '~town-square',
        filename: 'x.bin',
        content: 'not base64!!',
        encoding: 'base64',
      }),
    );
    expect(bad64.message).toMatch(/not valid base64/);
    expect(
      errorOf(await world.call('upload_file', { channel: '~town-square', filename: '../etc/passwd', content: 'x' }))
        .category,
    ).toBe('validation');
    expect(errorOf(await world.call('upload_file', { filename: 'a.txt', content: 'x' })).message).toMatch(
      /pass channel/,
    );
    world.fake.setFaults({
      failNext: { method: 'POST', path: '/api/v4/files', count: 1, status: 413, message: 'too big' },
    });
    const failed = errorOf(
      await world.call('upload_file', { channel: '~town-square', filename: 'a.txt', content: 'x' }),
    );
    expect(failed.message).toMatch(/upload of a.txt failed.*nothing was posted/);
    expect(world.fake.store.posts.size).toBe(before);
  });

  it('refuses binary types and files above max_bytes for read_file', async () => {
    const up = await world.call('upload_file', {
      channel: '~town-square',
      filename: 'blob.bin',
      content: Buffer.from([0, 1, 2, 3, 255]).toString('base64'),
      encoding: 'base64',
      post_file: false,
    });
    const id = s<{ file: { id: string } }>(up).file.id;
    expect(errorOf(await world.call('read_file', { file_id: id })).message).toMatch(/only text and images/);
    const big = await world.call('upload_file', {
      channel: '~town-square',
      filename: 'big.txt',
      content: 'y'.repeat(5000),
      post_file: false,
    });
    const bigId = s<{ file: { id: string } }>(big).file.id;
    expect(errorOf(await world.call('read_file', { file_id: bigId, max_bytes: 100 })).message).toMatch(
      /raise max_bytes/,
    );
    expect(errorOf(await world.call('read_file', { file_id: 'short' })).category).toBe('validation');
    expect(errorOf(await world.call('get_file_info', { file_id: 'ybndrfg8ejkmcpqxot1uwisza3' })).category).toBe(
      'not_found',
    );
  });

  it('checks the channel policy of a file', async () => {
    const up = await world.call('upload_file', { channel: '~dev', filename: 'd.txt', content: 'dev only' });
    const id = s<{ file: { id: string } }>(up).file.id;
    expect(errorOf(await world.call('read_file', { file_id: id }, { policy: { deny: ['~dev'] } })).category).toBe(
      'forbidden',
    );
  });
});

describe('commands', () => {
  it('lists slash commands without their secrets', async () => {
    const r = await world.call('list_commands', {});
    const cmds = s<{ commands: { trigger: string }[] }>(r).commands;
    expect(cmds.length).toBeGreaterThan(0);
    expect(JSON.stringify(r.structuredContent)).not.toMatch(/"token"|"url"/);
    expect(r.text).toMatch(/^\d+ slash command\(s\):/);
  });

  it('runs a built-in command as the bot and returns its response', async () => {
    const cmds = s<{ commands: { trigger: string }[] }>(await world.call('list_commands', {})).commands;
    expect(cmds.map((c) => c.trigger)).toContain('echo');
    const r = await world.call('execute_command', { channel: '~town-square', command: '/echo hello there' });
    expect(r.isError).toBeFalsy();
    expect(r.text).toMatch(/^Ran \/echo in ~town-square/);
  });

  it('says what to call for unknown commands, and refuses without write scope', async () => {
    const e = errorOf(await world.call('execute_command', { channel: '~town-square', command: '/nosuchthing' }));
    expect(e.message).toMatch(/call list_commands/);
    expect(errorOf(await world.call('execute_command', { channel: '~town-square', command: 'echo' })).category).toBe(
      'validation',
    );
    expect(
      errorOf(
        await world.call('execute_command', { channel: '~town-square', command: '/echo x' }, { scopes: ['read'] }),
      ).category,
    ).toBe('forbidden');
  });
});
