// The policy engine: Rego compiled to wasm (opa build), evaluated in-process with
// @open-policy-agent/opa-wasm, with OPA-shaped decision records. See docs/policy.md.
export { canonicalJson, hashCanonical } from './canonical-json.js';
export { appendDecisionRecords, type DecisionRecord } from './decision-log.js';
export {
  type AccessDenial,
  type AccessResult,
  type ConfigPolicyResult,
  type EvaluateOptions,
  type LoadPolicyEngineOptions,
  loadPolicyEngine,
  loadPolicyEngineFromBundle,
  PolicyEngine,
  type PolicyExemption,
  type PolicyPass,
  type PolicyReport,
} from './engine.js';
export { type LocateValue, policyFindings } from './findings.js';
export { findOpa, opaInstallHint, pinnedOpaVersion } from './opa-cli.js';
export {
  type BuildPolicyBundleResult,
  type BundleFreshness,
  type BundleManifest,
  buildPolicyBundle,
  checkBundleFreshness,
} from './policy-bundle.js';
export { validatePolicyInput } from './policy-schemas.js';
export { hasPolicies, policyEntrypoints, policyLayout } from './policy-sources.js';
export { type PolicyTestResult, runPolicyTests } from './policy-test.js';
export { redactConfig, type SecretMarker } from './redact.js';
export {
  createCheckInput,
  createPromotionInput,
  type EnvironmentChange,
  formatPolicyTime,
  type PolicyStageEnvironment,
  type PolicyStageResult,
  type RunPolicyStageOptions,
  runPolicyStage,
} from './stage.js';

/**
 * Convenience wrappers for callers holding an engine (the promote gate): same as the methods.
 */
export function evaluateConfigPolicies(
  engine: import('./engine.js').PolicyEngine,
  input: unknown,
): import('./engine.js').ConfigPolicyResult {
  return engine.evaluateConfigPolicies(input);
}

/** The promotion gate: `allowed`, `reasons` and the decision record (cite `decision.decision_id`). */
export function evaluateAccess(
  engine: import('./engine.js').PolicyEngine,
  input: unknown,
): import('./engine.js').AccessResult {
  return engine.evaluateAccess(input);
}
