/**
 * Configuration: read from the environment in this one place, validated once, typed and frozen.
 * Every variable has a working default, so an empty environment gives the all-in-one shape.
 * An engine is chosen by its URL being set (ADR 0001). `.env.example` is generated from SPEC
 * (`kino config example`) and a test keeps the two in step.
 */
import path from 'node:path';

export const MODULE_NAMES = [
  'auth',
  'content',
  'catalog',
  'admin',
  'etl',
  'files',
  'ugc',
  'notifications',
] as const;
export type ModuleName = (typeof MODULE_NAMES)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

type Parse<T> = (raw: string) => T;
interface VarSpec<T> {
  readonly env: string;
  readonly doc: string;
  /** The default as it would be written in the environment; `undefined` = unset. */
  readonly fallback: string | undefined;
  readonly parse: Parse<T>;
  /** Shown in .env.example instead of the default (for unset-by-default variables). */
  readonly example?: string;
}

class Invalid extends Error {}

function v<T, const F extends string | undefined>(
  env: string,
  fallback: F,
  doc: string,
  parse: Parse<T>,
  example?: string,
): VarSpec<T> & { readonly fallback: F } {
  return { env, fallback, doc, parse, ...(example === undefined ? {} : { example }) };
}

const text: Parse<string> = (raw) => raw;
const int =
  (min: number, max: number): Parse<number> =>
  (raw) => {
    if (!/^-?\d+$/.test(raw.trim())) throw new Invalid(`must be a whole number from ${min} to ${max}`);
    const n = Number(raw);
    if (n < min || n > max) throw new Invalid(`must be a whole number from ${min} to ${max}`);
    return n;
  };
const oneOf =
  <const T extends string>(values: readonly T[]): Parse<T> =>
  (raw) => {
    const value = raw.trim().toLowerCase() as T;
    if (!values.includes(value)) throw new Invalid(`must be one of: ${values.join(', ')}`);
    return value;
  };
const onOff: Parse<boolean> = (raw) => {
  const value = raw.trim().toLowerCase();
  if (['on', 'true', '1', 'yes'].includes(value)) return true;
  if (['off', 'false', '0', 'no'].includes(value)) return false;
  throw new Invalid('must be on or off');
};
const url =
  (protocols: readonly string[]): Parse<string> =>
  (raw) => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new Invalid(`must be a URL (${protocols.map((p) => `${p}//…`).join(' or ')})`);
    }
    if (!protocols.includes(parsed.protocol)) {
      throw new Invalid(`must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
    }
    return raw;
  };
const portOrOff: Parse<number | null> = (raw) => {
  if (raw.trim().toLowerCase() === 'off') return null;
  if (!/^\s*\d+\s*$/.test(raw) || Number(raw) > 65535)
    throw new Invalid('must be a port from 0 to 65535, or off');
  return Number(raw);
};
const services: Parse<readonly ModuleName[]> = (raw) => {
  const parts = raw
    .split(/[\s,]+/)
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (parts.length === 0 || parts.includes('all')) return MODULE_NAMES;
  const unknown = parts.filter((p) => !(MODULE_NAMES as readonly string[]).includes(p));
  if (unknown.length > 0)
    throw new Invalid(`unknown module(s) ${unknown.join(', ')}; known: all, ${MODULE_NAMES.join(', ')}`);
  return MODULE_NAMES.filter((m) => parts.includes(m));
};
const bytes: Parse<number> = (raw) => {
  const m = /^\s*(\d+)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$/i.exec(raw);
  if (!m) throw new Invalid('must be a size such as 1048576, 512kb, 10mb or 2gb');
  const unit = (m[2] ?? 'b').toLowerCase();
  const factor = unit.startsWith('k')
    ? 1024
    : unit.startsWith('m')
      ? 1024 ** 2
      : unit.startsWith('g')
        ? 1024 ** 3
        : 1;
  return Number(m[1]) * factor;
};

/** Every variable the product reads. Add new ones here (and regenerate .env.example). */
export const SPEC = {
  dataDir: v(
    'KINO_DATA_DIR',
    './.kino',
    'Folder for the embedded database, generated keys, local blobs and mail outbox.',
    text,
  ),
  host: v('HOST', '127.0.0.1', 'Interface the HTTP server listens on (0.0.0.0 in containers).', text),
  port: v('PORT', '8080', 'HTTP port.', int(0, 65535)),
  metricsHost: v(
    'METRICS_HOST',
    '127.0.0.1',
    'Interface the Prometheus /metrics listener listens on (0.0.0.0 in containers, for a scraper on the same network).',
    text,
  ),
  metricsPort: v(
    'METRICS_PORT',
    '9464',
    'Port of the Prometheus /metrics listener, apart from PORT so the API never serves metrics; 0 = any free port, off = no listener.',
    portOrOff,
  ),
  publicUrl: v(
    'PUBLIC_URL',
    undefined,
    'Address users reach the product at, for links in mail and redirects (default http://HOST:PORT).',
    url(['http:', 'https:']),
    'https://cinema.example.com',
  ),
  services: v(
    'SERVICES',
    'all',
    'Modules this process serves: all, or a list of ' + MODULE_NAMES.join(', ') + '.',
    services,
  ),
  logLevel: v('LOG_LEVEL', 'info', 'Log level: ' + LOG_LEVELS.join(', ') + '.', oneOf(LOG_LEVELS)),
  databaseUrl: v(
    'DATABASE_URL',
    undefined,
    'PostgreSQL server; unset = embedded PGlite in KINO_DATA_DIR.',
    url(['postgres:', 'postgresql:']),
    'postgres://kino@127.0.0.1:5432/kino',
  ),
  pgliteBuffers: v(
    'PGLITE_SHARED_BUFFERS',
    '32MB',
    'Buffer cache of the embedded PGlite database (kB/MB/GB); resident from the start.',
    (raw) => {
      const value = raw.trim();
      if (!/^\d+(kB|MB|GB)$/.test(value)) throw new Invalid('must be a size such as 32MB');
      return value;
    },
  ),
  databasePoolSize: v(
    'DATABASE_POOL_SIZE',
    '10',
    'Connections per process in the PostgreSQL pool.',
    int(1, 200),
  ),
  redisUrl: v(
    'REDIS_URL',
    undefined,
    'Redis server for cache, rate limits and session revocation; unset = in-memory.',
    url(['redis:', 'rediss:']),
    'redis://127.0.0.1:6379/0',
  ),
  redisPrefix: v(
    'REDIS_PREFIX',
    'kino:',
    'Prefix of every Redis key, so several deployments can share one Redis server.',
    text,
  ),
  natsUrl: v(
    'NATS_URL',
    undefined,
    'NATS server with JetStream for the event bus; unset = in-process bus.',
    url(['nats:', 'tls:']),
    'nats://127.0.0.1:4222',
  ),
  natsStream: v('NATS_STREAM', 'KINO', 'JetStream stream that carries the events.', text),
  bodyLimit: v('BODY_LIMIT', '1mb', 'Largest accepted JSON request body.', bytes),
  cacheTtl: v('CACHE_TTL', '60', 'Seconds a cached catalog response lives at most.', int(0, 86_400)),
  cacheSize: v('CACHE_SIZE', '10000', 'Entries the in-memory cache keeps at most.', int(1, 10_000_000)),
  cacheNearMb: v(
    'CACHE_NEAR_MB',
    '32',
    'With Redis: MiB of catalog responses each process also keeps in memory (0 = off).',
    int(0, 4096),
  ),
  searchRateLimit: v(
    'SEARCH_RATE_LIMIT',
    '120',
    'Film and person searches per minute per user (or IP when anonymous) that the response cache cannot answer; cached ones are free. Off with KINO_RATE_LIMIT=off.',
    int(1, 1_000_000),
  ),
  trustProxy: v('TRUST_PROXY', 'off', 'Trust X-Forwarded-* headers (on behind nginx).', onOff),
  docs: v('API_DOCS', 'on', 'Serve the OpenAPI document and docs UI.', onOff),
  // auth
  authUrl: v(
    'AUTH_URL',
    undefined,
    'Auth service base URL; a process without the auth module verifies tokens with its JWKS.',
    url(['http:', 'https:']),
    'http://auth:8080',
  ),
  authAlgorithm: v('AUTH_JWT_ALG', 'EdDSA', 'Access token signature: EdDSA (Ed25519) or RS256.', (raw) => {
    const value = raw.trim();
    if (value !== 'RS256' && value !== 'EdDSA') throw new Invalid('must be RS256 or EdDSA');
    return value;
  }),
  authAccessTtl: v('AUTH_ACCESS_TTL', '900', 'Access token lifetime in seconds.', int(60, 3600)),
  authRefreshTtl: v(
    'AUTH_REFRESH_TTL',
    '2592000',
    'Session (refresh token) lifetime in seconds.',
    int(3600, 31_536_000),
  ),
  authKeySecret: v(
    'AUTH_KEY_SECRET',
    undefined,
    'Secret (32+ characters) sealing the signing keys in the database; the same on every auth replica. Unset = a secret generated in KINO_DATA_DIR/keys.',
    (raw) => {
      if (raw.length < 32) throw new Invalid('must be at least 32 characters');
      return raw;
    },
    'change-me-to-32-or-more-random-characters',
  ),
  rateLimit: v(
    'KINO_RATE_LIMIT',
    'on',
    'Per-IP rate limits (off for load tests or trusted networks).',
    onOff,
  ),
  authRateLimit: v(
    'AUTH_RATE_LIMIT',
    '20',
    'Requests per minute per IP to each of register, login, refresh, MFA and password reset.',
    int(1, 1_000_000),
  ),
  authLockoutThreshold: v(
    'AUTH_LOCKOUT_THRESHOLD',
    '5',
    'Failed logins or codes in a row before an account is locked (back-off doubles after that).',
    int(1, 100),
  ),
  authHashConcurrency: v(
    'AUTH_HASH_CONCURRENCY',
    '4',
    'Password hashes computed at once (each takes 19 MiB); others wait.',
    int(1, 256),
  ),
  authRedirectUrls: v(
    'AUTH_REDIRECT_URLS',
    '',
    'Front-end URLs (comma-separated) social login may redirect to with tokens, or a path below one.',
    (raw) =>
      raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map((s) => url(['http:', 'https:'])(s)),
    'https://cinema.example.com/login/done',
  ),
  authOauthProviders: v(
    'AUTH_OAUTH_PROVIDERS',
    undefined,
    'Social login providers as JSON: {"google":{"client_id":"…","client_secret":"…"},"corp":{"issuer":"https://id.example.com","client_id":"…"}}; yandex, vk and google are built in, other names need an OIDC issuer.',
    (raw) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        throw new Invalid('must be a JSON object');
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new Invalid('must be a JSON object of providers');
      for (const [name, p] of Object.entries(parsed as Record<string, unknown>)) {
        if (!/^[a-z][a-z0-9_-]{0,31}$/.test(name)) throw new Invalid(`provider name "${name}" is invalid`);
        const c = p as Record<string, unknown> | null;
        if (!c || typeof c.client_id !== 'string') throw new Invalid(`provider "${name}" needs client_id`);
      }
      return parsed as Readonly<Record<string, OAuthProviderConfig>>;
    },
    '{"google":{"client_id":"id","client_secret":"secret"}}',
  ),
  adminPassword: v(
    'KINO_ADMIN_PASSWORD',
    undefined,
    'Password for `kino createsuperuser` when no terminal is attached.',
    text,
    '',
  ),
  // ugc
  ugcIngestBodyLimit: v(
    'UGC_INGEST_BODY_LIMIT',
    '2mb',
    'Largest accepted body of POST /api/v1/events (up to 1000 events per request).',
    bytes,
  ),
  ugcIngestPerMinute: v(
    'UGC_INGEST_PER_MINUTE',
    '120',
    'Requests to POST /api/v1/events per minute per caller (user id, or client address without an account), with KINO_RATE_LIMIT on.',
    int(1, 1_000_000),
  ),
  ugcSinkConcurrency: v(
    'UGC_SINK_CONCURRENCY',
    '1',
    'Event batches the ugc-sink worker writes at once per process (NATS only; the in-process bus delivers one at a time).',
    int(1, 32),
  ),
  // files
  s3Endpoint: v(
    'S3_ENDPOINT',
    undefined,
    'S3-compatible server for posters and videos (MinIO, AWS, Ceph); unset = KINO_DATA_DIR/blobs on local disk.',
    url(['http:', 'https:']),
    'http://127.0.0.1:9000',
  ),
  s3Region: v('S3_REGION', 'us-east-1', 'Region of the S3 bucket.', text),
  s3Bucket: v('S3_BUCKET', 'kino-files', 'S3 bucket for files (created when missing).', text),
  s3AccessKeyId: v('S3_ACCESS_KEY_ID', undefined, 'S3 access key id.', text, 'minioadmin'),
  s3SecretAccessKey: v('S3_SECRET_ACCESS_KEY', undefined, 'S3 secret access key.', text, 'change-me'),
  filesMaxPoster: v('FILES_MAX_POSTER', '10mb', 'Largest poster accepted.', bytes),
  filesMaxVideo: v('FILES_MAX_VIDEO', '20gb', 'Largest video accepted.', bytes),
  filesMaxOther: v('FILES_MAX_OTHER', '100mb', 'Largest other file (subtitles, documents) accepted.', bytes),
  filesUploadsPerUser: v(
    'FILES_UPLOADS_PER_USER',
    '5',
    'Unfinished resumable (tus) uploads one user may hold at once; more are refused with 429.',
    int(1, 10_000),
  ),
  filesUploadStagedPerUser: v(
    'FILES_UPLOAD_STAGED_PER_USER',
    '50gb',
    "Declared bytes of one user's unfinished resumable uploads, staged in KINO_DATA_DIR/uploads; more are refused with 413.",
    bytes,
  ),
  filesLinkSecret: v(
    'FILES_LINK_SECRET',
    undefined,
    'Key that signs temporary download links on local disk and playback URLs of film videos; unset = generated into KINO_DATA_DIR (set it when several replicas serve files).',
    text,
    'a-long-random-string',
  ),
  playbackLinkTtl: v(
    'PLAYBACK_LINK_TTL',
    '21600',
    'Least lifetime in seconds of a playback URL (longer than a film); its expiry is rounded up to the next 10 minutes, so viewers share URLs and edge caches.',
    int(600, 7 * 86_400),
  ),
  ffmpegPath: v(
    'FFMPEG_PATH',
    undefined,
    'ffmpeg binary that packages and transcodes video; unset = ffmpeg on PATH, else the static build of the @ffmpeg-installer/ffmpeg package.',
    text,
    '/usr/bin/ffmpeg',
  ),
  ffprobePath: v(
    'FFPROBE_PATH',
    undefined,
    'ffprobe binary that reads uploaded media; unset = ffprobe on PATH, else the static build of the @ffprobe-installer/ffprobe package.',
    text,
    '/usr/bin/ffprobe',
  ),
  videoLeaseSeconds: v(
    'VIDEO_LEASE_SECONDS',
    '60',
    'Seconds a transcode worker holds a video job between renewals (it renews every third of that while it works); a worker that dies mid-job has its job taken over by another this long after its last renewal.',
    int(2, 3600),
  ),
  // notifications
  smtpUrl: v(
    'SMTP_URL',
    undefined,
    'SMTP server for outgoing mail (smtp:// or smtps://, credentials in the URL); unset = .eml files in KINO_DATA_DIR/mail.',
    url(['smtp:', 'smtps:']),
    'smtp://user:password@smtp.example.com:587',
  ),
  mailFrom: v('MAIL_FROM', 'Kinoservice <no-reply@kinoservice.local>', 'Sender of outgoing mail.', text),
  notifySigningKey: v(
    'NOTIFY_SIGNING_KEY',
    undefined,
    'Secret (at least 32 characters) that signs unsubscribe links; unset = generated into KINO_DATA_DIR. Set the same value on every replica.',
    (raw) => {
      if (raw.length < 32) throw new Invalid('must be at least 32 characters');
      return raw;
    },
    '<64 random hex characters>',
  ),
  notifyResetUrl: v(
    'NOTIFY_RESET_URL',
    undefined,
    'Front-end page that resets a password; the mail links to it with ?token=… (default PUBLIC_URL/account/reset-password, served by the auth module).',
    url(['http:', 'https:']),
    'https://cinema.example.com/reset-password',
  ),
  notifyMaxAttempts: v(
    'NOTIFY_MAX_ATTEMPTS',
    '8',
    'Delivery attempts (with exponential back-off) before a notification is dead-lettered.',
    int(1, 100),
  ),
  notifyPollMs: v(
    'NOTIFY_POLL_MS',
    '250',
    'How often the delivery loop looks for due notifications on its own; events and API calls wake it at once.',
    int(10, 600_000),
  ),
  notifyLivePollMs: v(
    'NOTIFY_LIVE_POLL_MS',
    '500',
    'How often open WebSockets look for inbox rows written by other processes; rows written in this process are pushed at once.',
    int(10, 600_000),
  ),
  notifyWsPerUser: v(
    'NOTIFY_WS_PER_USER',
    '10',
    'Live notification sockets one user may hold open in one process; the next is closed with 4429.',
    int(1, 10_000),
  ),
  notifyWsPerIp: v(
    'NOTIFY_WS_PER_IP',
    '50',
    'Live notification sockets one client address may hold open in one process; more are refused with 429.',
    int(1, 1_000_000),
  ),
  notifyWsUpgradesPerMinute: v(
    'NOTIFY_WS_UPGRADES_PER_MINUTE',
    '60',
    'WebSocket upgrade attempts per minute per client address (with KINO_RATE_LIMIT on); more are refused with 429.',
    int(1, 1_000_000),
  ),
  // tracing
  otelEndpoint: v(
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    undefined,
    'OpenTelemetry collector (OTLP/HTTP); traces are exported when set, tracing is off when unset. The other OTEL_* variables of the OpenTelemetry SDK apply too.',
    url(['http:', 'https:']),
    'http://127.0.0.1:4318',
  ),
  otelServiceName: v(
    'OTEL_SERVICE_NAME',
    undefined,
    'service.name of the spans (default kino-<modules> for kino serve, kino-worker-<names> for kino worker).',
    text,
    'kino-catalog',
  ),
} as const;

/** One social login provider (AUTH_OAUTH_PROVIDERS). */
export interface OAuthProviderConfig {
  readonly client_id: string;
  readonly client_secret?: string;
  /** OIDC issuer (discovery); required for names other than yandex, vk and google. */
  readonly issuer?: string;
  readonly scope?: string;
}

type SpecOf<S> = S extends VarSpec<infer T> ? T : never;
type Raw = {
  -readonly [K in keyof typeof SPEC]: (typeof SPEC)[K]['fallback'] extends string
    ? SpecOf<(typeof SPEC)[K]>
    : SpecOf<(typeof SPEC)[K]> | undefined;
};

export interface Config extends Readonly<Omit<Raw, 'dataDir'>> {
  /** Absolute path of KINO_DATA_DIR. */
  readonly dataDir: string;
  /** PUBLIC_URL or derived from HOST and PORT, without a trailing slash. */
  readonly baseUrl: string;
}

/** Thrown by loadConfig with every bad variable listed. */
export class ConfigError extends Error {
  readonly problems: readonly { env: string; message: string }[];
  constructor(problems: readonly { env: string; message: string }[]) {
    super(
      'Invalid configuration:\n' +
        problems.map((p) => `  - ${p.env}: ${p.message}`).join('\n') +
        '\nSee .env.example for every variable and its default.',
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Reads and validates the whole configuration; throws ConfigError listing every bad variable. */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
  overrides: Partial<Config> = {},
): Config {
  const out: Record<string, unknown> = {};
  const problems: { env: string; message: string }[] = [];
  for (const [key, spec] of Object.entries(SPEC) as [string, VarSpec<unknown>][]) {
    const given = env[spec.env];
    const raw = given === undefined || given === '' ? spec.fallback : given;
    if (raw === undefined) {
      out[key] = undefined;
      continue;
    }
    try {
      out[key] = spec.parse(raw);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      problems.push({ env: spec.env, message: `${error.message} (got ${JSON.stringify(redactValue(raw))})` });
    }
  }
  if (typeof out.metricsPort === 'number' && out.metricsPort !== 0 && out.metricsPort === out.port)
    problems.push({ env: 'METRICS_PORT', message: `must differ from PORT (both ${out.port})` });
  if (problems.length > 0) throw new ConfigError(problems);
  const dataDir = path.resolve(String(out.dataDir));
  const host = String(out.host);
  const displayHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const publicUrl =
    typeof out.publicUrl === 'string' ? out.publicUrl : `http://${displayHost}:${String(out.port)}`;
  const baseUrl = publicUrl.replace(/\/+$/, '');
  return Object.freeze({ ...(out as unknown as Config), dataDir, baseUrl, ...overrides });
}

/** Keeps passwords in URLs out of error messages. */
function redactValue(raw: string): string {
  return raw.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@');
}

/** The text of .env.example, generated from SPEC. */
export function envExample(): string {
  const lines = [
    '# Kinoservice configuration. Every variable is optional; the defaults give the all-in-one shape.',
    '',
  ];
  for (const spec of Object.values(SPEC) as VarSpec<unknown>[]) {
    lines.push(`# ${spec.doc}`);
    if (spec.fallback !== undefined) lines.push(`# ${spec.env}=${spec.fallback}`);
    else lines.push(`# ${spec.env}=${spec.example ?? ''}`);
    lines.push('');
  }
  return lines.join('\n');
}
