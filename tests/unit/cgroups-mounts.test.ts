/** Parsing /proc/self/mountinfo and /proc/self/cgroup into the hierarchies the managers use. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { detectCgroupLayout } from '../../src/sandbox/cgroups/detect';
import { CgroupFs } from '../../src/sandbox/cgroups/fs';
import { findHierarchies, parseCgroupMounts, parseProcCgroup } from '../../src/sandbox/cgroups/mounts';

// This machine's real text (hybrid; memory cgroup not at "/").
const HYBRID_MOUNTINFO = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const HYBRID_CGROUP = `9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/process_api/efde777efa1e3c3bfa1d981a8e78a94a
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
`;

const sysfs = new CgroupFs('/sys/fs/cgroup');

test('this host: hybrid, memory below /process_api, devices and name=systemd unused', () => {
  const layout = detectCgroupLayout({ fs: sysfs, mountinfo: HYBRID_MOUNTINFO, procSelfCgroup: HYBRID_CGROUP });
  assert.is(layout.kind, 'hybrid');
  const dirs = Object.fromEntries(layout.hierarchies.map((h) => [h.version === 2 ? 'v2' : h.controllers.join(','), h.ownDir]));
  assert.equal(dirs, {
    pids: '/sys/fs/cgroup/pids',
    blkio: '/sys/fs/cgroup/blkio',
    freezer: '/sys/fs/cgroup/freezer',
    memory: '/sys/fs/cgroup/memory/process_api/efde777efa1e3c3bfa1d981a8e78a94a',
    cpuset: '/sys/fs/cgroup/cpuset',
    cpuacct: '/sys/fs/cgroup/cpuacct',
    cpu: '/sys/fs/cgroup/cpu',
    v2: '/sys/fs/cgroup/unified',
  });
});

test('pure v2 under a systemd service; v1 without cgroup2', () => {
  const v2 = detectCgroupLayout({
    fs: sysfs,
    mountinfo: '25 21 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n',
    procSelfCgroup: '0::/system.slice/joblet.service\n',
  });
  assert.is(v2.kind, 'v2');
  assert.is(v2.hierarchies[0].ownDir, '/sys/fs/cgroup/system.slice/joblet.service');
  const v1 = detectCgroupLayout({
    fs: sysfs,
    mountinfo: '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct\n',
    procSelfCgroup: '2:cpu,cpuacct:/user.slice\n',
  });
  assert.is(v1.kind, 'v1');
  assert.equal(v1.hierarchies[0].controllers, ['cpu', 'cpuacct']);
  assert.is(v1.hierarchies[0].ownDir, '/sys/fs/cgroup/cpu,cpuacct/user.slice');
});

test('bind mounts of a sub-tree, escaped paths, mounts outside the root, unreachable paths', () => {
  const text =
    '50 40 0:29 /docker/abc /sys/fs/cgroup/my\\040cpu rw shared:1 master:2 - cgroup cgroup rw,cpu\n' +
    '51 40 0:29 / /elsewhere/cpu rw - cgroup cgroup rw,cpu\n' +
    '52 40 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n';
  const mounts = parseCgroupMounts(text);
  assert.is(mounts.length, 3);
  assert.is(mounts[0].mountPoint, '/sys/fs/cgroup/my cpu');
  assert.is(mounts[0].mountRoot, '/docker/abc');
  const hs = findHierarchies(text, '3:cpu:/docker/abc/sub\n4:memory:/../outside\n', sysfs);
  // /elsewhere is outside the root; memory's path escapes its namespace root and is unusable.
  assert.equal(
    hs.map((h) => h.ownDir),
    ['/sys/fs/cgroup/my cpu/sub'],
  );
});

test('/proc/self/cgroup parsing', () => {
  const p = parseProcCgroup('12:cpu,cpuacct:/a\n1:name=systemd:/b\n0::/c (deleted)\n');
  assert.equal(p.v1, [
    { controllers: ['cpu', 'cpuacct'], cgroupPath: '/a' },
    { controllers: ['name=systemd'], cgroupPath: '/b' },
  ]);
  assert.is(p.v2, '/c');
});

test.run();
