import KubeModel
import Reachability

/// Runs the built-in checks and a rules file's assertions over a cluster, then applies the
/// rules file's severities and acceptances and a baseline.
public struct CheckRunner: Sendable {
  public var rules: RulesFile
  public var failOn: FailLevel
  public var engineOptions: EngineOptions
  /// The checks to run (the built-in ones by default; the mesh checks join here).
  public var checks: [any ClusterCheck]

  public init(
    rules: RulesFile = RulesFile(), failOn: FailLevel = .error, engineOptions: EngineOptions = .init(),
    checks: [any ClusterCheck] = BuiltinChecks.all
  ) {
    self.rules = rules
    self.failOn = failOn
    self.engineOptions = engineOptions
    self.checks = checks
  }

  /// The IDs a rules file may name.
  public static var knownCheckIDs: Set<String> { Set(BuiltinChecks.descriptors.map(\.id)) }

  /// Every finding of a cluster, with the rules file's severities (nothing filtered).
  public func findings(of cluster: Cluster) -> [Finding] {
    let context = CheckContext(cluster: cluster, options: engineOptions)
    return findings(in: context)
  }

  /// Every finding in a compiled context, with the rules file's severities.
  public func findings(in context: CheckContext) -> [Finding] {
    var out: [Finding] = []
    for check in checks { out += check.findings(in: context) }
    let evaluator = UserRuleEvaluator(ctx: context)
    for rule in rules.rules { out += evaluator.findings(rule) }
    for i in out.indices {
      if let level = rules.severities[out[i].check] { out[i].severity = level }
    }
    return Array(Set(out)).sorted()
  }

  /// Every check and rule that runs, with its effective severity.
  public var descriptors: [CheckDescriptor] {
    var list = checks.flatMap(\.descriptors)
    for rule in rules.rules {
      let what: String =
        switch rule.kind {
        case .deny: "No flow from its 'from' to its 'to' (on its ports) may be allowed."
        case .allow: "Every flow from its 'from' to its 'to' (on its ports) must be allowed."
        case .isolated: "Its workloads must be selected by a policy in the given directions."
        case .mtls: "Flows into its 'to' must be mutual TLS (checked once the mesh analysis is available)."
        }
      list.append(
        CheckDescriptor(
          id: rule.checkID, title: "Rule \(rule.name) (\(rule.kind.rawValue))", defaultSeverity: rule.severity ?? .error,
          help: "A rule of the rules file. \(what) Fix the policies, or the rule if the intent changed."))
    }
    for i in list.indices {
      if let level = rules.severities[list[i].id] { list[i].defaultSeverity = level }
    }
    return list.sorted { $0.id < $1.id }
  }

  /// The report: findings of `cluster` not accepted by the rules file and not present in any
  /// of `baselines` (matched by check ID, object and detail, never by line).
  public func report(cluster: Cluster, baselines: [Cluster] = []) -> CheckReport {
    let current = findings(of: cluster)
    var known = Set<String>()
    for baseline in baselines { for f in findings(of: baseline) { known.insert(f.identity) } }
    var kept: [Finding] = []
    var accepted: [(finding: Finding, reason: String)] = []
    var baselined = 0
    for finding in current {
      if let acceptance = rules.accepts.first(where: { $0.check == finding.check && finding.object.matches($0.object) }) {
        accepted.append((finding, acceptance.reason))
      } else if known.contains(finding.identity) {
        baselined += 1
      } else {
        kept.append(finding)
      }
    }
    return CheckReport(checks: descriptors, findings: kept, accepted: accepted, baselined: baselined, failOn: failOn)
  }
}
