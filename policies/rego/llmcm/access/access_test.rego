package llmcm.access_test

import data.llmcm.access
import data.llmcm.fixtures as fx

promote(actor, approvals) := {
	"now": fx.now,
	"action": "promote",
	"actor": {"id": actor},
	"approvals": [{"by": a, "at": "2026-11-26T09:00:00Z"} | some a in approvals],
	"environment": "prod",
	"source_environment": "staging",
	"config": {},
}

change(actor, env, paths) := {
	"now": fx.now,
	"action": "change",
	"actor": {"id": actor},
	"config": {},
	"change": {env: {"changed": paths}},
}

denial_ids(inp) := ids if {
	denials := access.deny with input as inp
	ids := {d.id | some d in denials}
}

test_release_manager_promotes_with_two_approvals if {
	d := access.decision with input as promote("rita", ["ravi", "carol"])
	d.allowed
	d.roles == {"release-manager"}
	d.approvers == {"ravi", "carol"}
	d.reasons == ["actor 'rita' holds release-manager", "approved by carol", "approved by ravi"]
}

test_one_approval_is_not_enough_for_prod if {
	not access.allowed with input as promote("rita", ["ravi"])
	denial_ids(promote("rita", ["ravi"])) == {"approvals-missing"}
}

test_prod_needs_a_release_manager_approval if {
	denial_ids(promote("rita", ["carol", "dana"])) == {"approvals-role-missing"}
}

test_self_approval_does_not_count if {
	inp := promote("rita", ["rita", "ravi"])
	not access.allowed with input as inp
	denial_ids(inp) == {"approvals-missing"}
	access.decision.notes == {"a self-approval was given and does not count"} with input as inp
}

test_self_approval_counts_when_allowed_by_data if {
	access.allowed with input as promote("rita", ["rita", "carol"]) with data.access.approvals.prod.allow_self as true
}

test_unknown_and_future_approvers_do_not_count if {
	inp := json.patch(promote("rita", ["ravi", "mallory"]), [{"op": "add", "path": "/approvals/-", "value": {"by": "carol", "at": "2027-01-01T00:00:00Z"}}])
	access.decision.approvers == {"ravi"} with input as inp
	not access.allowed with input as inp
}

test_config_editor_cannot_promote_to_prod if {
	"promote-not-granted" in denial_ids(promote("carol", ["ravi", "rita"]))
}

test_config_editor_can_promote_to_staging if {
	inp := json.patch(promote("carol", ["dana"]), [
		{"op": "replace", "path": "/environment", "value": "staging"},
		{"op": "replace", "path": "/source_environment", "value": "dev"},
	])
	access.allowed with input as inp
}

test_promotion_must_follow_the_order if {
	inp := json.patch(promote("rita", ["ravi", "carol"]), [{"op": "replace", "path": "/source_environment", "value": "dev"}])
	denial_ids(inp) == {"promote-order"}
}

test_promotion_without_target if {
	inp := json.patch(promote("rita", ["ravi", "carol"]), [{"op": "remove", "path": "/environment"}])
	"promote-no-target" in denial_ids(inp)
	not access.allowed with input as inp
}

test_environment_without_approval_rule_is_denied if {
	denials := access.deny with input as promote("rita", ["ravi", "carol"]) with data.access.approvals as {}
	"approvals-undefined" in {d.id | some d in denials}
}

test_unknown_actor_is_denied_by_default if {
	inp := change("mallory", "dev", ["/models/gpt-4o"])
	not access.allowed with input as inp
	"unknown-actor" in denial_ids(inp)
}

test_unknown_action_is_denied if {
	inp := object.union(change("rita", "dev", []), {"action": "delete"})
	not access.allowed with input as inp
	denial_ids(inp) == {"unknown-action"}
}

test_promotion_in_a_freeze_is_denied_unless_exempted if {
	inp := object.union(promote("rita", ["ravi", "carol"]), {"now": fx.frozen_now})
	denial_ids(inp) == {"change-window"}
	exemption := {"id": "EX-9", "rule": "change-window", "environment": "prod", "path": "/", "owner": "rita", "reason": "hotfix", "expires": "2027-01-01T00:00:00Z"}
	access.allowed with input as inp with data.exemptions as [exemption]
}

test_editor_changes_dev_models_but_not_prod_models if {
	access.allowed with input as change("carol", "dev", ["/models/gpt-4o/params/temperature", "/routing"])
	inp := change("carol", "prod", ["/models/gpt-4o/params/temperature", "/prompts/answer/version"])
	{d.path | some d in access.deny} == {"/models/gpt-4o/params/temperature"} with input as inp
}

test_only_security_changes_provider_credentials if {
	access.allowed with input as change("sam", "prod", ["/providers/openai/api_key"])
	"change-not-granted" in denial_ids(change("rita", "prod", ["/providers/openai/api_key"]))
}

test_grants_by_environment_name if {
	grants := [{"role": "config-editor", "environments": ["qa"], "paths": ["/"]}]
	access.allowed with input as change("carol", "qa", ["/anything"]) with data.access.change as grants
}

test_change_in_a_freeze_is_denied if {
	inp := object.union(change("rita", "prod", ["/models/gpt-4o"]), {"now": fx.frozen_now})
	denial_ids(inp) == {"change-window"}
}

test_an_empty_change_in_a_freeze_is_allowed if {
	access.allowed with input as object.union(change("rita", "prod", []), {"now": fx.frozen_now})
}

test_decision_is_defined_without_an_actor if {
	d := access.decision with input as {"now": fx.now, "action": "promote", "config": {}}
	not d.allowed
	d.roles == set()
	"unknown-actor" in {x.id | some x in d.deny}
}

test_decision_is_defined_for_a_non_object_input if {
	d := access.decision with input as false
	not d.allowed
	{x.id | some x in d.deny} == {"unknown-action", "unknown-actor"}
}

test_an_approval_of_another_commit_does_not_count if {
	base := object.union(promote("rita", []), {"source_commit": "abc123"})
	inp := json.patch(base, [{"op": "replace", "path": "/approvals", "value": [
		{"by": "ravi", "commit": "abc123"},
		{"by": "carol", "commit": "0ld0ld"},
	]}])
	access.decision.approvers == {"ravi"} with input as inp
	ok := json.patch(inp, [{"op": "replace", "path": "/approvals/1/commit", "value": "abc123"}])
	access.allowed with input as ok
}
