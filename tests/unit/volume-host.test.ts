/** Reading the host's mounts and loop devices (against files of our own), and tmpfs inode caps. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryInodes, volumePaths } from '../../src/daemon/volumes/backing';
import { loopDevices, loopsBacking, mountsAt, mountsUnder, parseMountInfo, type HostPaths } from '../../src/daemon/volumes/host';

let tmp: string;
let host: HostPaths;

test.before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-volhost-'));
  host = { mountinfo: path.join(tmp, 'mountinfo'), sysBlock: path.join(tmp, 'sys', 'block'), dev: '/dev' };
  fs.writeFileSync(
    host.mountinfo,
    [
      '22 27 0:21 / /proc rw,relatime - proc proc rw',
      '44 27 7:0 / /srv/state/volumes/data/data rw,nosuid,nodev,relatime - ext4 /dev/loop0 rw',
      '45 27 0:50 / /srv/state/volumes/mem/data rw,nosuid,nodev,relatime shared:7 - tmpfs joblet-volume-mem rw,size=16384k',
      '46 45 0:51 / /srv/state/volumes/mem/data rw,relatime - tmpfs tmpfs rw',
      '47 27 7:1 / /srv/with\\040space rw - ext4 /dev/loop1 rw',
      '48 27 0:52 / /srv/state/volumes/database rw - tmpfs tmpfs rw',
      '',
    ].join('\n'),
  );
  const loop = (n: number, backing?: string) => {
    const dir = path.join(host.sysBlock, `loop${n}`);
    fs.mkdirSync(path.join(dir, 'loop'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'dev'), `7:${n}\n`);
    if (backing !== undefined) fs.writeFileSync(path.join(dir, 'loop', 'backing_file'), `${backing}\n`);
  };
  loop(0, '/srv/state/volumes/data/volume.img');
  loop(1, '/srv/state/volumes/old/volume.img (deleted)');
  loop(2); // detached: no backing_file
  loop(10, '/srv/state/volumes/data/volume.img');
  fs.mkdirSync(path.join(host.sysBlock, 'vda'), { recursive: true });
});
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('mountinfo lines are parsed, with optional fields and octal escapes', () => {
  const m = parseMountInfo(fs.readFileSync(host.mountinfo, 'utf8'));
  assert.is(m.length, 6);
  assert.equal(m[2], { dev: '0:50', mountPoint: '/srv/state/volumes/mem/data', fsType: 'tmpfs', source: 'joblet-volume-mem' });
  assert.is(m[4]!.mountPoint, '/srv/with space');
});

test('mounts at a directory include stacked ones; mounts under it do not match name prefixes', () => {
  assert.equal(mountsAt('/srv/state/volumes/mem/data', host).map((m) => m.dev), ['0:50', '0:51']);
  assert.equal(mountsAt('/srv/state/volumes/none', host), []);
  // "data" must not match "database".
  assert.equal(mountsUnder('/srv/state/volumes/data', host).map((m) => m.dev), ['7:0']);
});

test('attached loop devices are listed with their backing file; deleted files are marked', () => {
  const loops = loopDevices(host);
  assert.equal(loops.map((l) => l.path), ['/dev/loop0', '/dev/loop1', '/dev/loop10']);
  assert.equal(loops[1], { path: '/dev/loop1', dev: '7:1', backingFile: '/srv/state/volumes/old/volume.img', deleted: true });
  assert.equal(loopsBacking('/srv/state/volumes/data/volume.img', host).map((l) => l.dev), ['7:0', '7:10']);
  assert.equal(loopsBacking('/srv/state/volumes/data', host), []);
});

test('a host without /sys/block has no loop devices', () => {
  assert.equal(loopDevices({ ...host, sysBlock: path.join(tmp, 'nothing') }), []);
});

test('volume paths live in one directory per volume', () => {
  assert.equal(volumePaths('/srv/state/volumes', 'data'), {
    dir: '/srv/state/volumes/data',
    image: '/srv/state/volumes/data/volume.img',
    data: '/srv/state/volumes/data/data',
  });
});

test('memory volumes get one inode per 4 KiB of size, within 1024 and 2^20', () => {
  assert.is(memoryInodes(1024 ** 2), 1024);
  assert.is(memoryInodes(64 * 1024 ** 2), 16384);
  assert.is(memoryInodes(1024 ** 4), 1 << 20);
});

test.run();
