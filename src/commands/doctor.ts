import type {DoctorFacts} from '../doctor/facts.js'
import {doctorFlags, doctorOptions} from '../flags/doctor.js'
import {outputFlags} from '../flags/output.js'
import {writeDocument} from '../render/document.js'
import {sanitize} from '../render/sanitize.js'
import {BaseCommand} from './base.js'

export type {DoctorReport} from '../doctor/report.js'
import type {DoctorReport} from '../doctor/report.js'

export default class Doctor extends BaseCommand {
  static override summary = 'Check that the control plane records network policy and tier changes, and at what level.'
  static override description = `Finds the kube-apiserver (kubeadm, kops, RKE2, k3s; managed providers are recognised), checks its audit flags and mounts, and evaluates its audit policy exactly as the apiserver does: first matching rule wins, API groups matter, "*" is literal where the apiserver takes it literally.

The coverage matrix shows, for every network policy, tier, network set and host endpoint resource in every API group that serves it, the level each write verb is recorded at and the rule that decides it.

All of that is read, not proven. --probe proves it: for each kind it sends a dry-run create (dryRun=All: checked like a real one, never stored) with an Audit-ID of its own, says so first, and looks for that ID in the audit log where policies reads it, until it is found or --probe-timeout passes. It reports where each one was recorded, at what level, with which stages and bodies, and after how long, and says where that differs from what the policy read says. Without --probe, doctor sends no policy write, not even a dry run.

Exit status: 0 when no check failed, 1 when one did, 2 when doctor could not run.`

  static override examples = [
    {description: 'Check the current cluster', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Check a policy file against the cluster, for a given user',
      command:
        '<%= config.bin %> <%= command.id %> --policy-file audit-policy.yaml --policy-user alice --policy-group ops',
    },
    {
      description: 'Offline, on a control-plane node',
      command:
        '<%= config.bin %> <%= command.id %> --manifest /etc/kubernetes/manifests/kube-apiserver.yaml --policy-file /etc/kubernetes/audit-policy.yaml',
    },
    {
      description: 'Prove it: dry-run creates with our own Audit-ID, found again in the log',
      command: '<%= config.bin %> <%= command.id %> --probe',
    },
    {
      description: 'Print a recommended policy',
      command: '<%= config.bin %> <%= command.id %> --print-policy > audit-policy.yaml',
    },
    {
      description: 'Add rows for other resources',
      command:
        '<%= config.bin %> <%= command.id %> --resource pods/exec --resource clusterroles.rbac.authorization.k8s.io',
    },
  ]

  static override flags = {...doctorFlags, ...outputFlags}

  async run(): Promise<DoctorReport | undefined> {
    const {flags} = await this.parse(Doctor)
    const options = doctorOptions(flags)
    if (options.printPolicy) {
      const {recommendedPolicy, recommendedPolicyYaml} = await import('../audit/policy/recommend.js')
      // YAML keeps the comments that say why each rule is there; -o json is the same policy.
      process.stdout.write(
        options.output === 'json' ? `${JSON.stringify(recommendedPolicy(), null, 2)}\n` : recommendedPolicyYaml(),
      )
      return undefined
    }
    // Everything past flag parsing loads on use: `policies` shares this module graph at start-up,
    // and offline runs never load the cluster client.
    const run = this.runContext()
    let facts: DoctorFacts = options.offline
      ? await (await import('../doctor/offline-facts.js')).gatherOfflineFacts(options)
      : await (await import('../doctor/cluster-facts.js')).gatherClusterFacts(options, run)
    if (options.probe) {
      const {runProbe} = await import('../doctor/probe.js')
      facts = {
        ...facts,
        probe: await runProbe(options, options.probe, facts, run, (line) =>
          process.stderr.write(`${sanitize(line)}\n`),
        ),
      }
    }
    // An interrupted run is not an answer: no report, the exit is the signal's.
    run.signal.throwIfAborted()
    const {buildReport, exitCodeOf} = await import('../doctor/report.js')
    const report = buildReport(facts)
    const out = process.stdout
    if (!(await writeDocument(out, options.output, report))) {
      const [{renderDoctorTable}, {makeChalk}, {terminalWidth}] = await Promise.all([
        import('../render/doctor-table.js'),
        import('../render/color.js'),
        import('../render/output.js'),
      ])
      out.write(
        renderDoctorTable(report, {
          chalk: makeChalk(options.color, out),
          wide: options.output === 'wide',
          relevantGroups: facts.coverage.relevantGroups,
          context: contextLines(facts),
          width: terminalWidth(out, process.env),
        }),
      )
    }
    process.exitCode = exitCodeOf(report)
    return report
  }
}

function contextLines(facts: DoctorFacts): string[] {
  const lines = [`Apiserver flags from ${facts.apiserverSource}`]
  if (facts.versionSource) lines.push(`Kubernetes version from ${facts.versionSource}`)
  if (facts.policy.state === 'loaded') lines.push(`Policy from ${facts.policy.location}`)
  return lines
}
