/**
 * Shannon entropy exactly as gitleaks computes it (detect/utils.go shannonEntropy): characters are
 * counted per Unicode code point, but the frequencies divide by the UTF-8 *byte* length. For ASCII
 * this is the textbook formula; for other text it is lower, and thresholds in user configs rely on it.
 */
export function shannonEntropy(data: string): number {
  if (data === '') return 0;
  const counts = new Map<number, number>();
  let bytes = 0;
  for (const ch of data) {
    const cp = ch.codePointAt(0)!;
    counts.set(cp, (counts.get(cp) ?? 0) + 1);
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  const inv = 1 / bytes;
  let entropy = 0;
  for (const count of counts.values()) {
    const freq = count * inv;
    entropy -= freq * Math.log2(freq);
  }
  return entropy;
}
