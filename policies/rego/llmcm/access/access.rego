# METADATA
# title: Access control as policy (RBAC + ABAC), deny by default
# description: |
#   Who may change which paths of which environment, who may promote where, and which approvals a
#   promotion needs. Roles and grants live in data.access; environment tiers in data.environments;
#   freeze windows and exemptions are shared with the config rules. Nothing is allowed unless a
#   grant allows it and no denial applies.
package llmcm.access

import data.llmcm.lib

actions := {"change", "promote"}

actor := input.actor.id if is_string(input.actor.id)

roles_of(id) := {r |
	some r, role in data.access.roles
	id in role.members
}

default actor_label := ""

actor_label := lib.text(input.actor.id)

# No actor, or one holding no role: no roles (the decision stays defined and denies).
default actor_roles := set()

actor_roles := roles_of(actor)

tier(env) := lib.env_setting(env, ["tier"], "")

# A grant names environments directly or by tier (the ABAC attribute).
grant_covers(g, env) if env in g.environments

grant_covers(g, env) if tier(env) in g.tiers

may_change(env, path) if {
	some g in data.access.change
	g.role in actor_roles
	grant_covers(g, env)
	some prefix in g.paths
	lib.path_under(path, prefix)
}

changed_paths contains [env, p] if {
	some env, ch in input.change
	some kind in ["added", "removed", "changed"]
	some p in ch[kind]
}

target := input.environment if is_string(input.environment)

may_promote if {
	some g in data.access.promote
	g.role in actor_roles
	target in g.to
}

order := object.get(data.access, "promotion_order", [])

# The environment a promotion into `env` must come from: its predecessor in the promotion order.
predecessor(env) := order[i - 1] if {
	some i, e in order
	e == env
	i > 0
}

approval_rule := data.access.approvals[target]

self_counts if approval_rule.allow_self == true

counts_as_approver(by) if {
	count(roles_of(by)) > 0
	by != actor
}

counts_as_approver(by) if {
	count(roles_of(by)) > 0
	by == actor
	self_counts
}

# An approval dated after input.now cannot have been given yet.
future_dated(a) if a.at > lib.now

# An approval of another commit does not approve this one.
other_commit(a) if {
	is_string(input.source_commit)
	a.commit != input.source_commit
}

approvers contains a.by if {
	some a in input.approvals
	is_string(a.by)
	counts_as_approver(a.by)
	not future_dated(a)
	not other_commit(a)
}

rejected_self_approval if {
	some a in input.approvals
	a.by == actor
	not self_counts
}

denial(id, env, path, msg) := {"id": id, "env": env, "path": path, "msg": msg}

# A rule, not `not input.action in actions`: OPA hoists the ref out of the negation, so a missing
# action would make the whole body undefined instead of denying.
known_action if input.action in actions

deny contains denial("unknown-action", "", "", "action must be 'change' or 'promote'") if not known_action

deny contains d if {
	count(actor_roles) == 0
	d := denial("unknown-actor", "", "", concat("", ["actor '", actor_label, "' holds no role in data.access.roles"]))
}

deny contains d if {
	input.action == "change"
	some pair in changed_paths
	[env, p] := pair
	not may_change(env, p)
	d := denial("change-not-granted", env, lib.text(p), concat("", ["no role of '", lib.text(actor), "' may change ", lib.text(p), " in ", env]))
}

changed_envs contains env if {
	some pair in changed_paths
	[env, _] := pair
}

deny contains d if {
	input.action == "change"
	some env in changed_envs
	some f in lib.active_freezes(env)
	count(lib.exemptions_for("change-window", env, "/")) == 0
	d := denial("change-window", env, "/", concat("", [env, " is frozen (", lib.text(f.name), ") until ", lib.text(f.end)]))
}

deny contains d if {
	input.action == "promote"
	not target
	d := denial("promote-no-target", "", "", "a promotion needs input.environment")
}

deny contains d if {
	input.action == "promote"
	not may_promote
	d := denial("promote-not-granted", lib.text(target), "", concat("", ["no role of '", lib.text(actor), "' may promote to ", lib.text(target)]))
}

deny contains d if {
	input.action == "promote"
	source := input.source_environment
	not source == predecessor(target)
	d := denial("promote-order", lib.text(target), "", concat("", ["promotions to ", lib.text(target), " must come from ", lib.text(predecessor(target)), ", not ", lib.text(source)]))
}

deny contains d if {
	input.action == "promote"
	target
	not approval_rule
	d := denial("approvals-undefined", target, "", concat("", ["no approval rule is defined for ", target, " in data.access.approvals"]))
}

deny contains d if {
	input.action == "promote"
	count(approvers) < approval_rule.min
	d := denial("approvals-missing", target, "", concat("", [
		"promotion to ", target, " needs ", format_int(approval_rule.min, 10),
		" approval(s) from role holders other than the actor; it has ", format_int(count(approvers), 10),
	]))
}

deny contains d if {
	input.action == "promote"
	some role, needed in approval_rule.roles
	count({a | some a in approvers; role in roles_of(a)}) < needed
	d := denial("approvals-role-missing", target, "", concat("", [
		"promotion to ", target, " needs ", format_int(needed, 10), " approval(s) from a ", role,
	]))
}

deny contains d if {
	input.action == "promote"
	some f in lib.active_freezes(target)
	count(lib.exemptions_for("change-window", target, "/")) == 0
	d := denial("change-window", target, "/", concat("", [target, " is frozen (", lib.text(f.name), ") until ", lib.text(f.end)]))
}

default allowed := false

allowed if {
	input.action in actions
	count(actor_roles) > 0
	count(deny) == 0
}

# Why the decision is what it is, for humans: every denial, or what allowed it.
reasons := sort([d.msg | some d in deny]) if count(deny) > 0

reasons := array.concat(
	[concat("", ["actor '", actor, "' holds ", concat(", ", sort(actor_roles))])],
	sort([concat("", ["approved by ", a]) | some a in approvers]),
) if count(deny) == 0

notes contains "a self-approval was given and does not count" if rejected_self_approval

decision := {
	"allowed": allowed,
	"deny": deny,
	"reasons": reasons,
	"notes": notes,
	"roles": actor_roles,
	"approvers": approvers,
}
