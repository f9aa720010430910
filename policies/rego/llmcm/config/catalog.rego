# Approved providers and models per environment
# Providers and provider model ids must be on the environment's lists in data.environments.
package llmcm.config

import data.llmcm.lib

# A provider's kind is its `type` when given, else its name (e.g. `openai`).
provider_kind(name, p) := t if {
	t := object.get(p, "type", null)
	is_string(t)
} else := name

violation contains v if {
	some env, cfg in input.config
	some name, p in cfg.providers
	kind := provider_kind(name, p)
	not kind in lib.env_setting(env, ["approved_providers"], [])
	v := {
		"id": "approved-provider",
		"env": env,
		"path": lib.pointer(["providers", name]),
		"msg": concat("", ["provider '", lib.text(kind), "' is not approved for ", env]),
		"details": {"provider": kind},
	}
}

violation contains v if {
	some env, cfg in input.config
	some name, m in cfg.models
	id := object.get(m, "model", null)
	not id in lib.env_setting(env, ["approved_models"], [])
	v := {
		"id": "approved-model",
		"env": env,
		"path": lib.pointer(["models", name, "model"]),
		"msg": concat("", ["model '", lib.text(name), "' uses provider model '", lib.text(id), "', which is not approved for ", env]),
		"details": {"model": id},
	}
}
