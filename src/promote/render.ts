import type { StoreResult } from '../audit/record.js';
import type { KeyChange, PromotionPlan } from './plan.js';

const symbol: Record<KeyChange['action'], string> = { add: '+', change: '~', delete: '-' };

function show(change: KeyChange): string {
  const v = (x: KeyChange['before']) =>
    x ? (x.value !== undefined ? JSON.stringify(x.value) : x.fingerprint) : '';
  if (change.action === 'add') return `${v(change.after)}${change.secret ? ' (secret)' : ''}`;
  if (change.action === 'delete') return v(change.before);
  return `${v(change.before)} → ${v(change.after)}${change.secret ? ' (secret changed)' : ''}`;
}

/** A plan as short human text; secrets appear only as keyed fingerprints. */
export function renderPlanText(plan: PromotionPlan, sourceDescription: string): string {
  const lines = [`plan for ${plan.environment} from ${sourceDescription} (${plan.source.slice(0, 12)})`];
  for (const s of plan.stores) {
    const c = s.counts;
    const owner = s.ownership === 'ours' || s.ownership === 'empty' ? '' : `  [${s.ownership.toUpperCase()}]`;
    lines.push(`  store ${s.store} (${s.kind}): +${c.add} ~${c.change} -${c.delete}${owner}`);
    for (const change of s.changes) lines.push(`    ${symbol[change.action]} ${change.key}  ${show(change)}`);
  }
  if (plan.drift)
    lines.push('  drift: a store holds values llmcm did not write; promote refuses without --force');
  lines.push(plan.empty ? '  no changes: the stores already hold this source' : '');
  lines.push(`plan hash: ${plan.hash}`);
  return `${lines.filter((l) => l !== '').join('\n')}\n`;
}

/** One line per store result. */
export function renderStoreResults(results: readonly StoreResult[]): string {
  return results
    .map(
      (r) =>
        `  ${r.store}: ${r.outcome}${r.writes ? ` (${r.writes} write${r.writes === 1 ? '' : 's'})` : ''}${r.error ? ` — ${r.error}` : ''}`,
    )
    .join('\n');
}
