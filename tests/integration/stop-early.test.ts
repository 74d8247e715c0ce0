/**
 * A job stopped while it is still being set up (its network, its cgroup) must not start running
 * afterwards: the stop ends it at once. Found by the console and MCP tests, whose clients stop a
 * job right after starting it over a connection that is already open; a stop that found no
 * process yet used to be forgotten, and the job then ran to its natural end.
 */
import { createClient } from 'nice-grpc';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JobServiceDefinition, type JobServiceClient } from '../../src/gen/joblet';
import { TestDaemon } from '../helpers/daemon';
import { nodePems, openChannel } from '../helpers/grpc';

let d: TestDaemon;

test.before(async () => {
  d = await TestDaemon.start();
});

test.after(async () => {
  await d?.destroy();
});

test('a job stopped right after it was started ends STOPPED at once, never waiting for its command', async () => {
  const pems = nodePems(d.rnxConfig, 'default');
  const channel = openChannel(pems.address, pems);
  const jobs: JobServiceClient = createClient(JobServiceDefinition, channel);
  try {
    for (let i = 0; i < 5; i++) {
      const { jobUuid } = await jobs.runJob({ command: 'sh', args: ['-c', 'echo ran; exec sleep 120'] });
      // A deadline far past the grace period: a forgotten stop would wait the whole two minutes.
      const stopped = await jobs.stopJob({ uuid: jobUuid }, { signal: AbortSignal.timeout(60_000) });
      assert.is(stopped.status, 'STOPPED');
      const final = await jobs.getJobStatus({ uuid: jobUuid });
      assert.is(final.status, 'STOPPED');
      // -1: stopped before its process existed (it never ran); 143/137: killed right after it started.
      assert.ok([-1, 143, 137].includes(final.exitCode), `exit code ${final.exitCode}`);
    }
  } finally {
    channel.close();
  }
});

test.run();
