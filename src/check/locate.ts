import type { LoadedEnvironment, Provenance } from '../config/types.js';
import type { Finding } from '../core/findings.js';

/** Where a pointer of a loaded environment came from, climbing to the nearest parent that has a position. */
export function provenanceOf(loaded: LoadedEnvironment, pointer: string): Provenance | undefined {
  let at = pointer;
  for (;;) {
    const found = loaded.provenance.get(at);
    if (found) return found;
    const slash = at.lastIndexOf('/');
    if (slash <= 0) return undefined;
    at = at.slice(0, slash);
  }
}

/** Location fields of a finding for a pointer: at the value, or at its mapping key. */
export function locationOf(
  loaded: LoadedEnvironment,
  pointer: string,
  at: 'value' | 'key' = 'value',
): Pick<Finding, 'file' | 'line' | 'column' | 'layer' | 'path'> {
  const p = provenanceOf(loaded, pointer);
  if (!p) return { path: pointer };
  return {
    file: p.file,
    line: at === 'key' ? p.keyLine : p.line,
    column: at === 'key' ? p.keyColumn : p.column,
    layer: p.layer,
    path: pointer,
  };
}

/** Splits a JSON pointer into unescaped segments. */
export function pointerSegments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}
