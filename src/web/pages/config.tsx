import type { IntelListInfo, RuleInfo, TargetInfo } from '../../api/services.js';
import { Csrf, FormPanel, Panel, prettyJson, seg, shown, Table, time } from '../layout.js';

function pattern(text: string): string {
  try {
    return prettyJson(JSON.parse(text));
  } catch {
    return text;
  }
}

export function RulesView(p: { rules: RuleInfo[]; targets: TargetInfo[] }) {
  return (
    <>
      <h1>Rules</h1>
      <p class="muted">EventBridge-style rules over finding events, and the targets they send to (from the configuration).</p>
      {p.rules.length === 0 ? (
        <p class="panel muted">No rules configured.</p>
      ) : (
        p.rules.map((r) => (
          <Panel
            title={
              <>
                {shown(r.name)} <span class={r.state === 'ENABLED' ? 'tag ok' : 'tag'}>{r.state}</span>
              </>
            }
          >
            {r.description ? <p>{shown(r.description)}</p> : null}
            <div class="grid">
              <div>
                <h3>Event pattern</h3>
                <pre>{pattern(r.eventPattern)}</pre>
              </div>
              <div>
                <h3>Targets</h3>
                <Table
                  rows={r.targets}
                  head={['Id', 'Target', 'Input']}
                  row={(t) => (
                    <tr>
                      <td>{shown(t.id)}</td>
                      <td>{shown(t.target)}</td>
                      <td>{t.input}</td>
                    </tr>
                  )}
                />
              </div>
            </div>
          </Panel>
        ))
      )}
      <h2>Targets</h2>
      <Table
        rows={p.targets}
        empty={<p class="panel muted">No targets configured.</p>}
        head={['Name', 'Type', 'Settings', 'Playbook', 'Mode']}
        row={(t) => (
          <tr>
            <td>{shown(t.name)}</td>
            <td>{shown(t.type)}</td>
            <td class="mono wrap-any">{shown(t.summary)}</td>
            <td>{t.playbook ?? ''}</td>
            <td>{t.mode ? <span class={t.mode === 'execute' ? 'tag bad' : 'tag'}>{t.mode}</span> : ''}</td>
          </tr>
        )}
      />
    </>
  );
}

export interface ListForm {
  kind: string;
  name: string;
  text: string;
  /** Threat lists: `threat` or `tor` (the form always says which; the name convention is for lists without one). */
  category: string;
}

/** What a list's category means, for the table (`by name` when the list gave none and its name decided). */
function categoryText(l: IntelListInfo): string {
  if (!l.category) return '';
  const what = l.category === 'tor' ? 'Tor nodes' : 'threat';
  return l.categoryFrom === 'name' ? `${what} (by name)` : what;
}

export function ListsView(p: { lists: IntelListInfo[]; canRespond: boolean; csrf: string; form: ListForm; error?: string | undefined }) {
  return (
    <>
      <h1>Threat and trusted lists</h1>
      <p class="muted">
        Threat lists name known malicious addresses (findings ending in .Custom), or Tor nodes (category Tor: UnauthorizedAccess:EC2/TorClient instead); trusted
        lists name addresses whose calls raise no findings. A list without a category whose name starts with "tor" is taken as Tor nodes ("by name"). Lists from
        the configuration file are changed there; uploaded ones here.
      </p>
      <Table
        rows={p.lists}
        empty={<p class="panel muted">No lists.</p>}
        head={['Name', 'Kind', 'Category', 'Origin', 'State', <th class="num">Entries</th>, 'SHA-256', 'Updated', p.canRespond ? <th></th> : null]}
        row={(l) => (
          <tr>
            <td>{shown(l.name)}</td>
            <td>{l.kind}</td>
            <td>{categoryText(l)}</td>
            <td>{l.origin}</td>
            <td>{l.active ? <span class="tag ok">active</span> : <span class="tag">inactive</span>}</td>
            <td class="num">{String(l.entries)}</td>
            <td class="mono wrap-any">{shown(l.sha256)}</td>
            <td class="nowrap">{time(l.updatedAt)}</td>
            {p.canRespond ? (
              <td>
                {l.origin === 'uploaded' ? (
                  <div class="actions">
                    <form method="post" action={`/lists/${seg(l.id)}/${l.active ? 'deactivate' : 'activate'}`} class="inline">
                      <Csrf token={p.csrf} />
                      <button type="submit">{l.active ? 'Deactivate' : 'Activate'}</button>
                    </form>
                    <form method="post" action={`/lists/${seg(l.id)}/remove`} class="inline" data-confirm="Remove this list?">
                      <Csrf token={p.csrf} />
                      <button type="submit" class="danger">
                        Remove
                      </button>
                    </form>
                  </div>
                ) : (
                  <span class="muted">configuration</span>
                )}
              </td>
            ) : null}
          </tr>
        )}
      />
      {p.canRespond ? (
        <FormPanel title="Upload a list" action="/lists" multipart csrf={p.csrf} error={p.error} submit="Upload">
          <label>
            Kind
            <select name="kind">
              <option value="threat" selected={p.form.kind !== 'trusted'}>
                Threat list
              </option>
              <option value="trusted" selected={p.form.kind === 'trusted'}>
                Trusted list
              </option>
            </select>
          </label>
          <label>
            Category (threat lists)
            <select name="category">
              <option value="threat" selected={p.form.category !== 'tor'}>
                Threat: known malicious addresses (.Custom findings)
              </option>
              <option value="tor" selected={p.form.category === 'tor'}>
                Tor nodes (TorClient findings)
              </option>
            </select>
          </label>
          <label>
            Name
            <input type="text" name="name" value={p.form.name} required />
          </label>
          <label>
            Addresses and CIDR ranges, one a line (# comments)
            <textarea name="text" rows={8} spellcheck={false}>
              {p.form.text}
            </textarea>
          </label>
          <label>
            …or a file (TXT)
            <input type="file" name="file" accept=".txt,text/plain" />
          </label>
        </FormPanel>
      ) : null}
    </>
  );
}
