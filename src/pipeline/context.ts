import { UsageError } from '../core/errors.js';
import { ApiClassifier } from '../detectors/api-classification.js';
import type { DetectContext } from '../detectors/types.js';
import { resolveAwsRanges } from '../intel/aws-ranges.js';
import { conventionNote } from '../intel/categories.js';
import { LazyEnricher } from '../intel/enrich.js';
import { Intel } from '../intel/intel.js';
import { type DomainList, type IpList, loadDomainList, loadIpList } from '../intel/threat-list.js';
import { type Config, listSpec } from './config.js';

/** The configuration's lists, parsed. */
export interface ConfigLists {
  threat: IpList[];
  trusted: IpList[];
  domains: DomainList[];
}

/**
 * Loads and compiles everything detection needs (lists, AWS ranges, classification table), once. `lists`: the
 * configuration's lists already loaded (serve loads them through its file watchers), so they are not read twice.
 * A list whose category comes from its name (no `category`, a `tor*` / `c2*` / `crypto*`... name) is announced
 * through `warn`, so the naming convention never decides silently.
 */
export async function buildContext(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
  warn: (message: string) => void = () => {},
  lists?: ConfigLists,
): Promise<DetectContext> {
  const [awsRanges, threats, trusted, domains] = await Promise.all([
    resolveAwsRanges(config.awsIpRanges, env, warn),
    lists?.threat ?? Promise.all(config.threatLists.map((l) => loadIpList(listSpec(l)))),
    lists?.trusted ?? Promise.all(config.trustedLists.map((l) => loadIpList(l))),
    lists?.domains ?? Promise.all(config.threatDomainLists.map((l) => loadDomainList(listSpec(l)))),
  ]);
  const names = new Map<string, string>();
  for (const t of threats) {
    const other = names.get(t.name);
    if (other) throw new UsageError(`two threat lists are named ${JSON.stringify(t.name)} (${other} and ${t.path}); name them with NAME=FILE`);
    names.set(t.name, t.path);
  }
  for (const t of threats) {
    const note = conventionNote('threat list', t);
    if (note) warn(note);
  }
  for (const l of domains) {
    const note = conventionNote('domain list', l);
    if (note) warn(note);
  }
  const d = config.detectors;
  const e = config.enrichment;
  const intel = new Intel(awsRanges, threats, trusted, domains);
  return {
    intel,
    ...(e.enabled
      ? {
          enrichment: new LazyEnricher({
            awsRanges,
            ...(e.countryDb ? { countryDb: e.countryDb } : {}),
            ...(e.cityDb ? { cityDb: e.cityDb } : {}),
            ...(e.asnDb ? { asnDb: e.asnDb } : {}),
          }),
        }
      : {}),
    classifier: new ApiClassifier(d.apiClassification),
    settings: {
      accounts: d.accounts,
      instances: d.instances,
      interfaces: d.interfaces,
      ...(d.mailServers ? { mailServers: d.mailServers } : {}),
      globalServiceRegion: d.globalServiceRegion,
      maxTrackedInstances: d.maxTrackedInstances,
      maxAddressesPerInstance: d.maxAddressesPerInstance,
    },
  };
}
