/**
 * `joblet init`: make a CA, a server certificate and admin/viewer client certificates, and write
 * them embedded in a ready-to-use joblet-config.yml (daemon) and rnx-config.yml (client). Both
 * files hold private keys, so they are created 0600 from the first byte and land atomically.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Command, Option } from 'clipanion';
import { BaseCommand } from '../base';
import { generateCa, issueClientCert, issueServerCert, serverCertHosts, type CertAndKey } from '../../shared/certs';
import { parseClientConfig } from '../../shared/config/client';
import { isDnsName, parseHostPort } from '../../shared/config/load';
import { ADDRESS_RULE, INSTANCE_PATTERN, INSTANCE_RULE, parseServerConfig, serverConfigSchema } from '../../shared/config/server';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError } from '../../shared/errors';

/** `joblet init`: write certificates and both config files. */
export class InitCommand extends BaseCommand {
  static override paths = [['init']];
  static override usage = Command.Usage({
    description: 'Create certificates and the server and client config files',
    details: `
      Makes a new CA, a server certificate (for localhost, 127.0.0.1, ::1, joblet, this host's name and every --host) and
      client certificates for the roles admin and viewer, and writes them into DIR/joblet-config.yml (for \`joblet serve\`)
      and DIR/rnx-config.yml (for \`rnx\`; node "default" is admin, node "viewer" is read-only). Both files are mode 0600.
      Existing files are kept unless --force is given; a new CA invalidates every client config made before.
    `,
    examples: [
      ['Set up a host with the defaults', 'joblet init'],
      ['Listen on one address and name the host in the certificate', 'joblet init --address 10.0.0.5:50051 --host build1.example.org'],
    ],
  });

  dir = Option.String('--dir', '/opt/joblet/config', { description: 'Directory for both files (created 0700 if missing)' });
  address = Option.String('--address', '0.0.0.0:50051', { description: 'HOST:PORT the daemon listens on' });
  stateDir = Option.String('--state-dir', '/opt/joblet', { description: 'Directory for job state and logs' });
  instance = Option.String('--instance', 'joblet', { description: 'Name of this daemon (cgroups, state); unique per host' });
  hosts = Option.Array('--host', [], { description: 'Extra DNS name or IP for the server certificate (repeatable)' });
  force = Option.Boolean('--force', false, { description: 'Overwrite existing config files' });

  async run(): Promise<number> {
    const listen = parseHostPort(this.address);
    if (!listen) throw new InvalidArgumentError(`--address ${ADDRESS_RULE} (got "${this.address}")`);
    if (!path.isAbsolute(this.stateDir)) throw new InvalidArgumentError(`--state-dir must be an absolute path (got "${this.stateDir}")`);
    if (!INSTANCE_PATTERN.test(this.instance)) throw new InvalidArgumentError(`--instance ${INSTANCE_RULE} (got "${this.instance}")`);
    for (const h of this.hosts) {
      if (!net.isIP(h) && !isDnsName(h.replace(/^\*\./, ''))) throw new InvalidArgumentError(`--host must be a DNS name or an IP address (got "${h}")`);
    }

    const dir = path.resolve(this.dir);
    const serverPath = path.join(dir, 'joblet-config.yml');
    const clientPath = path.join(dir, 'rnx-config.yml');
    // Check both before writing either, so a refusal leaves nothing half-done.
    if (!this.force) for (const p of [serverPath, clientPath]) if (exists(p)) throw alreadyExists(p);

    const wildcard = listen.host === '0.0.0.0' || listen.host === '::';
    const hosts = wildcard ? this.hosts : [listen.host, ...this.hosts];
    const ca = await generateCa();
    const server = await issueServerCert(ca, hosts);
    const admin = await issueClientCert(ca, 'admin');
    const viewer = await issueClientCert(ca, 'viewer');

    // Clients cannot connect to a wildcard address; give them loopback, which the certificate covers.
    const clientAddress = wildcard ? `127.0.0.1:${listen.port}` : formatHostPort(listen.host, listen.port);
    const serverText = renderServerConfig({ address: this.address, stateDir: path.resolve(this.stateDir), instance: this.instance }, ca, server);
    const clientText = renderClientConfig(clientAddress, ca, admin, viewer);
    // The files must load as written; a failure here is our bug, caught before anything lands on disk.
    parseServerConfig(serverText, serverPath);
    parseClientConfig(clientText, clientPath);

    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeSecretFile(serverPath, serverText, this.force);
    writeSecretFile(clientPath, clientText, this.force);

    this.out(`Wrote ${serverPath} (daemon config with the server certificate and key; mode 0600)`);
    this.out(`Wrote ${clientPath} (client config: node "default" is admin, node "viewer" is read-only; mode 0600)`);
    this.out(`Server certificate names: ${serverCertHosts(hosts).join(', ')}`);
    this.out('');
    this.out('Next steps:');
    this.out(`  joblet serve --config ${serverPath}`);
    this.out(`  RNX_CONFIG=${clientPath} rnx list`);
    this.out(`  On client machines: copy ${clientPath} to ~/.rnx/rnx-config.yml (it holds the admin key; keep it 0600)`);
    if (wildcard) this.out(`  and set each node's address to this host's name or IP (it is ${clientAddress} for local use).`);
    return 0;
  }
}

/** Values of the `server:` section that init sets from its flags. */
interface ServerFlags {
  address: string;
  stateDir: string;
  instance: string;
}

function renderServerConfig(flags: ServerFlags, ca: CertAndKey, server: CertAndKey): string {
  // Single source of defaults: the schema itself.
  const jobs = serverConfigSchema.shape.jobs.parse(undefined);
  const srv = serverConfigSchema.shape.server.parse(undefined);
  const net = serverConfigSchema.shape.network.parse(undefined);
  const sched = serverConfigSchema.shape.scheduling.parse(undefined);
  const mon = serverConfigSchema.shape.monitoring.parse(undefined);
  const wf = serverConfigSchema.shape.workflows.parse(undefined);
  return [
    `# joblet daemon configuration, written by \`joblet init\` on ${new Date().toISOString()}.`,
    '# It holds the server private key: keep it mode 0600, readable only by the user running `joblet serve`.',
    'version: "1"',
    'server:',
    `  address: ${q(flags.address)}  # HOST:PORT to listen on; IPv6 as "[::]:50051"`,
    `  stateDir: ${q(flags.stateDir)}  # job metadata and logs live here`,
    `  instance: ${q(flags.instance)}  # names this daemon's cgroups and state; unique per host`,
    `  logLevel: ${srv.logLevel}  # debug | info | warn | error`,
    `  maxMessageBytes: ${srv.maxMessageBytes}  # largest gRPC message accepted`,
    'security:',
    `  serverCert: ${block(server.cert, 4)}`,
    `  serverKey: ${block(server.key, 4)}`,
    `  caCert: ${block(ca.cert, 4)}`,
    'jobs:',
    `  uid: ${jobs.uid}  # unprivileged uid/gid jobs run as (never 0)`,
    `  gid: ${jobs.gid}`,
    `  userName: ${q(jobs.userName)}`,
    `  stopGraceSeconds: ${jobs.stopGraceSeconds}  # SIGTERM to SIGKILL grace for \`rnx stop\``,
    `  maxLogBytes: ${jobs.maxLogBytes}  # stored output per job: its beginning and its end (live followers get everything)`,
    `  tmpSizeMB: ${jobs.tmpSizeMB}  # size of each job's private /tmp`,
    `  nofile: ${jobs.nofile}  # open-file limit inside jobs`,
    `  maxConcurrentJobs: ${jobs.maxConcurrentJobs}`,
    `  warmPool: ${jobs.warmPool}  # init processes kept started for the next jobs; 0 starts each job cold`,
    `  uploadIdleSeconds: ${jobs.uploadIdleSeconds}  # an upload that sends nothing this long is aborted`,
    '  retention:  # finished jobs and their logs: keep for N days and/or only the newest N (0 = no bound)',
    `    days: ${jobs.retention.days}`,
    `    keep: ${jobs.retention.keep}`,
    'network:',
    `  defaultMode: ${net.defaultMode}  # network of jobs that ask for none: bridge | isolated | none`,
    `  bridgeCidr: ${q(net.bridgeCidr)}  # the built-in shared network (gateway: the first address)`,
    `  isolatedCidr: ${q(net.isolatedCidr)}  # the built-in network whose jobs reach only the outside`,
    `  mtu: ${net.mtu}  # MTU of job interfaces; 0 = that of the host's route to the outside`,
    'scheduling:',
    `  misfireGraceSeconds: ${sched.misfireGraceSeconds}  # a schedule missed while the daemon was down still runs at start-up if at most this late`,
    `  maxScheduledJobs: ${sched.maxScheduledJobs}  # one-shot jobs waiting at once`,
    `  maxSchedules: ${sched.maxSchedules}  # recurring schedules`,
    'monitoring:',
    `  jobIntervalSeconds: ${mon.jobIntervalSeconds}  # how often each running job's CPU, memory, IO and network are sampled (1-3600)`,
    `  retentionDays: ${mon.retentionDays}  # job metrics older than this are dropped (they also go with the job)`,
    `  cloudMetadata: ${mon.cloudMetadata}  # true: ask the cloud's instance-metadata service (HTTP, 1 s timeout) for region and zone`,
    'workflows:',
    `  maxJobs: ${wf.maxJobs}  # jobs in one workflow`,
    `  maxActive: ${wf.maxActive}  # workflows pending or running at once`,
    `  maxYamlBytes: ${wf.maxYamlBytes}  # largest workflow file`,
    '  retention:  # finished workflows, with their jobs and logs: keep for N days and/or only the newest N (0 = no bound)',
    `    days: ${wf.retention.days}`,
    `    keep: ${wf.retention.keep}`,
    '',
  ].join('\n');
}

function renderClientConfig(address: string, ca: CertAndKey, admin: CertAndKey, viewer: CertAndKey): string {
  const node = (name: string, c: CertAndKey) => [
    `  ${name}:`,
    `    address: ${q(address)}`,
    `    cert: ${block(c.cert, 6)}`,
    `    key: ${block(c.key, 6)}`,
    `    ca: ${block(ca.cert, 6)}`,
  ];
  return [
    `# rnx client configuration, written by \`joblet init\` on ${new Date().toISOString()}.`,
    '# Copy to ~/.rnx/rnx-config.yml on client machines; it holds private keys, keep it mode 0600.',
    '# Node "default" uses the admin certificate; node "viewer" may only read (status, logs, lists).',
    'version: "1"',
    'nodes:',
    ...node('default', admin),
    ...node('viewer', viewer),
    '',
  ].join('\n');
}

/** A YAML double-quoted scalar (JSON strings are valid YAML). */
function q(s: string): string {
  return JSON.stringify(s);
}

/** A literal block scalar ("|") holding a PEM, indented under its key. */
function block(pem: string, indent: number): string {
  const pad = ' '.repeat(indent);
  return '|\n' + pem.trim().split(/\r?\n/).map((l) => pad + l).join('\n');
}

function formatHostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function alreadyExists(p: string): AlreadyExistsError {
  return new AlreadyExistsError(`${p} already exists; pass --force to overwrite it (a new CA makes every earlier client config stop working)`);
}

/**
 * Write a file that holds secrets: created 0600 under a temporary name (O_EXCL, so never through
 * someone else's file or symlink), synced, then moved into place: rename() with --force, link()
 * otherwise, which fails atomically if the target appeared meanwhile.
 */
function writeSecretFile(target: string, text: string, force: boolean): void {
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    try {
      fs.writeFileSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (force) fs.renameSync(tmp, target);
    else fs.linkSync(tmp, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && !force) throw alreadyExists(target);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new FailedPreconditionError(`cannot write ${target}: ${code} (run as root or choose another --dir)`);
    throw new FailedPreconditionError(`cannot write ${target}: ${(err as Error).message}`);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}
