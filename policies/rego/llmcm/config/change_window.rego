# Change windows
# No change to an environment while one of its freeze periods (data.change_windows)
# covers input.now. An exemption for rule change-window (path "/") is the break-glass.
package llmcm.config

import data.llmcm.lib

changed(ch) if {
	some kind in ["added", "removed", "changed"]
	count(ch[kind]) > 0
}

violation contains v if {
	some env, ch in input.change
	changed(ch)
	some f in lib.active_freezes(env)
	v := {
		"id": "change-window",
		"env": env,
		"path": "/",
		"msg": concat("", [env, " is frozen (", lib.text(f.name), ") until ", lib.text(f.end), "; changes must wait or carry an exemption"]),
		"details": {"freeze": f.name, "start": f.start, "end": f.end},
	}
}
