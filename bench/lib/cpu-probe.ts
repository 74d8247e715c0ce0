import * as fs from 'node:fs';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { BenchDaemon } from './daemon';
import { benchClient } from './client';
const cpu = (pid: number) => { const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
(async () => {
  const bytes = Number(process.argv[2] ?? 256) * 2 ** 20;
  const d = await BenchDaemon.start(path.resolve(__dirname, '../../dist/joblet'), {});
  const c = benchClient(d.rnxConfig);
  try {
    const srv = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'transport-server.ts'), d.serverConfig], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((r) => srv.stdout!.once('data', (x) => r(Number(String(x).trim()))));
    const fc = benchClient(d.rnxConfig, `127.0.0.1:${port}`);
    for await (const _ of fc.jobs.getJobLogs({ uuid: 'bytes:1000', noFollow: false })) { }
    for (let rep = 0; rep < 2; rep++) {
      let s0 = cpu(srv.pid!); let me0 = process.cpuUsage(); let t0 = performance.now(); let got = 0;
      for await (const x of fc.jobs.getJobLogs({ uuid: `bytes:${bytes}`, noFollow: false })) got += x.payload.length;
      let me = process.cpuUsage(me0);
      console.log(`floor : ${(bytes / 1e6 / ((performance.now() - t0) / 1000)).toFixed(1)} MB/s, server cpu ${cpu(srv.pid!) - s0} ms, client cpu ${((me.user + me.system) / 1000).toFixed(0)} ms, got ${got}`);
      s0 = cpu(d.pid); me0 = process.cpuUsage(); t0 = performance.now(); got = 0; let frames = 0;
      const r = await c.jobs.runJob({ command: 'head', args: ['-c', String(bytes), '/dev/zero'], network: 'none' } as any);
      for await (const x of c.jobs.getJobLogs({ uuid: r.job!.uuid, noFollow: false })) { got += x.payload.length; frames++; }
      me = process.cpuUsage(me0);
      console.log(`joblet: ${(bytes / 1e6 / ((performance.now() - t0) / 1000)).toFixed(1)} MB/s, daemon cpu ${cpu(d.pid) - s0} ms, client cpu ${((me.user + me.system) / 1000).toFixed(0)} ms, got ${got} in ${frames} chunks`);
    }
    fc.close(); srv.kill();
  } finally { c.close(); await d.stop(); }
})();
