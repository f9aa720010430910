# Parameter ranges, rate-limit caps, budget caps and cost ceilings per environment
# Limits come from data.environments[env]; an unknown environment has no allowance.
package llmcm.config

import data.llmcm.lib

in_range(x, r) if {
	is_number(x)
	x >= r.min
	x <= r.max
}

# A cap is met by a positive number no higher than it; a missing value does not meet it.
within_cap(x, cap) if {
	is_number(x)
	x > 0
	x <= cap
}

tuning_params := ["temperature", "top_p", "max_tokens"]

violation contains v if {
	some env, cfg in input.config
	some name, m in cfg.models
	some param in tuning_params
	value := m.params[param]
	r := lib.env_setting(env, ["ranges", param], {})
	not in_range(value, r)
	v := {
		"id": "param-range",
		"env": env,
		"path": lib.pointer(["models", name, "params", param]),
		"msg": concat("", [param, " of model '", lib.text(name), "' is outside the range allowed in ", env]),
		"details": {"param": param, "value": value, "min": object.get(r, "min", null), "max": object.get(r, "max", null)},
	}
}

# A declared limit must be within the cap; production must declare both.
violation contains v if {
	some env, cfg in input.config
	some name, m in cfg.models
	some limit in ["rpm", "tpm"]
	cap := lib.env_setting(env, ["caps", limit], 0)
	value := object.get(m, ["limits", limit], null)
	limit_checked(env, value)
	not within_cap(value, cap)
	v := {
		"id": "rate-limit-cap",
		"env": env,
		"path": lib.pointer(["models", name, "limits", limit]),
		"msg": concat("", [limit, " limit of model '", lib.text(name), "' is missing or above the cap for ", env]),
		"details": {"limit": limit, "value": value, "cap": cap},
	}
}

limit_checked(_, value) if value != null

limit_checked(env, null) if lib.is_production(env)

# Every budget of budgets.yaml: the environment's, and those per team, provider and model.
budget_entries contains [env, ["budgets", "environment"], b] if {
	some env, cfg in input.config
	b := cfg.budgets.environment
}

budget_entries contains [env, ["budgets", scope, name], b] if {
	some env, cfg in input.config
	some scope in ["teams", "providers", "models"]
	some name, b in cfg.budgets[scope]
}

violation contains v if {
	some entry in budget_entries
	[env, parts, b] := entry
	cap := lib.env_setting(env, ["caps", "budget_usd"], 0)
	value := object.get(b, "limit_usd", null)
	not within_cap(value, cap)
	v := {
		"id": "budget-cap",
		"env": env,
		"path": lib.pointer(array.concat(parts, ["limit_usd"])),
		"msg": concat("", ["budget ", lib.pointer(parts), " has no limit or one above the cap for ", env]),
		"details": {"value": value, "cap": cap},
	}
}

# Production spending must be capped as a whole.
violation contains v if {
	some env, cfg in input.config
	lib.is_production(env)
	not is_object(object.get(cfg, ["budgets", "environment"], null))
	v := {
		"id": "budget-cap",
		"env": env,
		"path": "/budgets/environment",
		"msg": concat("", [env, " declares no environment budget; production spending must be capped"]),
		"details": {},
	}
}

violation contains v if {
	some env, cfg in input.config
	some name, m in cfg.models
	ceiling := lib.env_setting(env, ["cost_ceiling_per_1k_usd"], null)
	is_number(ceiling)
	some kind in ["input_per_1k", "output_per_1k"]
	cost := m.cost[kind]
	is_number(cost)
	cost > ceiling
	v := {
		"id": "model-cost",
		"env": env,
		"path": lib.pointer(["models", name, "cost", kind]),
		"msg": concat("", [kind, " cost of model '", lib.text(name), "' is above the soft ceiling for ", env]),
		"details": {"value": cost, "ceiling": ceiling},
	}
}
