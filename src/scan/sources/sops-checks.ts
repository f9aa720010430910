import { type Detector, type Fragment, isFragmentAllowed, type RawFinding } from '../detect/detector.js';
import { findUnencryptedValues, type SopsPolicy } from '../sops-aware.js';

/** Files the SOPS checks parse: YAML, JSON and dotenv. */
export const STRUCTURED = /\.(?:ya?ml|json|env)$|(?:^|\/)\.env(?:\.[^/]*)?$/i;
/** Larger structured files are not parsed for the SOPS checks (config files are small). */
export const MAX_STRUCTURED_BYTES = 2_000_000;

/** An empty fragment standing for a whole file, for path/commit allowlist checks. */
export const asFragment = (filePath: string, commit = ''): Fragment => ({
  raw: '',
  filePath,
  commit,
  startLine: 1,
});

/** unencrypted-secret findings for one file, minus what the global allowlist and gitleaks:allow exempt. */
export function sopsFindings(
  detector: Detector,
  path: string,
  text: string,
  policy: SopsPolicy | undefined,
): RawFinding[] {
  if (!policy || !STRUCTURED.test(path)) return [];
  if (isFragmentAllowed(asFragment(path), detector.config.allowlists)) return [];
  const lines = text.split('\n');
  return findUnencryptedValues(path, text, policy).filter((f) => {
    const line = lines[f.startLine - 1] ?? '';
    f.line = line;
    return !line.includes('gitleaks:allow');
  });
}
