import { storage } from 'wxt/utils/storage';
import { ExtensionSettings } from './contract';

/** The agent's own settings; enterprise policy and tenant settings will layer on top (later issues). */
export const settingsItem = storage.defineItem<ExtensionSettings>('local:settings', {
  fallback: ExtensionSettings.parse({}),
  version: 1,
});

export async function readSettings(): Promise<ExtensionSettings> {
  // Stored data from an older or hand-edited build is re-validated; bad fields fall back to defaults.
  const parsed = ExtensionSettings.safeParse(await settingsItem.getValue());
  return parsed.success ? parsed.data : ExtensionSettings.parse({});
}
