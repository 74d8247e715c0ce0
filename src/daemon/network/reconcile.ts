/**
 * Start-up clean-up of what jobs of an earlier run of this daemon left on the host: after a crash
 * (kill -9, power loss) their named network namespaces and veth pairs remain. At start-up no job
 * of ours runs, so every such object is stale. Only objects whose name or alias says they are
 * this instance's are touched.
 */
import * as fs from 'node:fs';
import { deleteLink, deleteNetns, listLinks, NETNS_DIR } from './links';
import { aliasPrefix, isSpareNetns, jobOfNetns } from './names';
import type { HostTools } from './tools';

/** Remove this instance's job veths and namespaces; `log` names each removed object. */
export async function removeStaleJobObjects(tools: HostTools, instance: string, log: (msg: string) => void): Promise<void> {
  const jobAlias = `${aliasPrefix(instance)}job/`;
  const spareAlias = `${aliasPrefix(instance)}spare/`;
  for (const l of await listLinks(tools)) {
    if (l.ifalias?.startsWith(jobAlias)) {
      await deleteLink(tools, l.ifname);
      log(`removed interface ${l.ifname} of job ${l.ifalias.slice(jobAlias.length)} (left by an earlier run)`);
    } else if (l.ifalias?.startsWith(spareAlias)) {
      await deleteLink(tools, l.ifname); // an attachment prepared for a job that never came
    }
  }
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(NETNS_DIR);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  for (const name of entries) {
    if (isSpareNetns(instance, name)) {
      await deleteNetns(tools, name);
      continue;
    }
    const job = jobOfNetns(instance, name);
    if (!job) continue;
    await deleteNetns(tools, name);
    log(`removed network namespace ${name} of job ${job} (left by an earlier run)`);
  }
}
