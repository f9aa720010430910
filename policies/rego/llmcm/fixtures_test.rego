# Shared fixtures of the Rego unit tests (not bundled: *_test.rego files are ignored by the build).
package llmcm.fixtures

# A production config that passes every rule.
good_prod := {
	"providers": {"openai": {"type": "openai", "base_url": "https://api.openai.com/v1", "api_key": {"$secret": "encrypted"}}},
	"models": {
		"gpt-4o": {
			"provider": "openai", "model": "gpt-4o-2024-08-06",
			"params": {"temperature": 0.2, "top_p": 1, "max_tokens": 1024},
			"limits": {"rpm": 100, "tpm": 1000},
			"cost": {"input_per_1k": 0.0025, "output_per_1k": 0.01},
		},
		"gpt-4o-mini": {
			"provider": "openai", "model": "gpt-4o-mini-2024-07-18",
			"params": {"temperature": 0.3},
			"limits": {"rpm": 100, "tpm": 1000},
		},
	},
	"routing": {
		"routes": {"chat": {"strategy": "single", "targets": [{"model": "gpt-4o"}]}},
		"fallbacks": {"general": {"gpt-4o": ["gpt-4o-mini"]}},
	},
	"budgets": {"environment": {"limit_usd": 1000}, "teams": {"support": {"limit_usd": 500}}},
	"prompts": {"answer": {"version": 3, "template": "x"}, "summary": {"version": "1.2.3", "template": "y"}},
	"flags": {"streaming": {"enabled": true}, "debug_logging": {"enabled": false}},
	"gateway": {"master_key": {"$secret": "encrypted"}, "webhook_secret": "ENC[AES256_GCM,data:x,type:str]"},
}

files := {"prod": {
	"providers": "environments/prod/providers.yaml",
	"models": "environments/prod/models.yaml",
	"routing": "environments/_base/routing.yaml",
}}

now := "2026-11-27T10:00:00Z"

frozen_now := "2026-12-20T10:00:00Z"

input_for(env, cfg) := {"now": now, "action": "change", "config": {env: cfg}, "files": files}

# The deny objects of one rule.
ids(set, id) := {d | some d in set; d.id == id}

paths(set, id) := {d.path | some d in set; d.id == id}
