/**
 * The Firefox package as `npm run build:firefox` leaves it in .output/firefox-mv2: what Firefox and
 * addons.mozilla.org read from its manifest, and that every file the manifest names was built.
 * `npm run lint:firefox` (web-ext lint) checks the same folder against Mozilla's own rules; this
 * test checks what those rules cannot know: our id, our permissions, our policy schema.
 * Run after a Firefox build (scripts/run-tests.ts builds first; alone: `npm run test:firefox`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIR = '.output/firefox-mv2';

interface FirefoxManifest {
  manifest_version: number;
  version: string;
  permissions: string[];
  optional_permissions?: string[];
  host_permissions?: string[];
  optional_host_permissions?: string[];
  background: { scripts?: string[]; service_worker?: string };
  browser_action?: { default_popup?: string };
  options_ui?: { page: string };
  content_scripts: { js?: string[]; css?: string[] }[];
  web_accessible_resources?: string[];
  storage?: { managed_schema?: string };
  browser_specific_settings?: { gecko?: { id?: string; data_collection_permissions?: { required?: string[]; optional?: string[] } } };
}

function manifest(): FirefoxManifest {
  const path = join(DIR, 'manifest.json');
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build:firefox\` first`);
  return JSON.parse(readFileSync(path, 'utf8')) as FirefoxManifest;
}

/** The data types Firefox's built-in consent knows (extensionworkshop.com, firefox-builtin-data-consent). */
const DATA_TYPES = new Set([
  'authenticationInfo',
  'bookmarksInfo',
  'browsingActivity',
  'financialAndPaymentInfo',
  'healthInfo',
  'locationInfo',
  'personalCommunications',
  'personallyIdentifyingInfo',
  'searchTerms',
  'websiteActivity',
  'websiteContent',
]);

describe('the Firefox build', () => {
  it('is Manifest V2 at the package.json version, known to Firefox and policies.json as loopdesk@loopdesk.dev', () => {
    const m = manifest();
    expect(m.manifest_version).toBe(2);
    expect(m.version).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    expect(m.browser_specific_settings?.gecko?.id).toBe('loopdesk@loopdesk.dev');
  });

  it('declares the data it sends to the organisation’s server, as Firefox’s consent requires', () => {
    const required = manifest().browser_specific_settings?.gecko?.data_collection_permissions?.required ?? [];
    expect(required.length).toBeGreaterThan(0);
    for (const type of required) expect(DATA_TYPES.has(type), type).toBe(true);
    // Ticket text goes to the server: "none" would be untrue.
    expect(required).toContain('websiteContent');
    expect(required).not.toContain('none');
  });

  it('has a background page of scripts (no service worker in MV2), each of them built', () => {
    const { background } = manifest();
    expect(background.service_worker).toBeUndefined();
    expect(background.scripts?.length).toBeGreaterThan(0);
    for (const script of background.scripts!) expect(existsSync(join(DIR, script)), script).toBe(true);
  });

  it('asks for storage, alarms and the local server, and can ask for any other server origin at run time', () => {
    const m = manifest();
    expect(m.permissions).toEqual(expect.arrayContaining(['storage', 'alarms', 'http://127.0.0.1/*', 'http://localhost/*']));
    // MV2 has neither host_permissions key: origins live in (optional_)permissions.
    expect(m.host_permissions).toBeUndefined();
    expect(m.optional_host_permissions).toBeUndefined();
    // The options page's "Allow access" requests `${origin}/*`; Firefox grants only what is declared here.
    expect(m.optional_permissions).toEqual(expect.arrayContaining(['https://*/*', 'http://*/*']));
  });

  it('builds every page, content script and resource the manifest names', () => {
    const m = manifest();
    const files = [
      m.browser_action?.default_popup,
      m.options_ui?.page,
      ...m.content_scripts.flatMap((c) => [...(c.js ?? []), ...(c.css ?? [])]),
      ...(m.web_accessible_resources ?? []),
    ].filter(Boolean) as string[];
    expect(files).toEqual(expect.arrayContaining(['popup.html', 'options.html', 'content-scripts/helpdesk.js']));
    for (const file of files) expect(existsSync(join(DIR, file)), file).toBe(true);
  });

  it('ships the managed storage schema with every key an administrator may set', () => {
    const path = manifest().storage?.managed_schema;
    expect(path).toBe('managed_schema.json');
    const built = readFileSync(join(DIR, path!), 'utf8');
    expect(built).toBe(readFileSync('public/managed_schema.json', 'utf8'));
    const schema = JSON.parse(built) as { type: string; properties: Record<string, unknown> };
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['serverUrl', 'tenant', 'enrollmentToken', 'token', 'allowedHelpdeskHosts', 'redaction', 'annotations', 'telemetry']),
    );
  });
});
