import type { Scalar } from 'yaml';
import { type PlainValue, resolveYamlV3Plain } from '../values.js';

// How llmcm writes a plaintext YAML scalar. Kept apart from yaml-format.ts so that the fast
// decrypt path can use it without loading the yaml package (only a type comes from it).

/** Whether a string can be written as a plain scalar and still read back as that string. */
function isPlainSafe(s: string, inFlow: boolean): boolean {
  if (s === '' || s !== s.trim() || /[\u0000-\u001f\u007f\u0085\u2028\u2029\ufeff]/.test(s)) return false;
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(s) && !/^[-?:][^\s,[\]{}]/.test(s)) return false;
  if (s.includes(': ') || s.includes(' #') || s.endsWith(':')) return false;
  if (inFlow && /[,[\]{}]/.test(s)) return false;
  if (s === '---' || s === '...' || s.startsWith('--- ') || s.startsWith('... ')) return false;
  const resolved = resolveYamlV3Plain(s);
  if (resolved?.type !== 'str') return false;
  // The yaml package's core schema must agree too (it decides how we read the file back).
  return !/^(?:[-+]?(?:\.inf|\.Inf|\.INF)|\.nan|\.NaN|\.NAN|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\d[\d_]*(?:\.\d*)?(?:[eE][-+]?\d+)?|[-+]?\.\d+(?:[eE][-+]?\d+)?|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|<<)$/.test(
    s,
  );
}

/** A double-quoted YAML scalar: JSON escapes plus the characters YAML treats as breaks or BOM. */
export function yamlDoubleQuoted(s: string): string {
  return JSON.stringify(s).replace(
    /[\u007f-\u009f\u2028\u2029\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The YAML source style for a plaintext value. */
export function plainStyle(value: PlainValue, inFlow: boolean): { text: string; type: Scalar.Type } {
  switch (value.type) {
    case 'str':
    case 'bytes': {
      const s = value.text;
      if (isPlainSafe(s, inFlow)) return { text: s, type: 'PLAIN' };
      // Literal block only where it round-trips exactly; everything else is double-quoted.
      const blockSafe =
        !/[\u0000-\u0009\u000b-\u001f\u007f\u0085\u2028\u2029\r]/.test(s) &&
        !/ \n|\n |^\s|\n\n$/.test(s) &&
        !s.endsWith(' ');
      if (!inFlow && s.includes('\n') && blockSafe) {
        return { text: s, type: 'BLOCK_LITERAL' };
      }
      return { text: s, type: 'QUOTE_DOUBLE' };
    }
    case 'float': {
      const t = value.text;
      if (t === 'NaN') return { text: '.nan', type: 'PLAIN' };
      if (t === '+Inf') return { text: '.inf', type: 'PLAIN' };
      if (t === '-Inf') return { text: '-.inf', type: 'PLAIN' };
      // Keep it a float when read back (`1` would become an int and get a new ciphertext).
      const back = resolveYamlV3Plain(t);
      return { text: back?.type === 'float' ? t : `${t}.0`, type: 'PLAIN' };
    }
    case 'bool':
      return { text: value.text === 'True' ? 'true' : 'false', type: 'PLAIN' };
    default:
      return { text: value.text, type: 'PLAIN' };
  }
}

/** Indentation step of the file (sops writes 4), used for the metadata block. */
export function detectIndent(text: string): number {
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!/:\s*$/.test(lines[i]!) || lines[i]!.trimStart().startsWith('#')) continue;
    const base = lines[i]!.length - lines[i]!.trimStart().length;
    const next = lines[i + 1]!;
    const ind = next.length - next.trimStart().length;
    if (next.trim() !== '' && ind > base) return ind - base;
  }
  return 4;
}
