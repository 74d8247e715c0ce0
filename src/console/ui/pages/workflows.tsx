/**
 * Workflows: the newest workflows with their progress (refreshed every few seconds), and a form
 * that runs a workflow file — picked from disk, then shown (and editable) before it is sent.
 */
import { useState } from 'preact/hooks';
import { shellQuote } from '../../shared/run-spec';
import type { WorkflowView } from '../../shared/types';
import { listWorkflows, runWorkflow } from '../api/workflows';
import { CommandBox, ErrorLine, Section, StatusBadge } from '../components/bits';
import { duration, localTime, shortId } from '../format';
import { usePolled } from '../polled';
import { href, navigate } from '../router';
import { useApp } from '../state';

/** The workflows list. */
export function WorkflowsPage() {
  const { node } = useApp();
  const { value, error } = usePolled(() => listWorkflows(node.name), [node.name]);
  return (
    <div>
      <div class="page-head">
        <h1>Workflows</h1>
      </div>
      {!node.readOnly && <RunWorkflowForm />}
      <ErrorLine message={error} />
      {!value ? (
        !error && <p class="muted">Loading workflows…</p>
      ) : value.length === 0 ? (
        <p class="empty">No workflows on this node yet.</p>
      ) : (
        <table class="table" data-testid="workflows">
          <thead>
            <tr>
              <th>ID</th>
              <th>Name</th>
              <th>Status</th>
              <th>Progress</th>
              <th>Created</th>
              <th>Duration</th>
            </tr>
          </thead>
          <tbody>
            {value.map((w: WorkflowView) => (
              <tr key={w.id} data-workflow={w.id}>
                <td>
                  <a class="mono" href={href(node.name, ['workflows', w.id])} title={w.id}>
                    {shortId(w.id)}
                  </a>
                </td>
                <td>
                  {w.name}
                  <div class="muted small">
                    {w.file}
                    {w.workflowName ? `:${w.workflowName}` : ''}
                  </div>
                </td>
                <td>
                  <StatusBadge status={w.status} />
                </td>
                <td>
                  {w.completedJobs}/{w.totalJobs} completed
                  {w.failedJobs ? `, ${w.failedJobs} failed` : ''}
                  {w.runningJobs ? `, ${w.runningJobs} running` : ''}
                </td>
                <td>{localTime(w.createdTime)}</td>
                <td>{w.startTime ? duration(w.durationMs) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** Pick a workflow file, look at it, run it. */
function RunWorkflowForm() {
  const { node } = useApp();
  const [file, setFile] = useState('');
  const [yaml, setYaml] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const pick = async (files: FileList | null) => {
    const f = files?.[0];
    if (!f) return;
    setError('');
    if (f.size > 1 << 20) return setError(`${f.name} is larger than 1MB; a workflow file lists jobs, not data`);
    setFile(f.name);
    setYaml(await f.text());
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const r = await runWorkflow(node.name, { file: file || 'workflow.yaml', yaml, workflowName: name.trim() });
      navigate(href(node.name, ['workflows', r.id]));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const target = `${file || 'FILE.yaml'}${name.trim() ? `:${name.trim()}` : ''}`;
  return (
    <form onSubmit={submit} data-testid="run-workflow">
      <Section title="Run a workflow file">
        <div class="row">
          <input type="file" name="workflowFile" accept=".yaml,.yml,application/yaml,text/yaml" onChange={(e) => void pick(e.currentTarget.files)} />
          <input name="workflowName" value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="workflow of the file (optional)" autocomplete="off" />
        </div>
        {yaml && <textarea name="yaml" rows={12} value={yaml} onInput={(e) => setYaml(e.currentTarget.value)} aria-label="The workflow file" />}
        <p class="muted small">Files the jobs upload (uploads:) are not sent from here: run such workflows with rnx, next to their files.</p>
        <CommandBox command={`rnx${node.isDefault ? '' : ` --node=${shellQuote(node.name)}`} workflow run ${shellQuote(target)}`} />
        <ErrorLine message={error} />
        <div class="row end">
          <button type="submit" class="btn primary" disabled={busy || !yaml.trim()} data-testid="run-workflow-submit">
            {busy ? 'Starting…' : 'Run workflow'}
          </button>
        </div>
      </Section>
    </form>
  );
}
