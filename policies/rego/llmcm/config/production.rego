# Production-only rules
# In environments of tier `production`, routed models need a fallback, debug and
# experimental flags stay off, and prompt templates are pinned to an exact version.
package llmcm.config

import data.llmcm.lib

fallback_targets(cfg) := {f |
	some _, chain in cfg.routing.fallbacks.general
	some f in chain
}

# A fallback chain for `name` (a model or a route) that leads somewhere else.
chain_for(cfg, name) if {
	some f in cfg.routing.fallbacks.general[name]
	f != name
}

# Every (route, target index, model) traffic can be sent to first. In a `fallback` route only the
# first target is primary: the later ones are its fallbacks.
primary_targets contains [env, route, i, t.model] if {
	some env, cfg in input.config
	some route, r in cfg.routing.routes
	some i, t in r.targets
	primary_position(r, i)
}

primary_position(r, _) if r.strategy != "fallback"

primary_position(r, 0) if r.strategy == "fallback"

has_fallback(cfg, _, model) if chain_for(cfg, model)

has_fallback(cfg, route, _) if chain_for(cfg, route)

# A fallback route's later targets back up its first; a load-balanced group fails over within itself.
has_fallback(cfg, route, _) if {
	r := cfg.routing.routes[route]
	r.strategy in {"fallback", "loadbalance"}
	count(r.targets) > 1
}

violation contains v if {
	some entry in primary_targets
	[env, route, i, model] := entry
	lib.is_production(env)
	not has_fallback(input.config[env], route, model)
	v := {
		"id": "prod-fallback",
		"env": env,
		"path": lib.pointer(["routing", "routes", route, "targets", i]),
		"msg": concat("", ["model '", lib.text(model), "' of route '", lib.text(route), "' has no fallback in ", env]),
		"details": {"model": model, "route": route},
	}
}

# Without routes, every model that is not itself some model's fallback needs a chain.
violation contains v if {
	some env, cfg in input.config
	lib.is_production(env)
	count(object.get(cfg, ["routing", "routes"], {})) == 0
	some name, _ in cfg.models
	not name in fallback_targets(cfg)
	not chain_for(cfg, name)
	v := {
		"id": "prod-fallback",
		"env": env,
		"path": lib.pointer(["routing", "fallbacks", "general", name]),
		"msg": concat("", ["model '", lib.text(name), "' has no general fallback in ", env]),
		"details": {"model": name},
	}
}

flag_enabled(f) if f == true

flag_enabled(f) if f.enabled == true

# A flag name is debug-like when one of its words (split at - _ .) is in data.naming.debug_flag_words.
# String builtins, not regex.match: regex matching was the main cost in the wasm runtime.
flag_words(name) := split(replace(replace(lower(name), "-", "_"), ".", "_"), "_")

debug_flag(name, _) if {
	some word in flag_words(name)
	word in data.naming.debug_flag_words
}

debug_flag(_, f) if f.experimental == true

violation contains v if {
	some env, cfg in input.config
	lib.is_production(env)
	some name, f in cfg.flags
	flag_enabled(f)
	debug_flag(name, f)
	v := {
		"id": "no-debug-flags",
		"env": env,
		"path": lib.pointer(["flags", name]),
		"msg": concat("", ["debug/experimental flag '", name, "' is enabled in ", env]),
		"details": {"flag": name},
	}
}

# Bounded first: floor() of huge numbers differs between the wasm runtime and OPA's Go evaluator
# (found by the parity test); a real version number is small anyway.
pinned(version) if {
	is_number(version)
	version >= 0
	version < 1000000000
	version == floor(version)
}

# An exact version string: `3`, `1.2.3` or `v1.2.3` (digits only; no range, tag or wildcard).
pinned(version) if {
	is_string(version)
	parts := split(trim_prefix(version, "v"), ".")
	count(parts) in {1, 3}
	every part in parts {
		part != ""
		trim(part, "0123456789") == ""
	}
}

violation contains v if {
	some env, cfg in input.config
	lib.is_production(env)
	some name, p in cfg.prompts
	version := object.get(p, "version", null)
	not pinned(version)
	v := {
		"id": "prompt-pinned",
		"env": env,
		"path": lib.pointer(["prompts", name, "version"]),
		"msg": concat("", ["prompt '", lib.text(name), "' is not pinned to an exact version in ", env]),
		"details": {"version": version},
	}
}
