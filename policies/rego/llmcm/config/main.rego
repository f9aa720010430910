# METADATA
# title: llmcm config policies — result assembly
# description: |
#   Each rule file adds `violation` objects {id, env, path, msg, details}. This file turns them into
#   conftest-style `deny` and `warn` sets of {id, msg, path, file, severity}, applies the rule modes
#   and exemptions from data, and reports passes per rule and file.
package llmcm.config

import data.llmcm.lib

# A violation is waived by an active exemption.
waivers(v) := lib.exemptions_for(v.id, v.env, v.path)

applies(v) if count(waivers(v)) == 0

deny contains lib.report(v) if {
	some v in violation
	lib.rule_mode(v.id) == "enforce"
	applies(v)
}

# Dry-run rules report what they would deny, as warnings.
warn contains object.union(lib.report(v), {"dry_run": true}) if {
	some v in violation
	lib.rule_mode(v.id) == "warn"
	applies(v)
}

warn contains w if some w in lib.expired_exemption_warnings

exempted contains {"id": v.id, "env": v.env, "path": v.path, "exemptions": ids} if {
	some v in violation
	lib.rule_mode(v.id) != "off"
	ids := waivers(v)
	count(ids) > 0
}

checked_envs contains env if some env, _ in input.config

checked_envs contains env if some env, _ in input.change

failed(id, env) if {
	some v in violation
	v.id == id
	v.env == env
	applies(v)
}

# conftest reports passes too: every enabled rule that found nothing in a file.
passes contains {"id": id, "env": env, "file": lib.file_of(env, lib.rule_section(id))} if {
	some id, _ in data.rules
	lib.rule_mode(id) != "off"
	some env in checked_envs
	not failed(id, env)
}

result := {
	"deny": deny,
	"warn": warn,
	"passes": passes,
	"exempted": exempted,
}
