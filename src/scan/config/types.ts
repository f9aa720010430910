import type { GoRegExp } from '../re2/translate.js';

/** How an allowlist combines its checks (gitleaks `condition`). */
export type AllowlistCondition = 'OR' | 'AND';

/** What an allowlist's `regexes` are tested against (gitleaks `regexTarget`). */
export type RegexTarget = 'secret' | 'match' | 'line';

/** A compiled gitleaks allowlist (rule-level or global). */
export interface Allowlist {
  description: string;
  condition: AllowlistCondition;
  /** Lowercased, trimmed commit SHAs. */
  commits: Set<string>;
  /** Path regexes, joined into one like gitleaks does. */
  paths: RegExp | undefined;
  pathCount: number;
  regexTarget: RegexTarget;
  regexes: RegExp | undefined;
  regexCount: number;
  /** Lowercased stopwords (substring of the lowercased secret). */
  stopwords: string[];
}

/** A `[[rules.required]]` entry (composite rules). */
export interface RequiredRule {
  ruleId: string;
  withinLines?: number;
  withinColumns?: number;
}

/** A compiled gitleaks rule. */
export interface Rule {
  id: string;
  description: string;
  /** The Go pattern as written (for reports and errors). */
  regexSource: string | undefined;
  regex: GoRegExp | undefined;
  /** Go's NumSubexp. */
  groupCount: number;
  secretGroup: number;
  entropy: number;
  pathSource: string | undefined;
  path: RegExp | undefined;
  /** Lowercased keywords. */
  keywords: string[];
  tags: string[];
  allowlists: Allowlist[];
  required: RequiredRule[];
  skipReport: boolean;
}

/** A loaded configuration: rules in declaration order plus global allowlists. */
export interface ScanConfig {
  title: string;
  description: string;
  /** The file it came from (findings in this file are skipped, like gitleaks). */
  path: string | undefined;
  rules: Map<string, Rule>;
  /** Rule ids in report order (gitleaks' OrderedRules). */
  orderedRuleIds: string[];
  allowlists: Allowlist[];
  /** Patterns that translate but may match differently than in Go (printed as warnings). */
  warnings: string[];
}
