/**
 * Run a job: command, arguments, environment, limits, network, volumes, a runtime and files for
 * /work (drop them, or pick them), now, later (--schedule) or on a recurring schedule (--cron).
 * The `rnx run` command that does the same is shown as the form changes; the server's refusal, if
 * any, is shown as rnx would print it.
 */
import { useEffect, useState } from 'preact/hooks';
import { LIMIT_FLAGS, emptyRunSpec, runCommandLine, type RunLimitsText, type RunSpec, type RunTimingText } from '../../shared/run-spec';
import type { NetworkView, RuntimeView, VolumeView } from '../../shared/types';
import { runJob } from '../api/jobs';
import { listNetworks, listVolumes } from '../api/resources';
import { listRuntimes } from '../api/runtimes';
import { CommandBox, ErrorLine, Section } from '../components/bits';
import { size } from '../format';
import { href, navigate } from '../router';
import { useApp } from '../state';
import { clash, fromDirectoryPicker, fromDrop, fromFiles, setExecutable, type PickedUpload } from '../uploads';

/** What each limit field asks for. */
const LIMIT_HINTS: Record<keyof RunLimitsText, [string, string]> = {
  maxCpu: ['CPU', '% of a core, e.g. 150'],
  cpuCores: ['Cores', 'e.g. 0-1 or 0,2'],
  maxMemory: ['Memory', 'MB, e.g. 512'],
  maxIobps: ['I/O', 'bytes per second'],
  maxPids: ['Processes', 'e.g. 100'],
  maxDisk: ['Disk (/work)', 'e.g. 10MB'],
  timeout: ['Timeout', 'e.g. 90s, 5m, 2h30m'],
};

/** Lines of a textarea; a trailing empty line is not an entry. */
function lines(text: string): string[] {
  const l = text.split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
}

/** The run form. */
export function RunPage() {
  const { node, features } = useApp();
  const [command, setCommand] = useState('');
  const [argsText, setArgsText] = useState('');
  const [envText, setEnvText] = useState('');
  const [workdir, setWorkdir] = useState('');
  const [network, setNetwork] = useState('');
  const [volumes, setVolumes] = useState<string[]>([]);
  const [runtime, setRuntime] = useState('');
  const [limits, setLimits] = useState<RunLimitsText>(emptyRunSpec().limits);
  const [timing, setTiming] = useState<RunTimingText>(emptyRunSpec().timing!);
  const [picked, setPicked] = useState<PickedUpload[]>([]);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [over, setOver] = useState(false);
  const [choices, setChoices] = useState<{ networks: NetworkView[]; volumes: VolumeView[]; runtimes: RuntimeView[] } | undefined>();

  useEffect(() => {
    // A server without runtimes (UNIMPLEMENTED) still gets the form, with the host's /usr as the only choice.
    const runtimes = listRuntimes(node.name).catch((): RuntimeView[] => []);
    Promise.all([listNetworks(node.name), listVolumes(node.name), runtimes]).then(
      ([networks, vols, rts]) => setChoices({ networks, volumes: vols, runtimes: rts.filter((r) => r.status === 'installed') }),
      (err: Error) => setError(err.message),
    );
  }, [node.name]);

  // Lines as rnx reads --env values: the key is what comes before the first '='.
  const envLines = lines(envText).filter((l) => l.trim());
  const envPairs = envLines.filter((l) => l.indexOf('=') > 0).map((l): [string, string] => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
  const badEnv = envLines.find((l) => l.indexOf('=') <= 0);
  const spec: RunSpec = {
    command: command.trim(),
    args: lines(argsText),
    env: envPairs,
    workdir,
    limits,
    network,
    volumes,
    runtime,
    uploadSources: picked.map((p) => p.source),
    timing,
  };
  const problem = badEnv !== undefined ? `--env ${badEnv}: use KEY=VALUE` : clash(picked);
  const commandLine = runCommandLine(spec.command ? spec : { ...spec, command: 'COMMAND' }, node.isDefault ? undefined : node.name);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (problem) return setError(problem);
    setBusy(true);
    setError('');
    try {
      const made = await runJob(
        node.name,
        spec,
        picked.flatMap((p) => p.files),
      );
      navigate('schedule' in made ? href(node.name, ['schedules']) : href(node.name, ['jobs', made.id]));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const add = (more: PickedUpload[]) => setPicked((p) => [...p, ...more]);

  return (
    <form class="run" onSubmit={submit} data-testid="run-form">
      <div class="page-head">
        <h1>Run a job</h1>
      </div>
      <Section title="Command">
        <label class="field">
          <span>Program</span>
          <input required value={command} onInput={(e) => setCommand(e.currentTarget.value)} placeholder="e.g. python3, sh, make" name="command" autocomplete="off" />
        </label>
        <label class="field">
          <span>Arguments, one per line</span>
          <textarea rows={3} value={argsText} onInput={(e) => setArgsText(e.currentTarget.value)} name="args" placeholder={'-c\necho hello'} />
        </label>
        <label class="field">
          <span>Environment, KEY=VALUE per line (--env)</span>
          <textarea rows={2} value={envText} onInput={(e) => setEnvText(e.currentTarget.value)} name="env" placeholder="MODE=ci" />
        </label>
        <label class="field">
          <span>Working directory (--workdir)</span>
          <input value={workdir} onInput={(e) => setWorkdir(e.currentTarget.value)} placeholder="/work" name="workdir" />
        </label>
      </Section>
      <Section title="Files for /work (--upload, --upload-dir)">
        <div
          class={`drop${over ? ' over' : ''}`}
          data-testid="drop"
          onDragOver={(e) => {
            e.preventDefault();
            setOver(true);
          }}
          onDragLeave={() => setOver(false)}
          onDrop={async (e) => {
            e.preventDefault();
            setOver(false);
            if (e.dataTransfer) add(await fromDrop(e.dataTransfer));
          }}
        >
          <p>Drop files or folders here — a file lands in /work under its name, a folder's contents land in /work.</p>
          <div class="row">
            <label class="btn small ghost">
              Choose files
              <input type="file" multiple class="hidden" name="files" onChange={(e) => {
                  add(fromFiles(e.currentTarget.files!));
                  e.currentTarget.value = '';
                }} />
            </label>
            <label class="btn small ghost">
              Choose a folder
              <input type="file" class="hidden" {...{ webkitdirectory: '' }} onChange={(e) => {
                  add(fromDirectoryPicker(e.currentTarget.files!));
                  e.currentTarget.value = '';
                }} />
            </label>
          </div>
        </div>
        {picked.length > 0 && (
          <ul class="uploads" data-testid="uploads">
            {picked.map((p, i) => (
              <li key={`${p.source.name}-${i}`}>
                <span class="mono">{p.source.kind === 'dir' ? `${p.source.name}/ → /work (${p.files.filter((f) => !f.entry.isDirectory).length} files)` : `${p.source.name} → /work/${p.source.name}`}</span>
                <span class="muted">{size(p.files.reduce((n, f) => n + f.entry.size, 0))}</span>
                {p.source.kind === 'file' && (
                  <label class="small">
                    <input
                      type="checkbox"
                      checked={(p.files[0]!.entry.mode & 0o111) !== 0}
                      onChange={(e) => {
                        const on = e.currentTarget.checked;
                        setPicked((all) => all.map((q, j) => (j === i ? { ...q, files: q.files.map((f) => setExecutable(f, on)) } : q)));
                      }}
                    />{' '}
                    executable
                  </label>
                )}
                <button type="button" class="btn small ghost" onClick={() => setPicked((all) => all.filter((_, j) => j !== i))}>
                  Remove
                </button>
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Network, volumes and runtime">
        <label class="field">
          <span>Network (--network)</span>
          <select value={network} onChange={(e) => setNetwork(e.currentTarget.value)} name="network">
            <option value="">the server's default</option>
            {(choices?.networks ?? []).map((n) => (
              <option key={n.name} value={n.name}>
                {n.name}
                {n.cidr ? ` (${n.cidr})` : ''}
              </option>
            ))}
          </select>
        </label>
        <fieldset class="field">
          <legend>Volumes (--volume), mounted at /volumes/NAME</legend>
          {choices && choices.volumes.length === 0 && <p class="muted small">No volumes on this node.</p>}
          {(choices?.volumes ?? []).map((v) => (
            <label key={v.name} class="check">
              <input type="checkbox" checked={volumes.includes(v.name)} disabled={!!v.problem} onChange={(e) => setVolumes((all) => (e.currentTarget.checked ? [...all, v.name] : all.filter((x) => x !== v.name)))} /> {v.name}{' '}
              <span class="muted">
                {v.size} {v.type}
                {v.problem ? ` — ${v.problem}` : ''}
              </span>
            </label>
          ))}
        </fieldset>
        <RuntimeField runtimes={choices?.runtimes ?? []} value={runtime} onChange={setRuntime} />
      </Section>
      <Section title="Limits (empty = the server's default)">
        <div class="limits">
          {LIMIT_FLAGS.map(([key, flag]) => (
            <label class="field" key={key}>
              <span>
                {LIMIT_HINTS[key][0]} <code>{flag}</code>
              </span>
              <input value={limits[key]} name={key} placeholder={LIMIT_HINTS[key][1]} onInput={(e) => setLimits({ ...limits, [key]: e.currentTarget.value })} autocomplete="off" />
            </label>
          ))}
        </div>
      </Section>
      {features?.schedules.available && <TimingSection timing={timing} onChange={setTiming} />}
      <CommandBox command={commandLine} />
      <ErrorLine message={error || problem} />
      <div class="row end">
        <button type="submit" class="btn primary" disabled={busy || !command.trim()} data-testid="submit">
          {busy ? 'Starting…' : timing.cron.trim() ? 'Create schedule' : timing.schedule.trim() ? 'Schedule job' : 'Run job'}
        </button>
      </div>
    </form>
  );
}

/** The runtime select: the node's installed runtimes (broken ones left out), or the host's /usr (no --runtime). */
function RuntimeField({ runtimes, value, onChange }: { runtimes: RuntimeView[]; value: string; onChange: (v: string) => void }) {
  // NAME picks the newest installed version, as with rnx; NAME@VERSION only when several are installed.
  const several = (name: string) => runtimes.filter((r) => r.name === name).length > 1;
  return (
    <label class="field">
      <span>Runtime (--runtime), in place of the server's /usr</span>
      <select name="runtime" value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">host /usr (none)</option>
        {runtimes.map((r) => {
          const ref = several(r.name) ? `${r.name}@${r.version}` : r.name;
          return (
            <option key={`${r.name}@${r.version}`} value={ref}>
              {`${ref} — ${`${r.language} ${r.languageVersion}`.trim()}`}
            </option>
          );
        })}
      </select>
    </label>
  );
}

/** When to run: now, once later, or on a recurring schedule (whose own fields need a cron expression). */
function TimingSection({ timing, onChange }: { timing: RunTimingText; onChange: (t: RunTimingText) => void }) {
  const set = (k: keyof RunTimingText) => (e: { currentTarget: { value: string } }) => onChange({ ...timing, [k]: e.currentTarget.value });
  const recurring = !!timing.cron.trim();
  return (
    <Section title="When (empty = now)">
      <div class="limits">
        <label class="field">
          <span>
            Once, later <code>--schedule</code>
          </span>
          <input name="schedule" value={timing.schedule} onInput={set('schedule')} placeholder="30s, 1h30m, 14:30 or RFC3339" autocomplete="off" disabled={recurring} />
        </label>
        <label class="field">
          <span>
            Recurring <code>--cron</code>
          </span>
          <input name="cron" value={timing.cron} onInput={set('cron')} placeholder="*/5 * * * *, @daily, @every 90s" autocomplete="off" disabled={!!timing.schedule.trim()} />
        </label>
        <label class="field">
          <span>
            Time zone <code>--cron-tz</code>
          </span>
          <input name="cronTz" value={timing.cronTz} onInput={set('cronTz')} placeholder="server's, or e.g. Europe/Berlin" autocomplete="off" disabled={!recurring} />
        </label>
        <label class="field">
          <span>
            If still running <code>--concurrency</code>
          </span>
          <select name="concurrency" value={timing.concurrency} onChange={set('concurrency')} disabled={!recurring}>
            <option value="">allow (default)</option>
            <option value="forbid">forbid: skip</option>
            <option value="replace">replace: stop it</option>
          </select>
        </label>
        <label class="field">
          <span>
            Schedule name <code>--name</code>
          </span>
          <input name="scheduleName" value={timing.name} onInput={set('name')} placeholder="e.g. nightly-report" autocomplete="off" disabled={!recurring} />
        </label>
      </div>
    </Section>
  );
}
