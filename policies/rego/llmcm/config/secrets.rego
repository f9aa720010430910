# Secrets must be encrypted
# |
# The host replaces every secret by a marker {"$secret": "encrypted" | "reference" | "plaintext"}
# before evaluation, so the policy never sees a value. A marker other than encrypted/reference,
# or a plain string under a secret-looking key that escaped redaction, is a violation. Messages
# never echo the value.
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

violation contains v if {
	some env, cfg in input.config
	walk(cfg, [path, value])
	is_string(value)
	count(path) > 0
	key := path[count(path) - 1]
	is_string(key)
	regex.match(lib.setting("secret_key_pattern"), key)
	not startswith(value, "ENC[")
	v := {
		"id": "secret-encrypted",
		"env": env,
		"path": lib.pointer(path),
		"msg": concat("", ["value at ", lib.pointer(path), " in ", env, " looks like a plaintext secret; encrypt it with sops"]),
		"details": {"state": "plaintext"},
	}
}
