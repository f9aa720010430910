import { LlmcmError } from '../../core/errors.js';
import type { StoreSettings } from '../store-settings.js';
import type { OpenStoreContext, Store } from '../types.js';

/** Placeholder until the vault store lands (same session): fails with a clear error, never silently. */
export async function openVaultStore(settings: StoreSettings, _context: OpenStoreContext): Promise<Store> {
  throw new LlmcmError(`store '${settings.name}': the vault store is not implemented yet`, {
    code: 'STORE_NOT_IMPLEMENTED',
    kind: 'config',
  });
}
