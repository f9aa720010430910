import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readFastYamlTree } from '../../../src/config/fast-yaml.js';
import { parseYamlText, readYamlTree, type YamlTree } from '../../../src/config/yaml-source.js';
import { projectRoot } from '../../support/tools.js';

/** The reference: the `yaml` package through readYamlTree; undefined when it refuses the input. */
function reference(text: string): YamlTree | undefined {
  try {
    const { document, lines } = parseYamlText(text, 'f.yaml');
    return readYamlTree(document, lines, 'f.yaml', '/kind');
  } catch {
    return undefined;
  }
}

function expectSame(text: string): boolean {
  const fast = readFastYamlTree(text, '/kind');
  if (fast === undefined) return false;
  const ref = reference(text);
  expect(ref, `fast path accepted input the yaml package refuses:\n${text}`).toBeDefined();
  expect(fast.value).toEqual(ref!.value);
  expect(Object.fromEntries(fast.positions)).toEqual(Object.fromEntries(ref!.positions));
  expect(Object.fromEntries(fast.encrypted)).toEqual(Object.fromEntries(ref!.encrypted));
  expect(fast.hasSopsMetadata).toBe(ref!.hasSopsMetadata);
  return true;
}

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yamlFiles(path, out);
    else if (/\.ya?ml$/.test(name)) out.push(path);
  }
  return out;
}

describe('fast YAML reader: same values, positions and envelopes as the yaml package, or declines', () => {
  it('takes every file of the example config repo and the fixtures on the fast path', () => {
    const files = [
      ...yamlFiles(join(projectRoot, 'environments')),
      ...yamlFiles(join(projectRoot, 'test/fixtures/check')),
    ];
    let fast = 0;
    for (const file of files) if (expectSame(readFileSync(file, 'utf8'))) fast++;
    expect(fast).toBe(files.length);
  });

  it.each([
    [
      'extra spaces and comments',
      'a:    1   # one\nb:  # holds a map\n  c: two  \n\n# gap\n  d: "x y" # q\n',
    ],
    ['sequence at the key indent', 'list:\n- a\n- b: 1\n  c: 2\n-   3\nnext: x\n'],
    [
      'nested sequences of maps',
      'routes:\n  chat:\n    targets:\n      - model: a\n        weight: 2\n      - model: b\n',
    ],
    ['flow sequences', 'a: [x, 1, true, -2.5]\nb: []\nc: {}\nd: [ spaced ,  items ]  # c\n'],
    [
      'literal blocks',
      't: |\n  line one\n\n  # not a comment\n  last\nu: |-\n    kept\n    indent\nv: after\n',
    ],
    ['keys with colons and quotes', 'llama3.1:8b: x\n\'quoted key\': 1\n"dq key": 2\nurl: http://h:1/p\n'],
    ['numbers and specials', 'i: -5\nf: .5\ng: 1.\nh: 1e3\nk: +7\nn: ~\nm: Null\nt: TRUE\n'],
    [
      'a sops block',
      'a: ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:int]\nsops:\n    age:\n        - recipient: age1x\n          enc: |\n            -----BEGIN-----\n    version: 3.13.3\n',
    ],
  ])('hand-written layouts: %s', (_name, text) => {
    expect(expectSame(text), 'taken by the fast path').toBe(true);
  });

  it('declines what it does not cover', () => {
    for (const text of [
      'a: &x 1\nb: *x\n',
      'a: !!str 1\n',
      'a: "x\\ny"\n',
      'a: one\n  two\n',
      'a: 1\na: 2\n',
      '200: x\n',
      'a:\n',
      'a: {b: 1}\n',
      '---\na: 1\n',
      'a: >\n  folded\n',
      'a: 0o17\n',
      'a: 0x1F\n',
      'a: .inf\n',
      'a: [x, "quoted"]\n',
    ]) {
      expect(readFastYamlTree(text), text).toBeUndefined();
    }
  });

  const key = fc.oneof(
    fc.constantFrom(
      'a',
      'api_key',
      'gpt-4o',
      'llama3.1:8b',
      'with space',
      'x/y',
      'ti~lde',
      '-dash',
      'sops',
      '#h',
      "it's",
      'true',
      '1',
      '',
    ),
    fc.string({ maxLength: 6 }),
  );
  const scalar = fc.oneof(
    fc.string({ maxLength: 10 }),
    fc.constantFrom(
      '',
      'null',
      '~',
      'yes',
      'True',
      '0x1F',
      '1e3',
      '-5',
      '.5',
      '1.',
      '# not',
      'a: b',
      "q'uote",
      'ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:int]',
      'line\nbreak\n',
    ),
    fc.integer(),
    fc.double({ noNaN: true }),
    fc.boolean(),
    fc.constant(null),
  );
  const tree = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('map'), tie('list')),
    map: fc.dictionary(key, tie('node'), { maxKeys: 4 }),
    list: fc.array(tie('node'), { maxLength: 3 }),
  }));

  it('agrees with the yaml package on generated documents in several layouts', () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        tree.map,
        fc.constantFrom(2, 4),
        fc.boolean(),
        fc.constantFrom('PLAIN', 'QUOTE_SINGLE', 'QUOTE_DOUBLE'),
        (doc, indent, flow, quote) => {
          const text = stringify(doc, {
            indent,
            flowCollectionPadding: false,
            collectionStyle: flow ? 'any' : 'block',
            defaultStringType: quote as 'PLAIN',
          });
          if (expectSame(text)) accepted++;
          const commented = `# header\n${text.replace(/\n/g, '\n\n')}`;
          if (expectSame(commented)) accepted++;
        },
      ),
      { numRuns: 300 },
    );
    expect(accepted).toBeGreaterThan(100);
  });
});
