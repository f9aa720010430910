/**
 * The keyword prefilter: one Aho-Corasick pass over the lower-cased fragment tells which keywords
 * occur, and so which rules run at all (gitleaks does the same with its prefilter trie).
 * The automaton is a dense DFA over UTF-16 code units below 128; any other unit resets to the root
 * unless a keyword contains it, in which case a sparse map handles it.
 */
export class KeywordPrefilter {
  readonly keywords: string[];
  private readonly ascii: Int32Array;
  private readonly other: Map<number, number>[];
  /** For each state, the keyword indexes that end there (including via suffix links). */
  private readonly outputs: number[][];

  constructor(keywords: Iterable<string>) {
    this.keywords = [...new Set([...keywords].map((k) => k.toLowerCase()).filter((k) => k.length > 0))];
    const gotoAscii: number[][] = [new Array(128).fill(-1)];
    const gotoOther: Map<number, number>[] = [new Map()];
    const out: number[][] = [[]];
    this.keywords.forEach((kw, index) => {
      let state = 0;
      for (let i = 0; i < kw.length; i++) {
        const c = kw.charCodeAt(i);
        let next = c < 128 ? gotoAscii[state]![c]! : (gotoOther[state]!.get(c) ?? -1);
        if (next === -1) {
          next = gotoAscii.length;
          gotoAscii.push(new Array(128).fill(-1));
          gotoOther.push(new Map());
          out.push([]);
          if (c < 128) gotoAscii[state]![c] = next;
          else gotoOther[state]!.set(c, next);
        }
        state = next;
      }
      out[state]!.push(index);
    });
    // Breadth-first: failure links, then complete the DFA so scanning never follows links.
    const fail = new Array<number>(gotoAscii.length).fill(0);
    const queue: number[] = [];
    for (let c = 0; c < 128; c++) {
      const s = gotoAscii[0]![c]!;
      if (s === -1) gotoAscii[0]![c] = 0;
      else queue.push(s);
    }
    for (const s of gotoOther[0]!.values()) queue.push(s);
    while (queue.length > 0) {
      const r = queue.shift()!;
      out[r]!.push(...out[fail[r]!]!);
      for (let c = 0; c < 128; c++) {
        const s = gotoAscii[r]![c]!;
        if (s === -1) {
          gotoAscii[r]![c] = gotoAscii[fail[r]!]![c]!;
        } else {
          fail[s] = gotoAscii[fail[r]!]![c]!;
          queue.push(s);
        }
      }
      for (const [c, s] of gotoOther[r]!) {
        let f = fail[r]!;
        while (f !== 0 && !gotoOther[f]!.has(c)) f = fail[f]!;
        fail[s] = gotoOther[f]!.get(c) ?? 0;
        if (fail[s] === s) fail[s] = 0;
        queue.push(s);
      }
    }
    this.ascii = new Int32Array(gotoAscii.length * 128);
    gotoAscii.forEach((row, s) => {
      this.ascii.set(row, s * 128);
    });
    this.other = gotoOther;
    this.outputs = out.map((o) => [...new Set(o)]);
    this.fail = fail;
  }

  private readonly fail: number[];

  /** The set of keywords present in `lowered` (already lower-cased text). */
  findKeywords(lowered: string): Set<string> {
    const found = this.keywordFlags(lowered);
    const result = new Set<string>();
    for (let k = 0; k < found.length; k++) if (found[k] === 1) result.add(this.keywords[k]!);
    return result;
  }

  /** Per keyword (indexes of `keywords`), 1 when it occurs in `lowered`: no strings built. */
  keywordFlags(lowered: string): Uint8Array {
    const found = new Uint8Array(this.keywords.length);
    let count = 0;
    let state = 0;
    const ascii = this.ascii;
    const outputs = this.outputs;
    for (let i = 0; i < lowered.length; i++) {
      const c = lowered.charCodeAt(i);
      if (c < 128) {
        state = ascii[state * 128 + c]!;
      } else {
        let s = state;
        for (;;) {
          const next = this.other[s]!.get(c);
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
          if (found[k] === 0) {
            found[k] = 1;
            count++;
          }
        }
        if (count === this.keywords.length) break;
      }
    }
    return found;
  }
}
