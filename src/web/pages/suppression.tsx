import type { SuppressionRule } from '../../findings/suppression.js';
import { Csrf, FormPanel, prettyJson, seg, shown, Table, time } from '../layout.js';

export interface SuppressionForm {
  name: string;
  action: string;
  rank: string;
  description: string;
  criteria: string;
}

export const EMPTY_FORM: SuppressionForm = {
  name: '',
  action: 'ARCHIVE',
  rank: '',
  description: '',
  criteria: '{\n  "criterion": {\n    "type": { "eq": ["Recon:IAMUser/MaliciousIPCaller.Custom"] }\n  }\n}',
};

export function SuppressionView(p: { rules: SuppressionRule[]; canRespond: boolean; csrf: string; form: SuppressionForm; error?: string | undefined }) {
  return (
    <>
      <h1>Suppression rules</h1>
      <p class="muted">
        GuardDuty filters. A filter with the action ARCHIVE is a suppression rule: new findings that match it are archived at once (and so not published); NOOP
        filters are saved views. Rules apply in rank order.
      </p>
      <Table
        rows={p.rules}
        empty={<p class="panel muted">No filters.</p>}
        head={[<th class="num">Rank</th>, 'Name', 'Action', 'Description', 'Criteria', 'Updated', p.canRespond ? <th></th> : null]}
        row={(r) => (
          <tr>
            <td class="num">{String(r.rank)}</td>
            <td class="mono">{shown(r.name)}</td>
            <td>{r.action === 'ARCHIVE' ? <span class="tag">ARCHIVE</span> : <span class="tag">NOOP</span>}</td>
            <td>{shown(r.description)}</td>
            <td>
              <pre>{prettyJson(r.criteria)}</pre>
            </td>
            <td class="nowrap">{time(r.updatedAt)}</td>
            {p.canRespond ? (
              <td>
                <form method="post" action={`/suppression/${seg(r.name)}/delete`} data-confirm="Delete this filter?">
                  <Csrf token={p.csrf} />
                  <button type="submit" class="danger">
                    Delete
                  </button>
                </form>
              </td>
            ) : null}
          </tr>
        )}
      />
      {p.canRespond ? (
        <FormPanel title="New filter" action="/suppression" csrf={p.csrf} error={p.error} submit="Create filter">
          <label>
            Name (3 to 64 characters: letters, digits, _ . -)
            <input type="text" name="name" value={p.form.name} required />
          </label>
          <label>
            Action
            <select name="action">
              <option value="ARCHIVE" selected={p.form.action !== 'NOOP'}>
                ARCHIVE (suppress)
              </option>
              <option value="NOOP" selected={p.form.action === 'NOOP'}>
                NOOP (saved view)
              </option>
            </select>
          </label>
          <label>
            Rank (1 to 100; empty = last)
            <input type="number" name="rank" min="1" max="100" value={p.form.rank} />
          </label>
          <label>
            Description
            <input type="text" name="description" value={p.form.description} />
          </label>
          <label>
            FindingCriteria (JSON, as for GuardDuty's CreateFilter)
            <textarea name="criteria" rows={8} spellcheck={false}>
              {p.form.criteria}
            </textarea>
          </label>
        </FormPanel>
      ) : null}
    </>
  );
}
