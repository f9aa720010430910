/**
 * The keyword prefilter: one Aho-Corasick pass over the lower-cased fragment tells which keywords
 * occur, and so which rules run at all (gitleaks does the same with its prefilter trie).
 * The automaton is a dense DFA over the ASCII characters that occur in keywords (every other ASCII
 * character is one class that always leads back to the root); a code unit of 128 or more resets
 * to the root unless a keyword contains it, in which case a sparse map handles it.
 */
export class KeywordPrefilter {
  readonly keywords: string[];
  /** Character class of each ASCII code unit (0: in no keyword). */
  private readonly classes: Uint8Array;
  private readonly width: number;
  /** Transitions: state * width + class. */
  private readonly ascii: Int32Array;
  /** Transitions on code units ≥ 128, only for the few states that have any. */
  private readonly other: (Map<number, number> | undefined)[];
  /** For each state, the keyword indexes that end there (including via suffix links). */
  private readonly outputs: number[][];

  constructor(keywords: Iterable<string>) {
    this.keywords = [...new Set([...keywords].map((k) => k.toLowerCase()).filter((k) => k.length > 0))];
    // This runs at every scan's start-up for a few hundred keywords: typed arrays, a table only as
    // wide as the keywords' alphabet (about 40 of 128 columns), sized for the worst case (one
    // state per keyword character).
    const classes = new Uint8Array(128);
    let width = 1;
    let maxStates = 1;
    for (const kw of this.keywords) {
      maxStates += kw.length;
      for (let i = 0; i < kw.length; i++) {
        const c = kw.charCodeAt(i);
        if (c < 128 && classes[c] === 0) classes[c] = width++;
      }
    }
    const ascii = new Int32Array(maxStates * width).fill(-1);
    const gotoOther: (Map<number, number> | undefined)[] = [];
    const out: number[][] = [[]];
    let states = 1;
    this.keywords.forEach((kw, index) => {
      let state = 0;
      for (let i = 0; i < kw.length; i++) {
        const c = kw.charCodeAt(i);
        let next = c < 128 ? ascii[state * width + classes[c]!]! : (gotoOther[state]?.get(c) ?? -1);
        if (next === -1) {
          next = states++;
          out.push([]);
          if (c < 128) ascii[state * width + classes[c]!] = next;
          else {
            gotoOther[state] ??= new Map();
            gotoOther[state]!.set(c, next);
          }
        }
        state = next;
      }
      out[state]!.push(index);
    });
    // Breadth-first: failure links, then complete the DFA so scanning never follows links.
    const fail = new Array<number>(states).fill(0);
    const queue = new Int32Array(states);
    let head = 0;
    let tail = 0;
    for (let c = 0; c < width; c++) {
      const s = ascii[c]!;
      if (s === -1) ascii[c] = 0;
      else queue[tail++] = s;
    }
    for (const s of gotoOther[0]?.values() ?? []) queue[tail++] = s;
    while (head < tail) {
      const r = queue[head++]!;
      const f = fail[r]!;
      if (out[f]!.length > 0) out[r]!.push(...out[f]!);
      const row = r * width;
      const failRow = f * width;
      for (let c = 0; c < width; c++) {
        const s = ascii[row + c]!;
        if (s === -1) {
          ascii[row + c] = ascii[failRow + c]!;
        } else {
          fail[s] = ascii[failRow + c]!;
          queue[tail++] = s;
        }
      }
      for (const [c, s] of gotoOther[r] ?? []) {
        let g = fail[r]!;
        while (g !== 0 && !gotoOther[g]?.has(c)) g = fail[g]!;
        fail[s] = gotoOther[g]?.get(c) ?? 0;
        if (fail[s] === s) fail[s] = 0;
        queue[tail++] = s;
      }
    }
    this.classes = classes;
    this.width = width;
    this.ascii = states === maxStates ? ascii : ascii.slice(0, states * width);
    this.other = gotoOther;
    // Each list is built by push, so that all have one array shape (a spread of a Set makes another
    // kind of array, and the scan loop below was deoptimised the first time it met the second kind).
    this.outputs = out.map((o) => {
      const unique: number[] = [];
      for (const k of o) if (!unique.includes(k)) unique.push(k);
      return unique;
    });
    this.fail = fail;
    this.seen = new Uint8Array(this.keywords.length);
  }

  private readonly fail: number[];

  /** The set of keywords present in `lowered` (already lower-cased text). */
  findKeywords(lowered: string): Set<string> {
    return new Set(this.foundKeywords(lowered).map((k) => this.keywords[k]!));
  }

  /** Scratch marks for foundKeywords (cleared again before it returns). */
  private readonly seen: Uint8Array;

  /**
   * Indexes (into `keywords`) of the keywords that occur in `lowered`, each once, in the order they
   * were found: the few hits of a fragment, with nothing to scan per keyword or per rule after.
   */
  foundKeywords(lowered: string): number[] {
    const seen = this.seen;
    const found: number[] = [];
    let state = 0;
    const ascii = this.ascii;
    const classes = this.classes;
    const width = this.width;
    const outputs = this.outputs;
    for (let i = 0; i < lowered.length; i++) {
      const c = lowered.charCodeAt(i);
      if (c < 128) {
        state = ascii[state * width + classes[c]!]!;
      } else {
        let s = state;
        for (;;) {
          const next = this.other[s]?.get(c);
          if (next !== undefined) {
            state = next;
            break;
          }
          if (s === 0) {
            state = 0;
            break;
          }
          s = this.fail[s]!;
        }
      }
      const o = outputs[state]!;
      if (o.length > 0) {
        for (const k of o) {
          if (seen[k] === 0) {
            seen[k] = 1;
            found.push(k);
          }
        }
        if (found.length === this.keywords.length) break;
      }
    }
    for (const k of found) seen[k] = 0;
    return found;
  }
}
