package llmcm.config_test

import data.llmcm.config
import data.llmcm.fixtures as fx

good := fx.good_prod

test_good_prod_has_no_denials if {
	count(config.deny) == 0 with input as fx.input_for("prod", good)
}

test_passes_are_reported_per_rule_and_file if {
	passes := config.passes with input as fx.input_for("prod", good)
	{"id": "approved-model", "env": "prod", "file": "environments/prod/models.yaml"} in passes
	{"id": "prod-fallback", "env": "prod", "file": "environments/_base/routing.yaml"} in passes
	{"id": "no-debug-flags", "env": "prod", "file": "environments/prod"} in passes
}

test_a_failed_rule_is_not_a_pass if {
	cfg := json.patch(good, [{"op": "replace", "path": "/models/gpt-4o/model", "value": "gpt-5-preview"}])
	passes := config.passes with input as fx.input_for("prod", cfg)
	not {"id": "approved-model", "env": "prod", "file": "environments/prod/models.yaml"} in passes
}

test_result_bundles_deny_warn_passes if {
	r := config.result with input as fx.input_for("prod", good)
	r.deny == set()
	count(r.passes) > 0
}

test_unapproved_provider_type if {
	cfg := json.patch(good, [{"op": "add", "path": "/providers/local", "value": {"type": "ollama"}}])
	fx.paths(config.deny, "approved-provider") == {"/providers/local"} with input as fx.input_for("prod", cfg)
}

test_provider_without_type_is_matched_by_name if {
	cfg := json.patch(good, [{"op": "add", "path": "/providers/mystery", "value": {}}])
	d := fx.ids(config.deny, "approved-provider") with input as fx.input_for("prod", cfg)
	some x in d
	x.details.provider == "mystery"
}

test_unapproved_model_id_reports_file if {
	cfg := json.patch(good, [{"op": "replace", "path": "/models/gpt-4o/model", "value": "gpt-5-preview"}])
	d := fx.ids(config.deny, "approved-model") with input as fx.input_for("prod", cfg)
	some x in d
	x.path == "/models/gpt-4o/model"
	x.file == "environments/prod/models.yaml"
	x.severity == "high"
}

test_unknown_environment_has_nothing_approved if {
	fx.paths(config.deny, "approved-provider") == {"/providers/openai"} with input as fx.input_for("qa", good)
}

test_temperature_above_range if {
	cfg := json.patch(good, [{"op": "replace", "path": "/models/gpt-4o/params/temperature", "value": 1.5}])
	d := fx.ids(config.deny, "param-range") with input as fx.input_for("prod", cfg)
	some x in d
	x.path == "/models/gpt-4o/params/temperature"
	x.details == {"param": "temperature", "value": 1.5, "min": 0, "max": 1}
}

test_non_numeric_param_is_out_of_range if {
	cfg := json.patch(good, [{"op": "replace", "path": "/models/gpt-4o/params/max_tokens", "value": "lots"}])
	fx.paths(config.deny, "param-range") == {"/models/gpt-4o/params/max_tokens"} with input as fx.input_for("prod", cfg)
}

test_rate_limit_above_cap if {
	cfg := json.patch(good, [{"op": "replace", "path": "/models/gpt-4o/limits/rpm", "value": 999999}])
	fx.paths(config.deny, "rate-limit-cap") == {"/models/gpt-4o/limits/rpm"} with input as fx.input_for("prod", cfg)
}

test_missing_limits_denied_in_prod_only if {
	cfg := json.patch(good, [{"op": "remove", "path": "/models/gpt-4o/limits"}])
	fx.paths(config.deny, "rate-limit-cap") == {"/models/gpt-4o/limits/rpm", "/models/gpt-4o/limits/tpm"} with input as fx.input_for("prod", cfg)
	count(fx.ids(config.deny, "rate-limit-cap")) == 0 with input as fx.input_for("dev", cfg)
}

test_budget_above_cap_and_missing_limit if {
	cfg := json.patch(good, [
		{"op": "replace", "path": "/budgets/environment/limit_usd", "value": 1000000},
		{"op": "add", "path": "/budgets/models", "value": {"gpt-4o": {"owner": "x"}}},
	])
	fx.paths(config.deny, "budget-cap") == {"/budgets/environment/limit_usd", "/budgets/models/gpt-4o/limit_usd"} with input as fx.input_for("prod", cfg)
}

test_prod_needs_an_environment_budget if {
	cfg := json.patch(good, [{"op": "remove", "path": "/budgets/environment"}])
	fx.paths(config.deny, "budget-cap") == {"/budgets/environment"} with input as fx.input_for("prod", cfg)
}

test_model_cost_is_a_dry_run_warning if {
	cfg := json.patch(good, [{"op": "replace", "path": "/models/gpt-4o/cost/output_per_1k", "value": 0.5}])
	count(fx.ids(config.deny, "model-cost")) == 0 with input as fx.input_for("prod", cfg)
	w := fx.ids(config.warn, "model-cost") with input as fx.input_for("prod", cfg)
	some x in w
	x.dry_run == true
	x.path == "/models/gpt-4o/cost/output_per_1k"
}

test_dry_run_mode_from_data if {
	cfg := json.patch(good, [{"op": "replace", "path": "/models/gpt-4o/params/temperature", "value": 1.5}])
	count(fx.ids(config.deny, "param-range")) == 0 with input as fx.input_for("prod", cfg) with data.rules["param-range"].mode as "warn"
	count(fx.ids(config.warn, "param-range")) == 1 with input as fx.input_for("prod", cfg) with data.rules["param-range"].mode as "warn"
}

test_rule_off_reports_nothing if {
	cfg := json.patch(good, [{"op": "replace", "path": "/models/gpt-4o/params/temperature", "value": 1.5}])
	count(fx.ids(config.deny, "param-range")) == 0 with input as fx.input_for("prod", cfg) with data.rules["param-range"].mode as "off"
	passes := config.passes with input as fx.input_for("prod", cfg) with data.rules["param-range"].mode as "off"
	count({p | some p in passes; p.id == "param-range"}) == 0
}

test_routed_model_without_fallback if {
	cfg := json.patch(good, [{"op": "remove", "path": "/routing/fallbacks/general/gpt-4o"}])
	fx.paths(config.deny, "prod-fallback") == {"/routing/routes/chat/targets/0"} with input as fx.input_for("prod", cfg)
	count(fx.ids(config.deny, "prod-fallback")) == 0 with input as fx.input_for("staging", cfg)
}

test_fallback_and_loadbalance_routes_back_themselves_up if {
	routes := {
		"a": {"strategy": "fallback", "targets": [{"model": "gpt-4o"}, {"model": "gpt-4o-mini"}]},
		"b": {"strategy": "loadbalance", "targets": [{"model": "gpt-4o-mini", "weight": 1}, {"model": "gpt-4o", "weight": 1}]},
	}
	cfg := json.patch(good, [{"op": "replace", "path": "/routing", "value": {"routes": routes}}])
	count(fx.ids(config.deny, "prod-fallback")) == 0 with input as fx.input_for("prod", cfg)
}

test_route_level_fallback_chain if {
	routing := {"routes": {"chat": {"strategy": "single", "targets": [{"model": "gpt-4o"}]}}, "fallbacks": {"general": {"chat": ["gpt-4o-mini"]}}}
	cfg := json.patch(good, [{"op": "replace", "path": "/routing", "value": routing}])
	count(fx.ids(config.deny, "prod-fallback")) == 0 with input as fx.input_for("prod", cfg)
}

test_without_routes_every_primary_model_needs_a_chain if {
	cfg := json.patch(good, [{"op": "replace", "path": "/routing", "value": {"fallbacks": {"general": {"other": ["gpt-4o-mini-x"]}}}}])
	fx.paths(config.deny, "prod-fallback") == {"/routing/fallbacks/general/gpt-4o", "/routing/fallbacks/general/gpt-4o-mini"} with input as fx.input_for("prod", cfg)
}

test_debug_flag_enabled_in_prod if {
	cfg := json.patch(good, [
		{"op": "replace", "path": "/flags/debug_logging/enabled", "value": true},
		{"op": "add", "path": "/flags/new-ranker", "value": {"enabled": true, "experimental": true}},
		{"op": "add", "path": "/flags/verbose", "value": true},
	])
	fx.paths(config.deny, "no-debug-flags") == {"/flags/debug_logging", "/flags/new-ranker", "/flags/verbose"} with input as fx.input_for("prod", cfg)
	count(fx.ids(config.deny, "no-debug-flags")) == 0 with input as fx.input_for("dev", cfg)
}

test_prompt_versions_pinned_in_prod if {
	cfg := json.patch(good, [
		{"op": "replace", "path": "/prompts/answer/version", "value": "latest"},
		{"op": "replace", "path": "/prompts/summary/version", "value": "1.2"},
		{"op": "add", "path": "/prompts/float", "value": {"version": 2.5, "template": "z"}},
		{"op": "add", "path": "/prompts/none", "value": {"template": "z"}},
		{"op": "add", "path": "/prompts/wild", "value": {"version": "1.x.3", "template": "z"}},
		{"op": "add", "path": "/prompts/empty", "value": {"version": "1..3", "template": "z"}},
		{"op": "add", "path": "/prompts/tagged", "value": {"version": "v2.0.1", "template": "z"}},
	])
	fx.paths(config.deny, "prompt-pinned") == {"/prompts/answer/version", "/prompts/summary/version", "/prompts/float/version", "/prompts/none/version", "/prompts/wild/version", "/prompts/empty/version"} with input as fx.input_for("prod", cfg)
}

test_plaintext_secrets_denied if {
	cfg := json.patch(good, [
		{"op": "replace", "path": "/providers/openai/api_key", "value": {"$secret": "plaintext"}},
		{"op": "add", "path": "/gateway/database_url", "value": {"$secret": "plaintext"}},
		{"op": "add", "path": "/gateway/odd", "value": [{"$secret": "unknown"}]},
		{"op": "add", "path": "/gateway/ref_token", "value": {"$secret": "reference"}},
	])
	fx.paths(config.deny, "secret-encrypted") == {"/providers/openai/api_key", "/gateway/database_url", "/gateway/odd/0"} with input as fx.input_for("prod", cfg)
}

test_pointer_escapes_slash_and_tilde if {
	cfg := json.patch(good, [{"op": "add", "path": "/providers/a~1b~0c", "value": {"type": "mystery"}}])
	fx.paths(config.deny, "approved-provider") == {"/providers/a~1b~0c"} with input as fx.input_for("prod", cfg)
}

test_change_during_freeze_denied if {
	inp := object.union(fx.input_for("prod", good), {"now": fx.frozen_now, "change": {"prod": {"changed": ["/models/gpt-4o/params/temperature"]}}})
	d := fx.ids(config.deny, "change-window") with input as inp
	some x in d
	x.details.freeze == "year-end freeze"
}

test_change_outside_freeze_or_empty_allowed if {
	inp := object.union(fx.input_for("prod", good), {"change": {"prod": {"changed": ["/models"]}}})
	count(fx.ids(config.deny, "change-window")) == 0 with input as inp
	empty := object.union(fx.input_for("prod", good), {"now": fx.frozen_now, "change": {"prod": {"changed": []}}})
	count(fx.ids(config.deny, "change-window")) == 0 with input as empty
}

test_active_exemption_waives_and_is_reported if {
	cfg := {"models": {"creative-writer": {"model": "gpt-4o-2024-08-06", "params": {"temperature": 1.8}}}}
	inp := fx.input_for("staging", cfg)
	count(fx.ids(config.deny, "param-range")) == 0 with input as inp
	ex := config.exempted with input as inp
	{"id": "param-range", "env": "staging", "path": "/models/creative-writer/params/temperature", "exemptions": {"EX-2026-001"}} in ex
}

test_expired_exemption_stops_applying_and_warns if {
	cfg := {"models": {"creative-writer": {"model": "gpt-4o-2024-08-06", "params": {"temperature": 1.8}}}}
	inp := object.union(fx.input_for("staging", cfg), {"now": "2027-04-01T00:00:00Z"})
	count(fx.ids(config.deny, "param-range")) == 1 with input as inp
	w := fx.ids(config.warn, "exemption-expired") with input as inp
	{x.details.exemption | some x in w} == {"EX-2026-001", "EX-2026-002"}
}

test_deny_entrypoint_objects_have_conftest_fields if {
	cfg := json.patch(good, [{"op": "replace", "path": "/models/gpt-4o/params/temperature", "value": 1.5}])
	d := config.deny with input as fx.input_for("prod", cfg)
	every x in d {
		object.keys(x) == {"id", "msg", "path", "file", "severity", "env", "details"}
	}
}
