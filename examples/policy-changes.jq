# Policy changes in a kube-apiserver audit log (JSON lines), counted with jq alone, from the rules
# in ARCHITECTURE.md ("What counts as a policy change"). It shares no code with kubectl-audit, so
# tests and the benchmark use it as an independent oracle.
#
#   jq -n -f examples/policy-changes.jq examples/audit.log
#   jq -n --arg since 2026-11-24T08:00:00Z --arg until 2026-11-24T09:00:00Z -f examples/policy-changes.jq examples/audit.log
#
# Prints {events, summary, changes}: summary as in `policies -o json`, and per change the fields the
# rules decide. The optional window keeps changes whose time (stageTimestamp) is in [since, until].

def calico_groups: ["projectcalico.org", "crd.projectcalico.org"];
def calico_resources: ["globalnetworkpolicies", "networkpolicies", "stagedglobalnetworkpolicies",
  "stagednetworkpolicies", "stagedkubernetesnetworkpolicies", "tiers", "globalnetworksets",
  "networksets", "hostendpoints"];
def tiered_resources: ["globalnetworkpolicies", "networkpolicies", "stagedglobalnetworkpolicies",
  "stagednetworkpolicies"];
def watched($group; $resource):
  ((calico_groups | index($group)) != null and (calico_resources | index($resource)) != null)
  or (($group == "networking.k8s.io" or $group == "extensions") and $resource == "networkpolicies")
  or ($group == "policy.networking.k8s.io"
      and (["adminnetworkpolicies", "baselineadminnetworkpolicies", "clusternetworkpolicies"] | index($resource)) != null);
def write_verb: . as $v | ["create", "update", "patch", "delete", "deletecollection"] | index($v) != null;
def stage_rank: {"RequestReceived": 0, "ResponseStarted": 1, "ResponseComplete": 2, "Panic": 2}[.] // 0;
# RFC3339 with optional fraction → microseconds since the epoch.
def micros: capture("^(?<s>[^.Z]+)(\\.(?<f>[0-9]+))?Z$")
  | ((.s + "Z") | fromdateiso8601) * 1000000 + (((.f // "") + "000000")[0:6] | tonumber);
def calico_apiserver: "system:serviceaccount:calico-apiserver:calico-apiserver";
# The Calico API server writes the CRD within a second or two of the user's request.
def join_window_us: 5000000;

# 1. Write requests on watched resources, one record per stage line.
reduce (inputs | select(type == "object")) as $e ({events: 0, writes: []};
  .events += 1
  | if ($e.objectRef | type) == "object"
       and watched($e.objectRef.apiGroup // ""; $e.objectRef.resource // "")
       and ($e.verb | write_verb)
    then .writes += [{
      auditID: $e.auditID, stage: $e.stage, time: $e.stageTimestamp, t: ($e.stageTimestamp | micros),
      user: $e.user.username, impersonatedUser: $e.impersonatedUser.username, verb: $e.verb,
      apiGroup: ($e.objectRef.apiGroup // ""), resource: $e.objectRef.resource,
      namespace: $e.objectRef.namespace, name: $e.objectRef.name,
      subresource: ($e.objectRef.subresource // ""), code: $e.responseStatus.code,
      dryRun: ($e.requestURI | test("[?&]dryRun=All(&|$)"))}]
    else . end)
| .events as $events
# 2. One request, one change: the latest stage of each auditID wins.
| [.writes | group_by(.auditID)[] | max_by(.stage | stage_rank)]
# 3. Backing writes: the Calico API server's CRD write for a user's projectcalico.org request
#    (same resource and namespace; same name, or the default-tier `default.` storage name, or any
#    name when the user's request carried none, as aggregated creates do) within the window.
| (map(select(.apiGroup == "projectcalico.org"))
   | reduce .[] as $u ({}; .["\($u.resource)/\($u.namespace // "")/\($u.name // "")"] += [$u.t])) as $user_writes
| map(. as $w
    | select(($w.user == calico_apiserver and $w.apiGroup == "crd.projectcalico.org"
              and ([$w.name, (if (tiered_resources | index($w.resource)) != null and ($w.name // "" | startswith("default."))
                             then $w.name[8:] else empty end), ""]
                   | map($user_writes["\($w.resource)/\($w.namespace // "")/\(. // "")"] // [] | .[])
                   | any(. - $w.t | fabs <= join_window_us))) | not))
# 4. Dry runs and subresource writes are not changes.
| map(select((.dryRun | not) and .subresource == ""))
| ($ARGS.named.since // null | if . then micros else null end) as $since
| ($ARGS.named.until // null | if . then micros else null end) as $until
| map(select(($since == null or .t >= $since) and ($until == null or .t <= $until)))
| map(. + {outcome: (if .stage == "Panic" or (.code // 0) >= 400 then "failed"
                     elif .code != null or .stage == "ResponseComplete" then "succeeded" else "unknown" end)})
| {
    events: $events,
    summary: (group_by([.user, .verb])
      | map({user: .[0].user, verb: .[0].verb,
             succeeded: map(select(.outcome == "succeeded")) | length,
             failed: map(select(.outcome == "failed")) | length,
             unknown: map(select(.outcome == "unknown")) | length})
      | sort_by(-(.succeeded + .failed + .unknown), .user, .verb)),
    changes: (sort_by(.t, .auditID)
      | map({time, auditID, user, impersonatedUser, verb, apiGroup, resource, namespace, name, code, outcome}))
  }
