/** Stopwords shorter than this are checked one by one (the index is keyed by this many characters). */
const PREFIX_LENGTH = 3;

/**
 * "Does the secret contain any of these stopwords?" for long stopword lists. gitleaks' default
 * generic-api-key rule has about 1,400 stopwords, and checking each candidate secret with one
 * substring search per stopword cost more than running the rule (gitleaks uses a trie for the same
 * reason). Stopwords are grouped by their first three characters, so a secret of n characters costs
 * n map lookups plus a comparison per stopword sharing a prefix with the text at that position;
 * building the index is one pass over the list, cheaper than an automaton for a short CLI run.
 * The answer is exactly `stopwords.some((w) => text.includes(w))`.
 */
export class StopwordIndex {
  private readonly byPrefix = new Map<string, string[]>();
  private readonly short: string[] = [];

  constructor(stopwords: readonly string[]) {
    for (const word of stopwords) {
      if (word.length < PREFIX_LENGTH) {
        this.short.push(word);
        continue;
      }
      const prefix = word.slice(0, PREFIX_LENGTH);
      const group = this.byPrefix.get(prefix);
      if (group) group.push(word);
      else this.byPrefix.set(prefix, [word]);
    }
  }

  /** True when `text` contains at least one of the stopwords. */
  containsAny(text: string): boolean {
    for (let i = 0; i < this.short.length; i++) if (text.includes(this.short[i]!)) return true;
    for (let at = 0; at + PREFIX_LENGTH <= text.length; at++) {
      const group = this.byPrefix.get(text.slice(at, at + PREFIX_LENGTH));
      if (group === undefined) continue;
      for (let g = 0; g < group.length; g++) if (text.startsWith(group[g]!, at)) return true;
    }
    return false;
  }
}
