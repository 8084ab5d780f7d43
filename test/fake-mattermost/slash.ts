/**
 * Slash commands (app/command.go): registration rules, execution of
 * built-in and custom commands, the outgoing request to the command's URL
 * (form fields, `Authorization: Token`, timeout, 1 MiB cap), handling of the
 * CommandResponse (ephemeral / in_channel / extra_responses) and the
 * `response_url` webhooks that work 5 times within 30 minutes.
 */
import type { FakeApp } from './app';
import { AppError, errors } from './app-error';
import { isValidId, newId, nowMs } from './ids';
import type { Channel, Command, CommandWebhook, Team, User } from './store';

export const MAX_RESPONSE_BYTES = 1024 * 1024;
export const COMMAND_WEBHOOK_USES = 5;
export const COMMAND_WEBHOOK_LIFETIME_MS = 30 * 60 * 1000;

const BUILT_INS: Record<string, { desc: string; hint: string }> = {
  away: { desc: 'Set your status away', hint: '' },
  dnd: { desc: 'Do not disturb disables desktop and mobile push notifications.', hint: '' },
  echo: { desc: 'Echo back text from your account', hint: '"message" [delay in seconds]' },
  me: { desc: 'Do an action', hint: '[message]' },
  offline: { desc: 'Set your status offline', hint: '' },
  online: { desc: 'Set your status online', hint: '' },
  shrug: { desc: 'Adds ¯\\_(ツ)_/¯ to your message', hint: '[message]' },
};

export interface CommandResponse {
  response_type: string;
  text: string;
  username: string;
  channel_id: string;
  icon_url: string;
  type: string;
  props: Record<string, unknown> | null;
  goto_location: string;
  trigger_id: string;
  skip_slack_parsing: boolean;
  attachments: unknown[] | null;
  extra_responses: CommandResponse[] | null;
}

/** What the fake sent to a custom command's URL and what came back (for the control API and tests). */
export interface CommandExchange {
  request: { url: string; method: string; headers: Record<string, string>; form: [string, string][] };
  reply?: { status: number; contentType: string; body: string };
}

export interface ExecuteResult {
  response: CommandResponse;
  exchange?: CommandExchange;
}

function emptyResponse(): CommandResponse {
  return {
    response_type: '',
    text: '',
    username: '',
    channel_id: '',
    icon_url: '',
    type: '',
    props: null,
    goto_location: '',
    trigger_id: '',
    skip_slack_parsing: false,
    attachments: null,
    extra_responses: null,
  };
}

/** CommandResponseFromHTTPBody: JSON when the content type says so, otherwise the body is the text. */
export function responseFromBody(contentType: string, body: string): CommandResponse | undefined {
  if (/^application\/json\b/i.test(contentType.trim())) {
    try {
      return normalizeResponse(JSON.parse(body));
    } catch {
      return undefined;
    }
  }
  return { ...emptyResponse(), text: body };
}

function normalizeResponse(raw: unknown): CommandResponse | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  const str = (k: string) => (typeof r[k] === 'string' ? (r[k] as string) : '');
  const out: CommandResponse = {
    response_type: str('response_type'),
    text: str('text'),
    username: str('username'),
    channel_id: str('channel_id'),
    icon_url: str('icon_url'),
    type: str('type'),
    props:
      typeof r.props === 'object' && r.props !== null && !Array.isArray(r.props)
        ? (r.props as Record<string, unknown>)
        : null,
    goto_location: str('goto_location'),
    trigger_id: str('trigger_id'),
    skip_slack_parsing: r.skip_slack_parsing === true,
    attachments: Array.isArray(r.attachments) ? r.attachments : null,
    extra_responses: null,
  };
  if (Array.isArray(r.extra_responses)) {
    out.extra_responses = r.extra_responses.map(normalizeResponse).filter((x): x is CommandResponse => !!x);
  }
  return out;
}

export class SlashCommands {
  constructor(
    private readonly app: FakeApp,
    private readonly siteUrl: () => string,
    private readonly timeoutMs: () => number,
  ) {}

  // --- registration ---------------------------------------------------------

  validate(
    input: Record<string, unknown>,
    existing?: Command,
  ): Omit<Command, 'id' | 'token' | 'create_at' | 'update_at' | 'delete_at' | 'creator_id'> {
    const str = (k: string) => (typeof input[k] === 'string' ? (input[k] as string) : '');
    const teamId = existing ? existing.team_id : input.team_id;
    if (!isValidId(teamId)) throw errors.invalidBodyParam('team_id');
    const trigger = str('trigger').toLowerCase();
    if (trigger.length < 1 || trigger.length > 128 || trigger.startsWith('/') || /\s/.test(trigger)) {
      throw new AppError('model.command.is_valid.trigger.app_error', 'Invalid trigger.', 400);
    }
    const method = str('method') || 'P';
    if (method !== 'P' && method !== 'G')
      throw new AppError('model.command.is_valid.method.app_error', 'Invalid method.', 400);
    const url = str('url');
    if (url.length === 0 || url.length > 1024 || !/^https?:\/\/[^\s]+$/i.test(url) || !URL.canParse(url)) {
      throw new AppError('model.command.is_valid.url.app_error', 'Invalid URL.', 400);
    }
    if (str('display_name').length > 64)
      throw new AppError('model.command.is_valid.display_name.app_error', 'Invalid title.', 400);
    if (str('description').length > 128)
      throw new AppError('model.command.is_valid.description.app_error', 'Invalid description.', 400);
    return {
      team_id: teamId,
      trigger,
      method,
      username: str('username'),
      icon_url: str('icon_url'),
      auto_complete: input.auto_complete === true,
      auto_complete_desc: str('auto_complete_desc'),
      auto_complete_hint: str('auto_complete_hint'),
      display_name: str('display_name'),
      description: str('description'),
      url,
      plugin_id: '',
    };
  }

  private requireManage(actorId: string, teamId: string): void {
    if (!this.app.store.teams.has(teamId)) throw errors.permissions();
    if (!this.app.isAdmin(actorId) && !this.app.store.isTeamAdmin(teamId, actorId)) throw errors.permissions();
  }

  private duplicateCheck(teamId: string, trigger: string, exceptId = ''): void {
    const dup = this.app.store.commandByTrigger(teamId, trigger);
    if ((dup && dup.id !== exceptId) || BUILT_INS[trigger]) {
      throw new AppError(
        'api.command.duplicate_trigger.app_error',
        'This trigger word is already in use. Please choose another word.',
        400,
      );
    }
  }

  create(actorId: string, input: Record<string, unknown>): Command {
    const fields = this.validate(input);
    this.requireManage(actorId, fields.team_id);
    this.duplicateCheck(fields.team_id, fields.trigger);
    const t = nowMs();
    const cmd: Command = {
      id: newId(),
      token: newId(),
      create_at: t,
      update_at: t,
      delete_at: 0,
      creator_id: actorId,
      ...fields,
    };
    this.app.store.commands.set(cmd.id, cmd);
    return cmd;
  }

  get(actorId: string, id: string): Command {
    const cmd = this.app.store.commands.get(id);
    if (!cmd || cmd.delete_at !== 0) throw errors.commandNotFound();
    this.requireManage(actorId, cmd.team_id);
    return cmd;
  }

  edit(actorId: string, id: string, input: Record<string, unknown>): Command {
    const cmd = this.get(actorId, id);
    if (input.id !== id) throw errors.invalidBodyParam('command.id');
    const fields = this.validate(input, cmd);
    this.duplicateCheck(cmd.team_id, fields.trigger, cmd.id);
    Object.assign(cmd, fields, { update_at: nowMs() });
    return cmd;
  }

  remove(actorId: string, id: string): void {
    const cmd = this.get(actorId, id);
    cmd.delete_at = nowMs();
  }

  regenToken(actorId: string, id: string): string {
    const cmd = this.get(actorId, id);
    cmd.token = newId();
    cmd.update_at = nowMs();
    return cmd.token;
  }

  /** GET /commands: custom_only needs manage_slash_commands; otherwise built-ins plus the team's auto-complete commands. */
  list(actorId: string, teamId: string, customOnly: boolean): Record<string, unknown>[] {
    const custom = [...this.app.store.commands.values()].filter((c) => c.team_id === teamId && c.delete_at === 0);
    if (customOnly) {
      this.requireManage(actorId, teamId);
      return custom.map((c) => ({ ...c }));
    }
    if (!this.app.isAdmin(actorId) && !this.app.store.isTeamMember(teamId, actorId)) throw errors.permissions();
    const builtIns = Object.entries(BUILT_INS).map(([trigger, b]) => ({
      id: '',
      token: '',
      create_at: 0,
      update_at: 0,
      delete_at: 0,
      creator_id: '',
      team_id: '',
      trigger,
      method: '',
      username: '',
      icon_url: '',
      auto_complete: true,
      auto_complete_desc: b.desc,
      auto_complete_hint: b.hint,
      display_name: trigger,
      description: '',
      url: '',
      plugin_id: '',
    }));
    const canManage = this.app.isAdmin(actorId) || this.app.store.isTeamAdmin(teamId, actorId);
    return [
      ...builtIns,
      ...custom.filter((c) => c.auto_complete || canManage).map((c) => ({ ...c, token: canManage ? c.token : '' })),
    ];
  }

  // --- execution ------------------------------------------------------------

  async execute(actorId: string, input: Record<string, unknown>): Promise<ExecuteResult> {
    const command = typeof input.command === 'string' ? input.command : '';
    if (command.length <= 1 || !command.startsWith('/')) throw errors.invalidBodyParam('command');
    if (!isValidId(input.channel_id)) throw errors.invalidBodyParam('channel_id');
    const channel = this.app.store.channels.get(input.channel_id);
    if (!channel || !this.app.canPostInChannel(actorId, channel)) throw errors.permissions();
    const user = this.app.user(actorId);
    const team = this.teamFor(channel, user, input.team_id);
    const rootId = typeof input.root_id === 'string' && isValidId(input.root_id) ? input.root_id : '';
    const body = command.slice(1);
    const space = body.search(/\s/);
    const trigger = (space < 0 ? body : body.slice(0, space)).toLowerCase();
    const text = space < 0 ? '' : body.slice(space + 1).replace(/^\s+/, '');

    const builtIn = this.builtIn(trigger, text, user, channel, rootId);
    if (builtIn) return { response: builtIn };
    const cmd = team ? this.app.store.commandByTrigger(team.id, trigger) : undefined;
    if (!cmd || !team) {
      throw new AppError(
        'api.command.execute_command.not_found.app_error',
        `Command with a trigger of '${trigger}' not found. To send a message beginning with "/", try adding an empty space at the beginning of the message.`,
        404,
      );
    }
    return this.callCustom(cmd, team, channel, user, text, rootId);
  }

  private teamFor(channel: Channel, user: User, given: unknown): Team | undefined {
    if (channel.team_id) return this.app.store.teams.get(channel.team_id);
    if (isValidId(given) && this.app.store.isTeamMember(given, user.id)) return this.app.store.teams.get(given);
    return this.app.store.teamsOf(user.id)[0];
  }

  private builtIn(
    trigger: string,
    text: string,
    user: User,
    channel: Channel,
    rootId: string,
  ): CommandResponse | undefined {
    const ephemeral = (message: string): CommandResponse => {
      this.app.ephemeralPost(channel.id, user.id, { message, root_id: rootId }, user.id);
      return { ...emptyResponse(), response_type: 'ephemeral', text: message };
    };
    const statusCmd = (status: 'online' | 'away' | 'dnd' | 'offline', message: string) => {
      this.app.setStatus(user.id, status, true);
      return ephemeral(message);
    };
    switch (trigger) {
      case 'away':
        return statusCmd('away', 'You are now away');
      case 'online':
        return statusCmd('online', 'You are now online');
      case 'offline':
        return statusCmd('offline', 'You are now offline');
      case 'dnd':
        return statusCmd(
          'dnd',
          'Do Not Disturb is enabled. You will not receive desktop or mobile push notifications until Do Not Disturb is turned off.',
        );
      case 'echo':
      case 'me':
      case 'shrug': {
        const message =
          trigger === 'me'
            ? `*${text}*`
            : trigger === 'shrug'
              ? `${text} ¯\\\\\\_(ツ)\\_/¯`.trim()
              : text.replace(/^"(.*)"$/, '$1');
        if (message === '') return ephemeral('Message must be provided with /echo.');
        this.app.createPost(user.id, {
          channel_id: channel.id,
          message,
          root_id: rootId,
          type: trigger === 'me' ? 'me' : '',
        });
        return { ...emptyResponse(), response_type: 'in_channel' };
      }
      default:
        return undefined;
    }
  }

  private mentions(text: string, team: Team): [string, string][] {
    const out: [string, string][] = [];
    const users = new Map<string, string>();
    for (const m of text.matchAll(/@([a-z0-9.\-_]+)/gi)) {
      const u = this.app.store.userByUsername(m[1].replace(/[.\-_]+$/, ''));
      if (u && this.app.store.isTeamMember(team.id, u.id)) users.set(u.username, u.id);
    }
    const channels = new Map<string, string>();
    for (const m of text.matchAll(/~([a-z0-9_-]+)/gi)) {
      const c = this.app.store.channelByName(team.id, m[1].toLowerCase());
      if (c && c.type === 'O' && c.delete_at === 0) channels.set(c.name, c.id);
    }
    for (const [name, id] of channels) out.push(['channel_mentions', name], ['channel_mentions_ids', id]);
    for (const [name, id] of users) out.push(['user_mentions', name], ['user_mentions_ids', id]);
    return out;
  }

  private async callCustom(
    cmd: Command,
    team: Team,
    channel: Channel,
    user: User,
    text: string,
    rootId: string,
  ): Promise<ExecuteResult> {
    const hook: CommandWebhook = {
      id: newId(),
      create_at: nowMs(),
      command_id: cmd.id,
      user_id: user.id,
      channel_id: channel.id,
      root_id: rootId,
      use_count: 0,
    };
    this.app.store.commandWebhooks.set(hook.id, hook);
    const triggerId = Buffer.from(`${newId()}:${user.id}:${nowMs()}:fake-signature`).toString('base64');
    const fields: [string, string][] = [
      ['channel_id', channel.id],
      ['channel_name', channel.name],
      ['command', `/${cmd.trigger}`],
      ['response_url', `${this.siteUrl()}/hooks/commands/${hook.id}`],
      ['team_domain', team.name],
      ['team_id', team.id],
      ['text', text],
      ['token', cmd.token],
      ['trigger_id', triggerId],
      ['user_id', user.id],
      ['user_name', user.username],
      ...this.mentions(text, team),
    ];
    // url.Values.Encode sorts by key; repeated keys keep their order.
    const form = fields
      .map((f, i) => ({ f, i }))
      .sort((a, b) => (a.f[0] === b.f[0] ? a.i - b.i : a.f[0] < b.f[0] ? -1 : 1))
      .map((x) => x.f);
    const encoded = new URLSearchParams(form).toString();
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'Mattermost-Bot/1.1' };
    if (cmd.token) headers.Authorization = `Token ${cmd.token}`;
    let url = cmd.url;
    let method = 'POST';
    if (cmd.method === 'G') {
      method = 'GET';
      url += (url.includes('?') ? '&' : '?') + encoded;
    } else {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    }
    const exchange: CommandExchange = { request: { url, method, headers, form } };
    // Errors carry the exchange so the control API can show what was sent and what came back.
    const withExchange = (err: AppError) => Object.assign(err, { exchange });
    const failed = () =>
      withExchange(
        new AppError(
          'api.command.execute_command.failed.app_error',
          `Command with a trigger of '${cmd.trigger}' failed.`,
          500,
        ),
      );

    let status: number;
    let contentType: string;
    let body: string;
    try {
      const res = await fetch(url, {
        method,
        headers,
        body: method === 'POST' ? encoded : undefined,
        signal: AbortSignal.timeout(this.timeoutMs()),
        redirect: 'manual',
      });
      status = res.status;
      contentType = res.headers.get('content-type') ?? '';
      body = await readCapped(res, MAX_RESPONSE_BYTES);
    } catch {
      throw failed();
    }
    exchange.reply = { status, contentType, body };
    if (status !== 200) {
      throw withExchange(
        new AppError(
          'api.command.execute_command.failed_resp.app_error',
          `Command with a trigger of '${cmd.trigger}' returned response ${status}.`,
          500,
        ),
      );
    }
    const response = responseFromBody(contentType, body);
    if (!response) {
      throw withExchange(
        new AppError(
          'api.command.execute_command.failed_empty.app_error',
          `Command with a trigger of '${cmd.trigger}' returned an empty response.`,
          500,
        ),
      );
    }
    response.trigger_id = triggerId;
    try {
      this.handleResponse(response, { userId: user.id, channelId: channel.id, rootId });
    } catch (err) {
      throw err instanceof AppError ? withExchange(err) : err;
    }
    return { response, exchange };
  }

  /** HandleCommandResponse: the response and each of its extra_responses become posts. */
  handleResponse(response: CommandResponse, args: { userId: string; channelId: string; rootId: string }): void {
    this.handleResponsePost(response, args);
    for (const extra of response.extra_responses ?? []) this.handleResponsePost(extra, args);
  }

  private handleResponsePost(
    response: CommandResponse,
    args: { userId: string; channelId: string; rootId: string },
  ): void {
    const channelId = response.channel_id || args.channelId;
    if (channelId !== args.channelId) {
      const target = isValidId(channelId) ? this.app.store.channels.get(channelId) : undefined;
      if (!target || !this.app.store.isChannelMember(channelId, args.userId)) {
        throw new AppError(
          'api.command.command_post.forbidden.app_error',
          'Specified user is not a member of specified channel.',
          403,
        );
      }
    }
    const props: Record<string, unknown> = { ...(response.props ?? {}) };
    let type = response.type;
    if (response.attachments && response.attachments.length > 0) {
      props.attachments = response.attachments;
      type = 'slack_attachment';
    }
    const hasContent = response.text !== '' || (response.attachments?.length ?? 0) > 0;
    if (response.response_type === 'in_channel') {
      this.app.createPost(args.userId, {
        channel_id: channelId,
        root_id: args.rootId,
        message: response.text,
        type,
        props,
      });
    } else if (hasContent) {
      this.app.ephemeralPost(
        channelId,
        args.userId,
        { message: response.text, root_id: args.rootId, props },
        args.userId,
      );
    }
  }

  /** POST /hooks/commands/{id}: a delayed response through response_url. */
  useWebhook(id: string, contentType: string, body: string): void {
    const hook = this.app.store.commandWebhooks.get(id);
    if (!hook) throw new AppError('app.command_webhook.get.missing', 'Unable to find the webhook.', 404);
    if (nowMs() - hook.create_at > COMMAND_WEBHOOK_LIFETIME_MS || hook.use_count >= COMMAND_WEBHOOK_USES) {
      throw new AppError('app.command_webhook.try_use.invalid', 'Invalid webhook.', 400);
    }
    const response = responseFromBody(contentType || 'text/plain', body);
    if (!response) throw errors.invalidBodyParam('command_response');
    hook.use_count += 1;
    this.handleResponse(response, { userId: hook.user_id, channelId: hook.channel_id, rootId: hook.root_id });
  }
}

async function readCapped(res: Response, cap: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Buffer[] = [];
  let size = 0;
  while (size < cap) {
    const { done, value } = await reader.read();
    if (done) break;
    const buf = Buffer.from(value);
    chunks.push(buf.subarray(0, cap - size));
    size += buf.length;
  }
  await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).toString('utf8');
}
