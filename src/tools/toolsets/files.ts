/** Toolset `files`: upload (and post) files, read text and images, file metadata. */
import type { FileInfo } from '@mattermost/types/files';
import type { Post } from '@mattermost/types/posts';
import { z } from 'zod';
import { ToolError } from '../define';
import { capText, iso } from '../render';
import {
  channelParam,
  idParam,
  mm,
  mmTool,
  outputMax,
  postShape,
  postViews,
  requireWrite,
  resilient,
  resolveChannel,
  resolvePost,
  rootIdParam,
  toToolError,
  MESSAGE_MAX,
  type Ctx,
  type ResolvedChannel,
} from './common';

/** Largest file upload_file accepts and read_file downloads (decoded bytes). */
export const FILE_MAX_BYTES = 5 * 1024 * 1024;
/** read_file's default cap. */
export const READ_DEFAULT_BYTES = 1024 * 1024;

const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const TEXT_EXTENSIONS = new Set(
  'txt md markdown csv tsv json yaml yml xml html htm css js mjs cjs ts tsx jsx py rb go rs java kt c h cpp hpp cs sh bash zsh sql log ini toml conf cfg env diff patch svg'.split(
    ' ',
  ),
);

function isText(mime: string, extension: string): boolean {
  const m = mime.toLowerCase().split(';')[0].trim();
  return (
    m.startsWith('text/') ||
    /^application\/(json|xml|yaml|x-yaml|javascript|x-sh|sql|x-ndjson|csv)$/.test(m) ||
    m.endsWith('+json') ||
    m.endsWith('+xml') ||
    TEXT_EXTENSIONS.has(extension.toLowerCase())
  );
}

function mimeFor(filename: string): string {
  const ext = filename.split('.').pop()?.toLowerCase() ?? '';
  const known: Record<string, string> = {
    png: 'image/png',
    jpg: 'image/jpeg',
    jpeg: 'image/jpeg',
    gif: 'image/gif',
    webp: 'image/webp',
    pdf: 'application/pdf',
    json: 'application/json',
    csv: 'text/csv',
    md: 'text/markdown',
    html: 'text/html',
    xml: 'application/xml',
    zip: 'application/zip',
  };
  return known[ext] ?? (TEXT_EXTENSIONS.has(ext) ? 'text/plain' : 'application/octet-stream');
}

const fileShape = {
  id: z.string(),
  name: z.string(),
  extension: z.string(),
  size: z.number().describe('bytes'),
  mime_type: z.string(),
  post_id: z.string().describe('"" while not attached to a post'),
  channel_id: z.string(),
  user_id: z.string(),
  create_at: z.string().describe('ISO-8601'),
};

function fileView(f: FileInfo) {
  return {
    id: f.id,
    name: f.name,
    extension: f.extension ?? '',
    size: f.size ?? 0,
    mime_type: f.mime_type ?? '',
    post_id: f.post_id ?? '',
    channel_id: f.channel_id ?? '',
    user_id: f.user_id ?? '',
    create_at: iso(f.create_at),
  };
}

const fileIdParam = idParam('file');

/** File info, with the channel it lives in checked against the policy. */
async function fileWithGuard(ctx: Ctx, fileId: string): Promise<FileInfo> {
  const info = await mm(() => resilient(ctx).getFileInfo(fileId), {
    notFound: `file ${fileId} not found; file ids appear as [files: ...] in read_channel, read_thread and read_post results`,
    forbidden: `the bot cannot see file ${fileId}`,
  });
  if (info.channel_id) await resolveChannel(ctx, info.channel_id);
  else if (info.post_id) await resolvePost(ctx, info.post_id);
  return info;
}

export const getFileInfo = mmTool({
  name: 'get_file_info',
  toolset: 'files',
  scope: 'read',
  description:
    'Metadata of a file attached in Mattermost (file id from [files: ...] in post results): name, size, type, post and channel. Call before read_file to check the size and type.',
  input: { file_id: fileIdParam },
  output: fileShape,
  annotations: {
    title: 'Get file info',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handler: async (args, ctx) => {
    const info = await fileWithGuard(ctx, args.file_id);
    const v = fileView(info);
    return {
      structured: v,
      text: `File ${v.name} (id ${v.id}): ${v.mime_type || 'unknown type'}, ${v.size} bytes, uploaded ${v.create_at}${v.post_id ? `, attached to post ${v.post_id}` : ', not attached to a post'}.`,
    };
  },
});

export const readFile = mmTool({
  name: 'read_file',
  toolset: 'files',
  scope: 'read',
  description: `Reads a file attached in Mattermost: text files (plain text, Markdown, CSV, JSON, code...) come back as text, images (PNG, JPEG, GIF, WebP) as image content you can look at. Other binary types are refused. Files above max_bytes (default ${READ_DEFAULT_BYTES} bytes, at most ${FILE_MAX_BYTES}) are refused; long text is cut to the output cap.`,
  input: {
    file_id: fileIdParam,
    max_bytes: z
      .number()
      .int()
      .min(1)
      .max(FILE_MAX_BYTES, `must be at most ${FILE_MAX_BYTES}`)
      .default(READ_DEFAULT_BYTES)
      .describe(`Refuse files larger than this (default ${READ_DEFAULT_BYTES}, at most ${FILE_MAX_BYTES}).`),
  },
  output: {
    file: z.object(fileShape),
    kind: z.enum(['text', 'image']),
    text: z.string().describe('the content for text files, "" for images'),
    truncated: z.boolean(),
  },
  annotations: {
    title: 'Read file',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handler: async (args, ctx) => {
    const info = await fileWithGuard(ctx, args.file_id);
    const v = fileView(info);
    if (v.size > args.max_bytes) {
      throw new ToolError(
        'validation',
        `file ${v.name} is ${v.size} bytes, more than max_bytes=${args.max_bytes}${args.max_bytes < FILE_MAX_BYTES ? `; raise max_bytes (up to ${FILE_MAX_BYTES})` : '; it is too large to read here'}`,
      );
    }
    const image = IMAGE_TYPES.has(v.mime_type.toLowerCase());
    if (!image && !isText(v.mime_type, v.extension)) {
      throw new ToolError(
        'validation',
        `file ${v.name} is ${v.mime_type || 'binary'}; read_file returns only text and images (PNG, JPEG, GIF, WebP)`,
      );
    }
    await ctx.progress(0, 1, `downloading ${v.name}`);
    const { bytes } = await resilient(ctx).getFileBytes(v.id, args.max_bytes);
    await ctx.progress(1, 1, 'downloaded');
    if (image) {
      return {
        structured: { file: v, kind: 'image' as const, text: '', truncated: false },
        text: `Image ${v.name} (${v.mime_type}, ${bytes.length} bytes) from file ${v.id}.`,
        content: [{ type: 'image' as const, data: bytes.toString('base64'), mimeType: v.mime_type.toLowerCase() }],
      };
    }
    const content = bytes.toString('utf8');
    const header = `File ${v.name} (${v.mime_type || 'text'}, ${bytes.length} bytes):\n`;
    const max = outputMax(ctx);
    const full = header + content;
    const shown = capText(
      full,
      max,
      'The file is longer than one result can hold; ask the user for the part you need.',
    );
    const truncated = shown !== full;
    return {
      structured: {
        file: v,
        kind: 'text' as const,
        text: truncated ? content.slice(0, Math.max(0, max - header.length)) : content,
        truncated,
      },
      text: shown,
    };
  },
});

/** Decodes base64 strictly (Buffer.from ignores junk silently). */
function decodeBase64(s: string): Buffer | undefined {
  const clean = s.replace(/\s+/g, '');
  if (clean.length % 4 === 1 || !/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) return undefined;
  return Buffer.from(clean, 'base64');
}

const B64_MAX_CHARS = Math.ceil(FILE_MAX_BYTES / 3) * 4 + 1024;
/** Longest `content` argument of upload_file (base64 of FILE_MAX_BYTES): the /mcp body cap leaves room for it. */
export const UPLOAD_MAX_CONTENT_CHARS = B64_MAX_CHARS;

export const uploadFile = mmTool({
  name: 'upload_file',
  toolset: 'files',
  scope: 'write',
  description: `Uploads a file to a channel and, by default, posts it (with an optional message; root_id posts it as a thread reply). content is the file itself: plain text with encoding "text" (default) or base64 with encoding "base64", at most ${FILE_MAX_BYTES} bytes once decoded. With post_file=false the file is only uploaded and its file_id can be attached later through create_post file_ids. If the upload fails nothing is posted.`,
  input: {
    channel: channelParam.optional(),
    root_id: rootIdParam.optional(),
    filename: z
      .string()
      .trim()
      .min(1)
      .max(255)
      .regex(/^[^/\\\0]+$/, 'must be a file name without / or \\')
      .describe('File name with extension, e.g. "report.csv"'),
    content: z.string().max(B64_MAX_CHARS, `must be at most ${FILE_MAX_BYTES} bytes`).describe('The file content'),
    encoding: z.enum(['text', 'base64']).default('text').describe('"text" (UTF-8) or "base64" for binary files'),
    mime_type: z
      .string()
      .max(100)
      .regex(/^[\w.+-]+\/[\w.+-]+$/, 'must be a MIME type such as text/csv')
      .optional()
      .describe('Content type; guessed from the file name when omitted'),
    message: z.string().max(MESSAGE_MAX).optional().describe('Text of the post that carries the file'),
    post_file: z.boolean().default(true).describe('false: only upload and return the file_id for create_post'),
  },
  output: {
    file: z.object(fileShape),
    post: z.object(postShape).optional().describe('the post carrying the file (absent with post_file=false)'),
  },
  annotations: {
    title: 'Upload file',
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: false,
  },
  handler: async (args, ctx) => {
    requireWrite(ctx, 'upload_file');
    let where: ResolvedChannel;
    let rootId = '';
    if (args.root_id) {
      const r = await resolvePost(ctx, args.root_id, { param: 'root_id' });
      where = r.channel;
      rootId = r.post.root_id || r.post.id;
      if (args.channel) {
        const given = await resolveChannel(ctx, args.channel);
        if (given.channel.id !== where.channel.id) {
          throw new ToolError('validation', `root_id is in ${where.label}, not in ${given.label}; omit channel`);
        }
      }
    } else if (args.channel) {
      where = await resolveChannel(ctx, args.channel);
    } else {
      throw new ToolError('validation', 'pass channel (or root_id to post the file in a thread)');
    }
    if (!args.post_file && (args.message || rootId)) {
      throw new ToolError(
        'validation',
        'message and root_id need post_file=true; with post_file=false only the file is uploaded',
      );
    }
    const bytes = args.encoding === 'base64' ? decodeBase64(args.content) : Buffer.from(args.content, 'utf8');
    if (!bytes) {
      throw new ToolError('validation', 'content is not valid base64; use encoding "text" for plain text');
    }
    if (bytes.length > FILE_MAX_BYTES) {
      throw new ToolError(
        'validation',
        `the file is ${bytes.length} bytes, more than ${FILE_MAX_BYTES}; nothing was uploaded`,
      );
    }
    await ctx.progress(0, args.post_file ? 2 : 1, `uploading ${args.filename}`);
    const form = new FormData();
    form.append('channel_id', where.channel.id); // first: the server streams only when it knows the channel
    form.append(
      'files',
      new Blob([new Uint8Array(bytes)], { type: args.mime_type ?? mimeFor(args.filename) }),
      args.filename,
    );
    let info: FileInfo | undefined;
    try {
      const res = await ctx.services.mattermost.uploadFile(form);
      info = res?.file_infos?.[0];
    } catch (err) {
      const e = toToolError(err, {
        forbidden: `the bot may not upload files in ${where.label}`,
        badRequest: 'Mattermost refused the file',
      });
      throw new ToolError(e.category, `upload of ${args.filename} failed: ${e.message}; nothing was posted`);
    }
    if (!info?.id) throw new ToolError('unavailable', `upload of ${args.filename} gave no file id; nothing was posted`);
    const file = fileView(info);
    if (!args.post_file) {
      return {
        structured: { file },
        text: `Uploaded ${file.name} (${file.size} bytes) to ${where.label}: file_id ${file.id}. Attach it with create_post file_ids=["${file.id}"].`,
      };
    }
    await ctx.progress(1, 2, 'posting');
    let created: Post;
    try {
      created = await ctx.services.mattermost.createPost({
        channel_id: where.channel.id,
        message: args.message ?? '',
        root_id: rootId,
        file_ids: [file.id],
      } as Post);
    } catch (err) {
      const e = toToolError(err, { forbidden: `the bot may not post in ${where.label}` });
      throw new ToolError(
        e.category,
        `${file.name} was uploaded (file_id ${file.id}) but posting it failed: ${e.message}; retry with create_post file_ids=["${file.id}"]`,
      );
    }
    const [view] = await postViews(ctx, [created], where);
    await ctx.progress(2, 2, 'posted');
    return {
      structured: { file, post: view },
      text: `Posted ${file.name} (${file.size} bytes) in ${where.label}${rootId ? ` as a reply in thread ${rootId}` : ''}: post ${created.id}, file_id ${file.id}.`,
    };
  },
});

export const filesTools = [uploadFile, readFile, getFileInfo];
