# METADATA
# title: llmcm config policies — result assembly
# description: |
#   Each rule file adds `violation` objects {id, env, path, msg, details}. This file turns them into
#   conftest-style `deny` and `warn` sets of {id, msg, path, file, severity}, applies the rule modes
#   and exemptions from data, and reports passes per rule and file.
package llmcm.config

import data.llmcm.lib

# The whole result is computed in one rule body from local variables: the wasm runtime evaluates a
# rule again at every reference (no caching of virtual documents), so deny, warn, passes and
# exempted as separate rules over `violation` would compute every violation four times.
result := {
	"deny": deny_set,
	"warn": warn_set,
	"passes": passes_set,
	"exempted": exempted_set,
} if {
	# Each violation with the exemptions that waive it and its rule's mode.
	judged := {[v, lib.exemptions_for(v.id, v.env, v.path), lib.rule_mode(v.id)] | some v in violation}
	effective := {[v, mode] | some [v, waivers, mode] in judged; count(waivers) == 0}
	deny_set := {lib.report(v) | some [v, "enforce"] in effective}

	# Dry-run rules report what they would deny, as warnings; expired exemptions warn too.
	dry_run := {object.union(lib.report(v), {"dry_run": true}) | some [v, "warn"] in effective}
	warn_set := dry_run | lib.expired_exemption_warnings
	exempted_set := {{"id": v.id, "env": v.env, "path": v.path, "exemptions": waivers} |
		some [v, waivers, mode] in judged
		mode != "off"
		count(waivers) > 0
	}

	# conftest reports passes too: every enabled rule that found nothing in a file.
	failed := {[v.id, v.env] | some [v, _] in effective}
	envs := {env | some env, _ in input.config} | {env | some env, _ in input.change}
	passes_set := {{"id": id, "env": env, "file": lib.file_of(env, lib.rule_section(id))} |
		some id, _ in data.rules
		lib.rule_mode(id) != "off"
		some env in envs
		not [id, env] in failed
	}
}

# conftest's entrypoints: `deny` and `warn` sets (and the passes and waivers), views of `result`.
deny contains d if some d in result.deny

warn contains w if some w in result.warn

passes contains p if some p in result.passes

exempted contains e if some e in result.exempted
