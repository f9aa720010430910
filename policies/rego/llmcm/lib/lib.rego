# METADATA
# title: Shared helpers of the llmcm policies
# description: |
#   JSON pointers, the file a finding belongs to, rule modes (enforce / warn = dry-run / off),
#   exemptions with expiry and freeze windows. Time is only ever `input.now`, compared as an
#   RFC 3339 UTC string: time.* builtins are missing from the wasm runtime and would read a clock.
package llmcm.lib

# A JSON pointer (RFC 6901) from path segments; numbers are array indexes.
pointer(parts) := concat("", [s | some p in parts; s := concat("", ["/", segment(p)])])

segment(p) := replace(replace(p, "~", "~0"), "/", "~1") if is_string(p)

segment(p) := format_int(p, 10) if is_number(p)

# A printable name for a value that should be a string (adversarial input may hold anything).
text(x) := x if is_string(x)

text(x) := "<non-string>" if not is_string(x)

# The file a finding about `section` of `env` is reported against: input.files[env][section] when
# the host passed it, else the environment's folder.
file_of(env, section) := f if {
	f := input.files[env][section]
	is_string(f)
} else := concat("", ["environments/", text(env)])

# The mode of a rule from the catalog (data.rules): enforce (deny), warn (dry-run) or off.
rule_mode(id) := m if {
	m := data.rules[id].mode
	is_string(m)
} else := "enforce"

rule_severity(id) := s if {
	s := data.rules[id].severity
	is_string(s)
} else := "high"

rule_section(id) := s if {
	s := data.rules[id].section
	is_string(s)
} else := ""

# Environment attributes from data.environments (unknown environments have none: deny by default).
env_setting(env, path, fallback) := object.get(data.environments, array.concat([env], path), fallback)

is_production(env) if env_setting(env, ["tier"], "") == "production"

# `path` is `prefix` or lies under it; a trailing slash on the prefix is optional and "/" is everything.
path_under(path, prefix) if {
	is_string(path)
	is_string(prefix)
	base := trim_suffix(prefix, "/")
	path == base
}

path_under(path, prefix) if {
	is_string(path)
	is_string(prefix)
	base := trim_suffix(prefix, "/")
	startswith(path, concat("", [base, "/"]))
}

now := input.now if is_string(input.now)

exemption_active(e) if now < e.expires

exemption_expired(e) if now >= e.expires

# Ids of the exemptions that currently waive `rule` for `env` at `path`.
exemptions_for(rule, env, path) := {e.id |
	some e in data.exemptions
	e.rule == rule
	e.environment == env
	path_under(path, e.path)
	exemption_active(e)
}

# Freeze windows of data.change_windows covering `env` at input.now: start <= now < end.
active_freezes(env) := {f |
	some f in data.change_windows.freezes
	env in f.environments
	f.start <= now
	now < f.end
}

# The report object of a violation: conftest's {msg} plus rule id, path, file and severity.
report(v) := {
	"id": v.id,
	"msg": v.msg,
	"path": v.path,
	"env": v.env,
	"file": file_of(v.env, rule_section(v.id)),
	"severity": rule_severity(v.id),
	"details": object.get(v, "details", {}),
}

# Warnings for exemptions past their expiry: they no longer apply and should be renewed or removed.
expired_exemption_warnings contains w if {
	some e in data.exemptions
	exemption_expired(e)
	w := {
		"id": "exemption-expired",
		"msg": concat("", [
			"exemption ", text(e.id), " (rule ", text(e.rule), ", owner ", text(e.owner),
			") expired at ", text(e.expires), " and no longer applies; renew or remove it",
		]),
		"path": text(e.path),
		"env": text(e.environment),
		"file": "policies/data/exemptions.yaml",
		"severity": "low",
		"details": {"exemption": e.id, "owner": e.owner, "reason": e.reason, "expires": e.expires},
	}
}
