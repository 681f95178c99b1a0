import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Node } from 'constructs';
import { REPO_ROOT } from './constructs/lambda-function.js';
import { readTenantSettings, SETTING_KEYS, TenantSettingsError, type TenantSettings } from './constructs/tenant-settings.js';

/**
 * The fleet: `tenants.json` at the repository root lists every tenant and
 * its settings, and `npx cdk synth` / `npx cdk deploy --all` build one stack
 * per entry. The same keys as the `-c key=value` context of one tenant:
 *
 *   {
 *     "defaults": { "alarmEmail": "oncall@ops.example" },
 *     "tenants": [
 *       { "tenant": "demo", "wave": 0 },
 *       { "tenant": "acme", "timezone": "America/Bogota", "phoneRegion": "CO" }
 *     ]
 *   }
 *
 * `defaults` holds what most tenants share (an entry's own value wins);
 * keys naming one tenant's resources (domain, certificate, login prefix)
 * belong in the entry. `"$comment"` is allowed anywhere and ignored.
 */
export const DEFAULT_TENANTS_FILE = join(REPO_ROOT, 'tenants.json');

const TOP_KEYS = ['defaults', 'tenants', '$comment'];
/** Unique per tenant: CloudFront aliases, Cognito domain prefixes and tables cannot be shared. */
const PER_TENANT_KEYS = ['tenant', 'domain', 'certificateArn', 'loginDomainPrefix', 'tableName', 'tableStreamArn'];
const COMMENT = '$comment';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The closest known key, for a typo (`timezon` -> `timezone`). */
function suggestion(key: string, known: readonly string[]): string {
  const distance = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let previous = row[0];
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const current = row[j];
        row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
        previous = current;
      }
    }
    return row[b.length];
  };
  const [best] = [...known].sort((a, b) => distance(key, a) - distance(key, b));
  return best !== undefined && distance(key, best) <= 3 ? `did you mean "${best}"? ` : '';
}

function checkKeys(object: Record<string, unknown>, where: string, allowed: readonly string[]): void {
  for (const key of Object.keys(object)) {
    if (key === COMMENT || allowed.includes(key)) continue;
    if (PER_TENANT_KEYS.includes(key) && allowed !== TOP_KEYS) throw new TenantSettingsError(`${where}: "${key}" names one tenant's resources; set it in that tenant's entry`);
    throw new TenantSettingsError(`${where}: unknown key "${key}"; ${suggestion(key, allowed)}known keys: ${allowed.join(', ')}`);
  }
}

/**
 * Validates a parsed tenants file; `name` prefixes every message, which also
 * names the entry (`tenants.json, tenants[2] "globex": invalid timezone ...`).
 */
export function parseTenantsFile(json: unknown, name = 'tenants.json'): TenantSettings[] {
  if (!isObject(json)) throw new TenantSettingsError(`${name}: expected an object with a "tenants" list`);
  checkKeys(json, name, TOP_KEYS);
  const defaults = json.defaults ?? {};
  if (!isObject(defaults)) throw new TenantSettingsError(`${name}: "defaults" must be an object of settings`);
  checkKeys(defaults, `${name}, defaults`, SETTING_KEYS.filter((key) => !PER_TENANT_KEYS.includes(key)));
  if (!Array.isArray(json.tenants) || json.tenants.length === 0) throw new TenantSettingsError(`${name}: "tenants" must be a non-empty list of entries`);

  const seen = new Map<string, string>();
  return json.tenants.map((entry: unknown, index: number) => {
    const tenant = isObject(entry) && typeof entry.tenant === 'string' ? ` "${entry.tenant}"` : '';
    const where = `${name}, tenants[${index}]${tenant}`;
    if (!isObject(entry)) throw new TenantSettingsError(`${where}: each entry must be an object such as { "tenant": "acme" }`);
    checkKeys(entry, where, SETTING_KEYS);
    if (typeof entry.tenant !== 'string' || entry.tenant === '') throw new TenantSettingsError(`${where}: missing "tenant", the tenant's name (e.g. "acme")`);
    const values: Record<string, unknown> = { ...defaults, ...entry };
    let settings: TenantSettings;
    try {
      settings = readTenantSettings({ tryGetContext: (key: string) => values[key] });
    } catch (error) {
      if (error instanceof TenantSettingsError) throw new TenantSettingsError(`${where}: ${error.message}`);
      throw error;
    }
    // Two entries must not claim one stack, one custom domain or one login domain.
    for (const [kind, value] of [['tenant', settings.tenant], ['domain', settings.domain], ['loginDomainPrefix', settings.loginDomainPrefix], ['tableName', settings.tableName]] as const) {
      if (value === undefined) continue;
      const first = seen.get(`${kind}:${value}`);
      if (first) throw new TenantSettingsError(`${where}: duplicate ${kind} "${value}", already used by ${first}`);
      seen.set(`${kind}:${value}`, `tenants[${index}]`);
    }
    return settings;
  });
}

/** Reads and validates a tenants file; a missing file or bad JSON is a TenantSettingsError naming the file. */
export function readTenantsFile(path: string): TenantSettings[] {
  const name = relative(process.cwd(), path) || path;
  if (!existsSync(path)) {
    throw new TenantSettingsError(`no tenants file at ${name}: list the tenants there (see README, Deployment) or pass one tenant as context, e.g. \`npx cdk synth -c tenant=acme\``);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new TenantSettingsError(`${name} is not valid JSON: ${(error as Error).message}`);
  }
  return parseTenantsFile(json, name);
}

/**
 * The tenants one synth builds, from the app's context:
 * - `-c tenant=acme`: that tenant alone, with its entry of the tenants file
 *   when it has one (then its settings come from the file only), else from
 *   the other `-c` settings as before the file existed;
 * - otherwise every tenant of the file (`-c tenantsFile=path` names another
 *   file), or only those of one rollout wave with `-c wave=N`.
 */
export function tenantsToBuild(node: Node): TenantSettings[] {
  const fileContext: unknown = node.tryGetContext('tenantsFile');
  const path = typeof fileContext === 'string' && fileContext !== '' ? resolve(fileContext) : DEFAULT_TENANTS_FILE;
  const one: unknown = node.tryGetContext('tenant');
  if (one !== undefined && one !== null && one !== '') {
    const entry = existsSync(path) ? readTenantsFile(path).find((settings) => settings.tenant === one) : undefined;
    if (!entry) return [readTenantSettings(node)];
    const overridden = SETTING_KEYS.filter((key) => key !== 'tenant' && node.tryGetContext(key) !== undefined);
    if (overridden.length > 0) {
      throw new TenantSettingsError(
        `tenant "${entry.tenant}" is listed in ${relative(process.cwd(), path)}: change ${overridden.join(', ')} there rather than with -c, so the next deploy of every tenant keeps it`,
      );
    }
    return [entry];
  }

  const fleet = readTenantsFile(path);
  const waveContext: unknown = node.tryGetContext('wave');
  if (waveContext === undefined || waveContext === null || waveContext === '') return fleet;
  const wave = Number(waveContext);
  if (!Number.isInteger(wave) || wave < 0) throw new TenantSettingsError(`invalid wave "${String(waveContext)}": a whole number, 0 for the canary wave`);
  const inWave = fleet.filter((settings) => settings.wave === wave);
  if (inWave.length === 0) {
    const waves = [...new Set(fleet.map((settings) => settings.wave))].sort((a, b) => a - b);
    throw new TenantSettingsError(`no tenant is in wave ${wave}; the waves are ${waves.join(', ')}`);
  }
  return inWave;
}
