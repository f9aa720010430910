import { describe, expect, it } from 'vitest';
import { mergeLayers } from '../../../src/config/merge.js';
import { parseYamlText, readYamlTree } from '../../../src/config/yaml-source.js';

const layer = (name: string, file: string, text: string) => {
  const { document, lines } = parseYamlText(text, file);
  return { layer: name, file, tree: readYamlTree(document, lines, file, '/models') };
};

describe('mergeLayers: maps merge deeply, lists replace, null removes', () => {
  const base = layer(
    '_base',
    'environments/_base/models.yaml',
    [
      'gpt-4o:',
      '  provider: openai',
      '  params:',
      '    temperature: 0.2',
      '    max_tokens: 2048',
      '  environments: [dev, staging, prod]',
      'legacy:',
      '  provider: openai',
      '',
    ].join('\n'),
  );
  const prod = layer(
    'prod',
    'environments/prod/models.yaml',
    ['gpt-4o:', '  params:', '    temperature: 0.1', '  environments: [prod]', 'legacy: null', ''].join('\n'),
  );
  const merged = mergeLayers('/models', [base, prod]);

  it('merges maps deeply and keeps untouched keys from the base', () => {
    expect(merged.value).toEqual({
      'gpt-4o': {
        provider: 'openai',
        params: { temperature: 0.1, max_tokens: 2048 },
        environments: ['prod'],
      },
    });
  });

  it('replaces lists as a whole', () => {
    expect((merged.value as { 'gpt-4o': { environments: string[] } })['gpt-4o'].environments).toEqual([
      'prod',
    ]);
    expect(merged.provenance.has('/models/gpt-4o/environments/1')).toBe(false);
  });

  it('removes a key set to null in an upper layer', () => {
    expect(merged.value).not.toHaveProperty('legacy');
    expect(merged.provenance.has('/models/legacy')).toBe(false);
  });

  it('keeps file, line, column and layer for every value', () => {
    expect(merged.provenance.get('/models/gpt-4o/params/temperature')).toMatchObject({
      file: 'environments/prod/models.yaml',
      layer: 'prod',
      line: 3,
      column: 18,
      keyLine: 3,
      keyColumn: 5,
    });
    expect(merged.provenance.get('/models/gpt-4o/params/max_tokens')).toMatchObject({
      file: 'environments/_base/models.yaml',
      layer: '_base',
      line: 5,
      column: 17,
    });
    expect(merged.provenance.get('/models/gpt-4o/environments/0')).toMatchObject({
      layer: 'prod',
      line: 4,
      column: 18,
    });
  });

  it('tracks encrypted values through overrides', () => {
    const a = layer(
      '_base',
      'a.yaml',
      'p:\n  api_key: ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]\n',
    );
    const b = layer('prod', 'b.yaml', 'p:\n  api_key: os.environ/KEY\n');
    expect(mergeLayers('/models', [a]).secrets.get('/models/p/api_key')).toBe('str');
    expect(mergeLayers('/models', [a, b]).secrets.has('/models/p/api_key')).toBe(false);
    expect(mergeLayers('/models', [b, a]).secrets.get('/models/p/api_key')).toBe('str');
  });
});
