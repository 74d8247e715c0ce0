/**
 * The daemon's config file, joblet-config.yml: schema, defaults and loading. Every object is
 * strict so a misspelt key is refused instead of silently ignored; every key but the three PEMs
 * has a default. `joblet init` writes a complete file (src/cli/admin/init.ts).
 */
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { z } from 'zod';
import { overlaps, parseCidr, parseNetworkCidr } from '../cidr';
import { intIn, parseHostPort, parseYaml, pemBlocks, pemField, readFirstConfig, validate, versionField } from './load';

/** Network modes the server may give a job that names none (`network.defaultMode`). */
export const NETWORK_MODES = ['bridge', 'isolated', 'none'] as const;

/** Default config file location, also where `joblet init` writes by default. */
export const DEFAULT_SERVER_CONFIG_PATH = '/opt/joblet/config/joblet-config.yml';

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** Message for a bad listen address; also used by `joblet init --address`. */
export const ADDRESS_RULE = 'must be HOST:PORT with a port 1-65535';
/** Message for a bad instance name; also used by `joblet init --instance`. */
export const INSTANCE_RULE = 'must be 1-12 characters of a-z, 0-9 and -';
/** Pattern of an instance name: it becomes part of cgroup and interface names, hence short. */
export const INSTANCE_PATTERN = /^[a-z0-9-]{1,12}$/;

const serverSection = z
  .object({
    address: z.string().refine((v) => parseHostPort(v) !== undefined, ADDRESS_RULE).default('0.0.0.0:50051'),
    stateDir: z
      .string()
      .refine((v) => path.isAbsolute(v) && !v.includes('\0') && path.resolve(v) !== '/', 'must be an absolute path other than /')
      .transform((v) => path.resolve(v))
      .default('/opt/joblet'),
    instance: z.string().regex(INSTANCE_PATTERN, INSTANCE_RULE).default('joblet'),
    logLevel: z
      .preprocess(
        (v) => (typeof v === 'string' ? v.toLowerCase() : v),
        z.enum(LOG_LEVELS, { errorMap: () => ({ message: `must be one of ${LOG_LEVELS.join(', ')} (any case)` }) }),
      )
      .default('info'),
    maxMessageBytes: intIn(1024, 2147483647).default(16 * 1024 * 1024),
  })
  .strict()
  .default({});

const BEGIN_CERT = /-----BEGIN CERTIFICATE-----/;
const BEGIN_KEY = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/;
const INIT_HINT = '`joblet init` writes one into the config';

const securitySection = z
  .object({
    serverCert: pemField('the server certificate', BEGIN_CERT, INIT_HINT),
    serverKey: pemField("the server certificate's private key", BEGIN_KEY, INIT_HINT),
    caCert: pemField('the CA certificate that signs client certificates', BEGIN_CERT, INIT_HINT),
  })
  .strict()
  .superRefine((sec, ctx) => {
    const problem = (key: string, message: string) => ctx.addIssue({ code: 'custom', path: [key], message, params: { noGot: true } });
    const server = parseCerts(sec.serverCert);
    if (typeof server === 'string') return problem('serverCert', server);
    const ca = parseCerts(sec.caCert);
    if (typeof ca === 'string') return problem('caCert', ca);
    let key: crypto.KeyObject;
    try {
      key = crypto.createPrivateKey(sec.serverKey);
    } catch (err) {
      return problem('serverKey', `is not a valid private key (${(err as Error).message})`);
    }
    const leaf = server[0]!;
    if (!leaf.checkPrivateKey(key)) problem('serverKey', 'does not belong to security.serverCert (the key and certificate come from different pairs)');
    if (Date.parse(leaf.validTo) < Date.now()) problem('serverCert', `expired on ${new Date(leaf.validTo).toISOString()}; make new certificates with \`joblet init --force\``);
    if (!ca.some((c) => c.ca)) problem('caCert', 'is not a CA certificate (basicConstraints CA:TRUE missing)');
  });

/** Every PEM certificate in a text, parsed; a string describes why one did not parse. */
function parseCerts(text: string): crypto.X509Certificate[] | string {
  const blocks = pemBlocks(text, 'CERTIFICATE');
  if (blocks.length === 0) return 'is not a valid certificate (no complete BEGIN/END CERTIFICATE block)';
  const certs: crypto.X509Certificate[] = [];
  for (const [i, block] of blocks.entries()) {
    try {
      certs.push(new crypto.X509Certificate(block));
    } catch (err) {
      return `is not a valid certificate${blocks.length > 1 ? ` (block ${i + 1})` : ''}: ${(err as Error).message}`;
    }
  }
  return certs;
}

const jobsSection = z
  .object({
    // 0 (root) is refused: jobs must never run with the daemon's identity.
    uid: intIn(1, 2 ** 31).default(65534),
    gid: intIn(1, 2 ** 31).default(65534),
    userName: z
      .string()
      .regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a user name: 1-32 characters of a-z, 0-9, _ and -, not starting with a digit or -')
      .default('job'),
    stopGraceSeconds: intIn(0, 3600).default(5),
    maxLogBytes: intIn(4096, 2 ** 40).default(64 * 1024 * 1024),
    tmpSizeMB: intIn(1, 1024 * 1024).default(64),
    nofile: intIn(16, 1048576).default(1024),
    maxConcurrentJobs: intIn(1, 100000).default(200),
    // An upload (RunJobStreaming) that sends nothing for this long is aborted and its workspace freed.
    uploadIdleSeconds: intIn(1, 3600).default(60),
    // Finished jobs (with their logs) are kept this many days and/or only the newest this many; 0 = no bound.
    retention: z
      .object({
        days: intIn(0, 36500).default(0),
        keep: intIn(0, 10_000_000).default(10_000),
      })
      .strict()
      .default({}),
    // The stored log keeps its first logHeadBytes and its last (maxLogBytes - logHeadBytes) bytes;
    // unset: 4 MiB, or a quarter of maxLogBytes when that is smaller.
    logHeadBytes: intIn(0, 2 ** 39).optional(),
    // Init processes kept started (Node loaded, waiting for a job); 0 starts every job cold.
    warmPool: intIn(0, 64).default(2),
    // A warm init idle this long is replaced by a fresh one.
    warmPoolMaxIdleSeconds: intIn(10, 86400).default(600),
  })
  .strict()
  .superRefine((j, ctx) => {
    if (j.logHeadBytes !== undefined && j.logHeadBytes > j.maxLogBytes / 2) {
      ctx.addIssue({ code: 'custom', path: ['logHeadBytes'], message: `must be at most half of jobs.maxLogBytes (${Math.floor(j.maxLogBytes / 2)}), so the end of the output is kept too`, params: { noGot: true } });
    }
  })
  .transform((j) => ({ ...j, logHeadBytes: j.logHeadBytes ?? Math.min(4 * 1024 * 1024, Math.floor(j.maxLogBytes / 4)) }))
  .default({});

/** One-shot and recurring schedules. */
const schedulingSection = z
  .object({
    // A scheduled job or a cron firing missed while the daemon was down still runs (once) at
    // start-up when it is late by at most this; otherwise the job fails as missed / the miss is noted.
    misfireGraceSeconds: intIn(0, 31622400).default(3600),
    maxScheduledJobs: intIn(1, 1_000_000).default(1000),
    maxSchedules: intIn(1, 100_000).default(1000),
  })
  .strict()
  .default({});

/** Workflows (YAML pipelines of jobs). */
const workflowsSection = z
  .object({
    maxJobs: intIn(1, 100_000).default(1000),
    // Workflows pending or running at once; each holds its PENDING jobs' records.
    maxActive: intIn(1, 100_000).default(100),
    maxYamlBytes: intIn(1024, 64 * 1024 * 1024).default(1024 * 1024),
    // Finished workflows (with their jobs and logs) kept this many days and/or only the newest this many; 0 = no bound.
    retention: z
      .object({
        days: intIn(0, 36500).default(0),
        keep: intIn(0, 10_000_000).default(1000),
      })
      .strict()
      .default({}),
  })
  .strict()
  .default({});

/**
 * Resource limits: defaults fill what a job did not ask for (memory and pids always finite), and
 * ceilings bound what anyone may ask for. A ceiling of 0 means "what the host has" for CPU and
 * memory, and "none" for I/O.
 */
const limitsSection = z
  .object({
    defaultMemoryMB: intIn(4, 4194304).default(512),
    defaultPids: intIn(8, 4194304).default(512),
    defaultCpuPercent: intIn(0, 409600).default(0),
    defaultIoBps: intIn(0, 2147483647).default(0),
    defaultTimeoutSeconds: intIn(0, 31622400).default(0),
    defaultDiskQuotaBytes: intIn(65536, 2 ** 40).default(1048576),
    maxCpuPercent: intIn(0, 409600).default(0),
    maxMemoryMB: intIn(0, 4194304).default(0),
    maxPids: intIn(8, 4194304).default(32768),
    maxIoBps: intIn(0, 2147483647).default(0),
    maxTimeoutSeconds: intIn(1, 31622400).default(7 * 24 * 3600),
    maxDiskBytes: intIn(65536, 2 ** 40).default(1024 ** 3),
  })
  .strict()
  .superRefine((l, ctx) => {
    const over = (key: string, def: number, max: number) => {
      if (max > 0 && def > max) ctx.addIssue({ code: 'custom', path: [key], message: `must not exceed its ceiling (${max})`, params: { noGot: true } });
    };
    over('defaultMemoryMB', l.defaultMemoryMB, l.maxMemoryMB);
    over('defaultPids', l.defaultPids, l.maxPids);
    over('defaultCpuPercent', l.defaultCpuPercent, l.maxCpuPercent);
    over('defaultIoBps', l.defaultIoBps, l.maxIoBps);
    over('defaultTimeoutSeconds', l.defaultTimeoutSeconds, l.maxTimeoutSeconds);
    over('defaultDiskQuotaBytes', l.defaultDiskQuotaBytes, l.maxDiskBytes);
  })
  .default({});

/** A job network's IPv4 block, checked like `rnx network create --cidr` checks it. */
const networkCidr = z.string().superRefine((v, ctx) => {
  try {
    parseNetworkCidr(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^CIDR /, ''), params: { noGot: true } });
  }
});

/**
 * Job networks: the mode a job gets when it asks for none, and the blocks of the two built-in
 * networks (each gets a bridge; the gateway is the first address).
 */
const networkSection = z
  .object({
    defaultMode: z.enum(NETWORK_MODES, { errorMap: () => ({ message: `must be one of ${NETWORK_MODES.join(', ')}` }) }).default('bridge'),
    bridgeCidr: networkCidr.default('172.20.0.0/16'),
    isolatedCidr: networkCidr.default('172.21.0.0/16'),
    // Job attachments (namespace, veth, address) prepared in advance per network in use; 0: none.
    warmLinks: intIn(0, 64).default(2),
    // 0: the MTU of the host's route to the outside; else 576 (IPv4's minimum datagram) to 65535.
    mtu: z
      .number({ invalid_type_error: 'must be a number: 0 (the MTU of the host\'s route to the outside) or 576-65535' })
      .int('must be a whole number')
      .refine((v) => v === 0 || (v >= 576 && v <= 65535), 'must be 0 (the MTU of the host\'s route to the outside) or 576-65535')
      .default(0),
  })
  .strict()
  .superRefine((n, ctx) => {
    try {
      if (overlaps(parseCidr(n.bridgeCidr), parseCidr(n.isolatedCidr))) {
        ctx.addIssue({ code: 'custom', path: ['isolatedCidr'], message: `overlaps network.bridgeCidr (${n.bridgeCidr}); give the two networks separate blocks`, params: { noGot: true } });
      }
    } catch {
      /* each field already reported its own syntax problem */
    }
  })
  .default({});

/**
 * Volumes: the largest volume anyone may create (filesystem volumes must also fit the free disk),
 * and the RAM all memory volumes may take together (0: half the host's RAM).
 */
const volumesSection = z
  .object({
    maxSizeBytes: intIn(1024 ** 2, 1024 ** 5).default(1024 ** 4),
    maxMemoryBytes: intIn(0, 1024 ** 5).default(0),
  })
  .strict()
  .default({});

/**
 * Runtimes (src/daemon/runtimes/): where builds cache downloaded packages (shared by every daemon
 * on the host), the host id range a build's user namespace maps onto, what a build may use, and
 * which archive it installs from ([] = the host's own configured Debian/Ubuntu archive).
 */
const runtimesSection = z
  .object({
    aptCacheDir: z
      .string()
      .refine((v) => path.isAbsolute(v) && !v.includes('\0') && path.resolve(v) !== '/', 'must be an absolute path other than /')
      .transform((v) => path.resolve(v))
      .default('/var/cache/joblet/apt'),
    aptCacheMaxMB: intIn(64, 1024 * 1024).default(4096),
    // uids/gids buildIdBase … buildIdBase+65535 become root … 65535 inside a build; nothing else may use them.
    buildIdBase: intIn(65536, 2 ** 32 - 65536 - 2).default(1_500_000_000),
    buildMemoryMB: intIn(256, 4194304).default(2048),
    buildTimeoutSeconds: intIn(60, 86400).default(3600),
    buildNetwork: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be a network name: none, isolated, bridge or a custom network').default('isolated'),
    minFreeMB: intIn(1, 1024 * 1024).default(1024),
    sources: z
      .array(z.string().regex(/^deb\s+(\[[^\]\n]*\]\s+)?\S+\s+\S+(\s+\S+)*$/, 'must be one-line apt source entries: "deb [options] URI SUITE COMPONENT..."'))
      .default([]),
  })
  .strict()
  .default({});

/**
 * Monitoring: how often each running job's cgroup is sampled, how long samples are kept, and
 * whether cloud instance metadata may be looked up over HTTP (off by default: DMI/SMBIOS only).
 */
const monitoringSection = z
  .object({
    jobIntervalSeconds: intIn(1, 3600).default(5),
    retentionDays: intIn(1, 3650).default(7),
    cloudMetadata: z.boolean({ invalid_type_error: 'must be true or false' }).default(false),
  })
  .strict()
  .default({});

/** Schema of joblet-config.yml. */
export const serverConfigSchema = z
  .object({
    version: versionField(['1']).default('1'),
    server: serverSection,
    security: securitySection,
    jobs: jobsSection,
    limits: limitsSection,
    network: networkSection,
    volumes: volumesSection,
    runtimes: runtimesSection,
    scheduling: schedulingSection,
    monitoring: monitoringSection,
    workflows: workflowsSection,
  })
  .strict();

/** The daemon's validated configuration, defaults filled in. */
export type ServerConfig = z.infer<typeof serverConfigSchema>;

/** Where the daemon looks for its config, in order (the first existing file wins). */
export const SERVER_CONFIG_SEARCH = (env: NodeJS.ProcessEnv = process.env): string[] => {
  const list: string[] = [];
  if (env.JOBLET_CONFIG_PATH) list.push(env.JOBLET_CONFIG_PATH);
  list.push(DEFAULT_SERVER_CONFIG_PATH, path.resolve('joblet-config.yml'), '/etc/joblet/joblet-config.yml');
  return list;
};

/** Parse and validate the text of a server config; `source` prefixes error messages. Throws ConfigError. */
export function parseServerConfig(text: string, source: string): ServerConfig {
  return validate(serverConfigSchema, parseYaml(text, source), source);
}

/**
 * Find, read and validate the server config: `flagPath` (from --config) if given, else
 * $JOBLET_CONFIG_PATH if set (both must exist), else the first existing file of the search list.
 */
export function loadServerConfig(flagPath?: string, env: NodeJS.ProcessEnv = process.env): { config: ServerConfig; path: string } {
  const explicit = flagPath
    ? { path: flagPath, from: '--config' }
    : env.JOBLET_CONFIG_PATH
      ? { path: env.JOBLET_CONFIG_PATH, from: '$JOBLET_CONFIG_PATH' }
      : undefined;
  const found = readFirstConfig({
    explicit,
    candidates: SERVER_CONFIG_SEARCH(env),
    notFoundHint: `create one with \`joblet init\` (writes ${DEFAULT_SERVER_CONFIG_PATH}; --dir DIR for another place) or pass --config PATH`,
  });
  return { config: parseServerConfig(found.text, found.path), path: found.path };
}
