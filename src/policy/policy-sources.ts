import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isNode, LineCounter, parseDocument } from 'yaml';
import { LlmcmError } from '../core/errors.js';
import { sha256Hex } from './canonical-json.js';

/** Where a project keeps its policies, relative to its root. */
export const policyLayout = {
  dir: 'policies',
  rego: 'policies/rego',
  data: 'policies/data',
  bundle: 'policies/bundle/bundle.tar.gz',
  manifest: 'policies/bundle/manifest.json',
} as const;

/** The wasm entrypoints every bundle exports; the first two are what `llmcm` evaluates. */
export const policyEntrypoints = [
  'llmcm/config/result',
  'llmcm/access/decision',
  'llmcm/config/deny',
  'llmcm/config/warn',
] as const;

/** The files a bundle is built from, as repo-relative POSIX paths, sorted. */
export interface PolicySources {
  /** .rego modules that go into the bundle (tests excluded). */
  modules: string[];
  /** Rego unit tests (`*_test.rego`), run by `opa test` but not bundled. */
  tests: string[];
  /** Data files (.json, .yaml, .yml) under policies/data. */
  dataFiles: string[];
}

function walkFiles(root: string, dir: string): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  const out: string[] = [];
  for (const name of readdirSync(abs).sort()) {
    if (name.startsWith('.')) continue;
    const rel = `${dir}/${name}`;
    if (statSync(join(root, rel)).isDirectory()) out.push(...walkFiles(root, rel));
    else out.push(rel);
  }
  return out;
}

/** Lists the policy sources of a project. */
export function listPolicySources(root: string): PolicySources {
  const rego = walkFiles(root, policyLayout.rego).filter((f) => f.endsWith('.rego'));
  return {
    modules: rego.filter((f) => !f.endsWith('_test.rego')),
    tests: rego.filter((f) => f.endsWith('_test.rego')),
    dataFiles: walkFiles(root, policyLayout.data).filter((f) => /\.(json|ya?ml)$/.test(f)),
  };
}

/** Whether the project has policies at all. */
export function hasPolicies(root: string): boolean {
  return existsSync(join(root, policyLayout.rego)) || existsSync(join(root, policyLayout.manifest));
}

/**
 * The cache key of a bundle: sha256 over every bundled module and data file (path + content hash),
 * the OPA version and the entrypoints. Tests are not part of it: they do not change the bundle.
 */
export function hashPolicySources(root: string, sources: PolicySources, opaVersion: string): string {
  const lines = [`opa ${opaVersion}`, `entrypoints ${policyEntrypoints.join(',')}`, 'target wasm'];
  for (const file of [...sources.modules, ...sources.dataFiles].sort()) {
    lines.push(`${file}\0${sha256Hex(readFileSync(join(root, file)))}`);
  }
  return `sha256:${sha256Hex(lines.join('\n'))}`;
}

/** The merged policy data and a way back from a JSON pointer into it to a file and line. */
export interface LoadedPolicyData {
  data: Record<string, unknown>;
  locate(pointer: string): { file?: string; line?: number; column?: number };
}

/**
 * Parses every data file and merges them the way `opa build` does (each file's top-level keys under
 * `data`). A file that does not parse, or two files defining one key, is an error with file and line.
 */
export function loadPolicyData(root: string, dataFiles: string[]): LoadedPolicyData {
  const merged: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  const locators = new Map<string, (path: string[]) => { line?: number; column?: number }>();
  for (const file of dataFiles) {
    const text = readFileSync(join(root, file), 'utf8');
    let value: unknown;
    if (file.endsWith('.json')) {
      value = parseJsonFile(text, file);
    } else {
      const parsed = parseYamlFile(text, file);
      value = parsed.value;
      locators.set(file, parsed.locate);
    }
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new LlmcmError(
        `policy data must be a mapping of top-level keys, not ${Array.isArray(value) ? 'a list' : typeof value}`,
        {
          code: 'POLICY_DATA_INVALID',
          kind: 'config',
          file,
          line: 1,
          hint: 'start the file with a top-level key, e.g. `access:`; it becomes data.access',
        },
      );
    }
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (key in merged) {
        throw new LlmcmError(`data key '${key}' is defined in both ${origin[key]} and ${file}`, {
          code: 'POLICY_DATA_CONFLICT',
          kind: 'config',
          file,
          line: lineOfTopKey(text, key),
          hint: 'keep each top-level data key in one file',
        });
      }
      merged[key] = item;
      origin[key] = file;
    }
  }
  return {
    data: merged,
    locate(pointer) {
      const path = pointer
        .split('/')
        .slice(1)
        .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
      const file = path[0] === undefined ? undefined : origin[path[0]];
      if (!file) return {};
      return { file, ...(locators.get(file)?.(path) ?? {}) };
    },
  };
}

function parseJsonFile(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    const lineMatch = /line (\d+) column (\d+)/.exec(message);
    let line: number | undefined;
    let column: number | undefined;
    if (lineMatch) {
      line = Number(lineMatch[1]);
      column = Number(lineMatch[2]);
    } else if (position) {
      const before = text.slice(0, Number(position[1]));
      line = before.split('\n').length;
      column = before.length - before.lastIndexOf('\n');
    }
    throw new LlmcmError(
      `policy data file does not parse as JSON: ${message.replace(/ in JSON at position \d+.*$/, '')}`,
      {
        code: 'POLICY_DATA_PARSE',
        kind: 'config',
        file,
        line,
        column,
        hint: 'fix the JSON syntax at that position (trailing commas and comments are not allowed)',
      },
    );
  }
}

function parseYamlFile(
  text: string,
  file: string,
): { value: unknown; locate: (path: string[]) => { line?: number; column?: number } } {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { uniqueKeys: true, lineCounter });
  const problem = document.errors[0];
  if (problem) {
    const [line, column] = problem.linePos?.[0]
      ? [problem.linePos[0].line, problem.linePos[0].col]
      : [undefined, undefined];
    throw new LlmcmError(`policy data file does not parse as YAML: ${problem.message.split('\n')[0]}`, {
      code: 'POLICY_DATA_PARSE',
      kind: 'config',
      file,
      line,
      column,
      hint:
        problem.code === 'DUPLICATE_KEY'
          ? 'remove the duplicate key'
          : 'fix the YAML at that line (check indentation, quotes and brackets)',
    });
  }
  return {
    value: document.toJS(),
    locate(path) {
      // The deepest node that exists on the path: an error about a missing key points at its parent.
      for (let n = path.length; n > 0; n--) {
        const node = document.getIn(
          path.slice(0, n).map((p) => (/^\d+$/.test(p) ? Number(p) : p)),
          true,
        );
        if (isNode(node) && node.range) {
          const pos = lineCounter.linePos(node.range[0]);
          return { line: pos.line, column: pos.col };
        }
      }
      return {};
    },
  };
}

function lineOfTopKey(text: string, key: string): number | undefined {
  const index = text
    .split('\n')
    .findIndex((line) => line.startsWith(`${key}:`) || line.startsWith(`"${key}":`));
  return index >= 0 ? index + 1 : undefined;
}
