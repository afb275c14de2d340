import { Readable } from 'node:stream';
import type { Database } from '../../server/db/client';
import { importJsonl } from '../../server/kb/import';
import { ensureTenant } from '../../server/tenancy';

/** Three small help-centre articles with sections, for tests that need retrieval to find something. */
export const THERMOSTAT_KB = [
  { id: 'kb-wifi', title: 'Connect the thermostat to Wi-Fi', body: '## Pairing\nHold the dial for five seconds until the ring blinks blue, then pick your network in the app.\n\n## Router requirements\nUse a 2.4 GHz network with WPA2.' },
  { id: 'kb-refund', title: 'Refunds and returns', body: '## Returns window\nYou can return a device within 30 days of delivery for a full refund.\n\n## How refunds are paid\nRefunds go back to the original card within 5 business days.' },
  { id: 'kb-battery', title: 'Replace radiator valve batteries', body: '## Battery type\nThe valve takes two AA lithium batteries.\n\n## Low battery warning\nThe app warns you when the batteries drop below 15 percent.' },
];

/** Imports THERMOSTAT_KB into `tenant` (created if new) the way `loopdesk kb import` would; returns the tenant id. */
export async function importThermostatKb(database: Database, tenant: string): Promise<string> {
  const tenantId = await ensureTenant(database.db, tenant);
  await importJsonl(database.db, tenantId, Readable.from(THERMOSTAT_KB.map((a) => `${JSON.stringify(a)}\n`)));
  return tenantId;
}
