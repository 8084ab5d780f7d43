/**
 * The official OpenAPI v4 spec, parsed from its YAML fragments, and a small
 * validator for response bodies. The spec declares almost no `required`
 * keys, so the validator treats every declared property as required unless
 * the real server omits it (listed, with the reason, in OPTIONAL_KEYS);
 * where the spec and the real server disagree the exception is listed in
 * SPEC_EXCEPTIONS. Both lists are the single place for such differences.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export const SPEC_DIR = join(__dirname, '..', '..', '..', 'shared', 'data', 'mattermost-openapi', 'v4', 'source');

type Schema = Record<string, unknown>;

export interface Spec {
  paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
  components: { schemas: Record<string, Schema>; responses: Record<string, Schema> };
}

/** Concatenates the fragments as upstream did: introduction, the path files under `paths:`, then definitions. */
export function loadSpec(dir = SPEC_DIR): Spec {
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  const pathFiles = files.filter((f) => f !== 'introduction.yaml' && f !== 'definitions.yaml').sort();
  const text = [
    readFileSync(join(dir, 'introduction.yaml'), 'utf8'),
    ...pathFiles.map((f) => readFileSync(join(dir, f), 'utf8')),
    readFileSync(join(dir, 'definitions.yaml'), 'utf8'),
  ].join('\n');
  return parse(text, { maxAliasCount: -1 }) as Spec;
}

/** Keys the real server leaves out (Go `omitempty`, sanitizing), per schema. */
export const OPTIONAL_KEYS: Record<string, { keys: string[]; reason: string }> = {
  User: {
    keys: [
      'email_verified',
      'props',
      'notify_props',
      'last_password_update',
      'last_picture_update',
      'failed_attempts',
      'mfa_active',
      'terms_of_service_id',
      'terms_of_service_create_at',
    ],
    reason:
      'omitempty in model.User; notify_props and last_password_update are cleared from other users (ClearNonProfileFields)',
  },
  Post: {
    keys: ['hashtag', 'file_ids'],
    reason: "the spec's `hashtag` is a typo for `hashtags` (spec README); file_ids is omitempty",
  },
  PostMetadata: {
    keys: ['embeds', 'emojis', 'files', 'images', 'reactions', 'priority', 'acknowledgements'],
    reason: 'every PostMetadata field is omitempty',
  },
  PostList: { keys: ['has_next'], reason: 'has_next is only set on thread and search results' },
  FileInfo: { keys: ['width', 'height', 'has_preview_image'], reason: 'omitempty in model.FileInfo' },
  CommandResponse: {
    keys: ['ResponseType', 'Text', 'Username', 'IconURL', 'GotoLocation', 'Attachments'],
    reason: 'the schema uses Go field names; on the wire they are snake_case (spec README), checked separately',
  },
};

/** Where the spec is wrong about real servers: `Schema.key` → the value the server really sends. */
export const SPEC_EXCEPTIONS: { where: string; accept: (v: unknown) => boolean; reason: string }[] = [
  {
    where: 'Team.policy_id',
    accept: (v) => v === null,
    reason: 'model.Team.PolicyID is a *string: null when no data retention policy applies (the spec text says so)',
  },
  {
    where: 'Timezone.useAutomaticTimezone',
    accept: (v) => v === 'true' || v === 'false',
    reason: 'User.Timezone is a StringMap: the server sends "true"/"false" strings, not booleans',
  },
  {
    where: 'PostListWithSearchMatches.matches',
    accept: (v) => v === null,
    reason: 'matches is only filled with Elasticsearch; the database search sends null',
  },
];

/** Operations whose real status code differs from the documented one. */
export const STATUS_EXCEPTIONS: Record<string, { status: number; reason: string }> = {
  'post /api/v4/reactions': { status: 200, reason: 'documented as 201, the server writes 200 (spec README)' },
  'post /api/v4/teams/{team_id}/channels/search': {
    status: 200,
    reason: 'documented as 201; searchChannelsForTeam writes the list without setting a status, so 200',
  },
};

export class Validator {
  constructor(private readonly spec: Spec) {}

  /** The JSON schema of a documented response, or undefined when the spec gives none. */
  responseSchema(method: string, path: string, status: number): { schema?: Schema; documented: string[] } {
    const op = this.spec.paths[path]?.[method.toLowerCase()];
    if (!op) throw new Error(`the spec has no ${method} ${path}`);
    const responses = (op.responses ?? {}) as Record<string, Schema>;
    const documented = Object.keys(responses);
    let resp = responses[String(status)] as Schema | undefined;
    if (resp && typeof resp.$ref === 'string') resp = this.resolve(resp.$ref);
    const content = resp?.content as Record<string, { schema?: Schema }> | undefined;
    return { schema: content?.['application/json']?.schema, documented };
  }

  resolve(ref: string): Schema {
    const m = /^#\/components\/(schemas|responses)\/(.+)$/.exec(ref);
    if (!m) throw new Error(`unsupported $ref ${ref}`);
    const found = this.spec.components[m[1] as 'schemas' | 'responses'][m[2]];
    if (!found) throw new Error(`unresolved $ref ${ref}`);
    return found;
  }

  /** Problems of `value` against `schema`; an empty list means it validates. */
  validate(schema: Schema, value: unknown, at = '$', name = ''): string[] {
    if (typeof schema.$ref === 'string') {
      return this.validate(this.resolve(schema.$ref), value, at, schema.$ref.split('/').pop()!);
    }
    if (Array.isArray(schema.allOf))
      return (schema.allOf as Schema[]).flatMap((s) => this.validate(s, value, at, name));
    if (value === null && schema.nullable === true) return [];
    const type = schema.type as string | undefined;
    const problems: string[] = [];
    const typeOk = (() => {
      switch (type) {
        case undefined:
          return true;
        case 'object':
          return typeof value === 'object' && value !== null && !Array.isArray(value);
        case 'array':
          return Array.isArray(value);
        case 'string':
          return typeof value === 'string';
        case 'integer':
          return typeof value === 'number' && Number.isInteger(value);
        case 'number':
          return typeof value === 'number';
        case 'boolean':
          return typeof value === 'boolean';
        default:
          return true;
      }
    })();
    if (!typeOk)
      return [
        `${at}: expected ${type}, got ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}`,
      ];
    if (type === 'array' && schema.items) {
      (value as unknown[]).forEach((v, i) => problems.push(...this.validate(schema.items as Schema, v, `${at}[${i}]`)));
    }
    if (type === 'object' || (type === undefined && schema.properties)) {
      if (typeof value !== 'object' || value === null) return problems;
      const obj = value as Record<string, unknown>;
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      const optional = new Set(OPTIONAL_KEYS[name]?.keys ?? []);
      for (const r of (schema.required as string[] | undefined) ?? []) optional.delete(r);
      for (const [key, sub] of Object.entries(props)) {
        if (!(key in obj)) {
          if (!optional.has(key)) problems.push(`${at}.${key}: missing`);
          continue;
        }
        const exception = SPEC_EXCEPTIONS.find((e) => e.where === `${name}.${key}`);
        if (exception?.accept(obj[key])) continue;
        problems.push(...this.validate(sub, obj[key], `${at}.${key}`));
      }
      const extra = schema.additionalProperties;
      if (extra && typeof extra === 'object') {
        for (const [key, v] of Object.entries(obj))
          if (!(key in props)) problems.push(...this.validate(extra as Schema, v, `${at}.${key}`));
      }
    }
    return problems;
  }
}
