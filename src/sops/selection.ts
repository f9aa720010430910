import { matchGoRegex } from './go-regex.js';
import type { Selection } from './tree.js';

/**
 * Whether a leaf is encrypted, exactly as sops.go shouldBeEncrypted decides it: suffix and regex
 * rules look at every key on the path; comment rules look at the comment stack, and with
 * `encrypted_comment_regex` the matching comment line itself stays in clear.
 */
export function shouldBeEncrypted(
  selection: Selection,
  path: readonly string[],
  commentsStack: readonly (readonly string[])[],
  isComment: boolean,
): boolean {
  const { key, value } = selection;
  if (value === '') return true;
  switch (key) {
    case 'unencrypted_suffix':
      return !path.some((p) => p.endsWith(value));
    case 'encrypted_suffix':
      return path.some((p) => p.endsWith(value));
    case 'unencrypted_regex':
      return !path.some((p) => matchGoRegex(value, p));
    case 'encrypted_regex':
      return path.some((p) => matchGoRegex(value, p));
    case 'unencrypted_comment_regex':
      return !commentsStack.some((level) => level.some((c) => matchGoRegex(value, c)));
    case 'encrypted_comment_regex': {
      const lastLevel = commentsStack.length - 1;
      const lastIndex = (commentsStack[lastLevel]?.length ?? 0) - 1;
      for (let i = 0; i < commentsStack.length; i++) {
        const level = commentsStack[i]!;
        for (let j = 0; j < level.length; j++) {
          if (isComment && i === lastLevel && j === lastIndex) continue;
          if (matchGoRegex(value, level[j]!)) return true;
        }
      }
      return false;
    }
  }
}
