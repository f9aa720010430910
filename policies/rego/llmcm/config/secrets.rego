# Secrets must be encrypted
# |
# The host replaces every secret by a marker {"$secret": "encrypted" | "reference" | "plaintext"}
# before evaluation, so the policy never sees a value: a value stored encrypted becomes
# "encrypted", a plain value under a secret-looking key becomes "plaintext". The input check
# refuses any input that still holds a plain string under such a key. A marker other than
# encrypted/reference is a violation; messages never echo anything but the path.
package llmcm.config

import data.llmcm.lib

safe_secret_states := {"encrypted", "reference"}

violation contains v if {
	some env, cfg in input.config
	walk(cfg, [path, value])
	state := value["$secret"]
	not state in safe_secret_states
	v := {
		"id": "secret-encrypted",
		"env": env,
		"path": lib.pointer(path),
		"msg": concat("", ["secret at ", lib.pointer(path), " in ", env, " is not encrypted; encrypt it with sops"]),
		"details": {"state": state},
	}
}
