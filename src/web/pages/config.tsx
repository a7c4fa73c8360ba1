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
  /** `threat`, `trusted` or `domain`. */
  kind: string;
  name: string;
  text: string;
  /**
   * Threat lists: `threat` or `tor`; domain lists: `threat`, `c2` or `mining` (the form always says which; the name
   * convention is for lists without one). Ignored for trusted lists.
   */
  category: string;
  /** A list format (`formats.ts`), or empty / `AUTO`: detected from the content. */
  format: string;
}

/** The categories a kind of list takes, with what each feeds (the form's choices and the table's words). */
export const LIST_CATEGORY_CHOICES: Readonly<Record<'threat' | 'domain', ReadonlyArray<{ value: string; label: string; short: string }>>> = {
  threat: [
    { value: 'threat', label: 'Threat: known malicious addresses (.Custom findings)', short: 'threat' },
    { value: 'tor', label: 'Tor nodes (TorClient findings)', short: 'Tor nodes' },
  ],
  domain: [
    { value: 'threat', label: 'Threat: malicious domains (MaliciousDomainRequest.Custom)', short: 'threat' },
    { value: 'c2', label: 'Command and control (C&CActivity.B!DNS)', short: 'C&C' },
    { value: 'mining', label: 'Cryptocurrency mining (BitcoinTool.B!DNS)', short: 'mining' },
  ],
};

/**
 * Why a form's kind and category do not go together, or `undefined` when they do (an empty category: none given;
 * a trusted list ignores the category, which the form's one select always sends). The form works without the
 * script, so the one select offers every kind's categories and this check explains a mismatch.
 */
export function listFormProblem(kind: string, category: string): string | undefined {
  if (kind !== 'threat' && kind !== 'trusted' && kind !== 'domain') return 'kind: expected threat, trusted or domain';
  if (kind === 'trusted' || category === '') return undefined;
  const choices = LIST_CATEGORY_CHOICES[kind];
  if (choices.some((c) => c.value === category)) return undefined;
  return kind === 'threat'
    ? `category: expected threat or tor for a threat list of addresses (${JSON.stringify(category)} is a domain list category: choose the kind "Domain list" for domain names)`
    : `category: expected threat, c2 or mining for a domain list (${JSON.stringify(category)} is not a domain list category${category === 'tor' ? ': Tor nodes are addresses, upload them as a threat list' : ''})`;
}

const FORMAT_CHOICES: ReadonlyArray<[string, string]> = [
  ['AUTO', 'Detect from the content'],
  ['TXT', 'TXT: one entry a line'],
  ['STIX', 'STIX 1.x (XML)'],
  ['STIX2', 'STIX 2.1 bundle (JSON)'],
  ['OTX_CSV', 'AlienVault OTX CSV'],
  ['ALIEN_VAULT', 'AlienVault reputation'],
  ['PROOF_POINT', 'Proofpoint ET CSV'],
  ['FIRE_EYE', 'FireEye iSIGHT CSV'],
];

/** What a list's category means, for the table (`by name` when the list gave none and its name decided). */
function categoryText(l: IntelListInfo): string {
  if (!l.category) return '';
  const choices = l.kind === 'domain' ? LIST_CATEGORY_CHOICES.domain : LIST_CATEGORY_CHOICES.threat;
  const what = choices.find((c) => c.value === l.category)?.short ?? l.category;
  return l.categoryFrom === 'name' ? `${what} (by name)` : what;
}

const KIND_TEXT: Record<IntelListInfo['kind'], string> = { threat: 'threat', trusted: 'trusted', domain: 'domain' };

export function ListsView(p: { lists: IntelListInfo[]; canRespond: boolean; csrf: string; form: ListForm; error?: string | undefined }) {
  const kind = p.form.kind === 'trusted' || p.form.kind === 'domain' ? p.form.kind : 'threat';
  const format = p.form.format.trim().toUpperCase() || 'AUTO';
  return (
    <>
      <h1>Threat, trusted and domain lists</h1>
      <p class="muted">
        Threat lists name known malicious addresses (findings ending in .Custom), or Tor nodes (category Tor: UnauthorizedAccess:EC2/TorClient instead); trusted
        lists name addresses whose calls raise no findings. Domain lists name domains whose DNS queries raise findings: malicious domains
        (Impact:EC2/MaliciousDomainRequest.Custom), command and control (Backdoor:EC2/C&amp;CActivity.B!DNS) or cryptocurrency mining
        (CryptoCurrency:EC2/BitcoinTool.B!DNS); a listed domain covers its subdomains. A list without a category is taken by its name: "tor…" for Tor nodes,
        "c2…", "cnc…" or "command-and-control…" for C&amp;C, "crypto…", "bitcoin…" or "mining…" for mining ("by name"). Lists from the configuration file are
        changed there; uploaded ones here.
      </p>
      <Table
        rows={p.lists}
        empty={<p class="panel muted">No lists.</p>}
        head={['Name', 'Kind', 'Category', 'Origin', 'State', <th class="num">Entries</th>, 'SHA-256', 'Updated', p.canRespond ? <th></th> : null]}
        row={(l) => (
          <tr>
            <td>{shown(l.name)}</td>
            <td>{KIND_TEXT[l.kind] ?? ''}</td>
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
              <option value="threat" selected={kind === 'threat'}>
                Threat list (addresses)
              </option>
              <option value="trusted" selected={kind === 'trusted'}>
                Trusted list (addresses)
              </option>
              <option value="domain" selected={kind === 'domain'}>
                Domain list (domain names)
              </option>
            </select>
          </label>
          <label>
            Category (threat and domain lists; a trusted list has none)
            <select name="category">
              {(['threat', 'domain'] as const).map((k) => (
                <optgroup label={k === 'threat' ? 'Threat lists (addresses)' : 'Domain lists'}>
                  {LIST_CATEGORY_CHOICES[k].map((c) => (
                    <option value={c.value} selected={(kind === k || (k === 'threat' && kind === 'trusted')) && p.form.category === c.value}>
                      {c.label}
                    </option>
                  ))}
                </optgroup>
              ))}
            </select>
          </label>
          <label>
            Name
            <input type="text" name="name" value={p.form.name} required />
          </label>
          <label>
            Format
            <select name="format">
              {FORMAT_CHOICES.map(([value, label]) => (
                <option value={value} selected={format === value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Entries: addresses and CIDR ranges, or domain names (a domain list; *.example.com for subdomains only), one a line (# comments), or the list in its
            format
            <textarea name="text" rows={8} spellcheck={false}>
              {p.form.text}
            </textarea>
          </label>
          <label>
            …or a file
            <input type="file" name="file" accept=".txt,.csv,.xml,.json,text/plain,text/csv,application/xml,application/json" />
          </label>
        </FormPanel>
      ) : null}
    </>
  );
}
