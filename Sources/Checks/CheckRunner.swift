import Foundation
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
    var timings: [(String, Double)] = []
    return findings(of: cluster, timings: &timings)
  }

  /// The same, recording the seconds spent per phase (engine compile and class table, then
  /// each check) into `timings`.
  public func findings(of cluster: Cluster, timings: inout [(String, Double)]) -> [Finding] {
    var start = Date()
    func lap(_ name: String) {
      timings.append((name, Date().timeIntervalSince(start)))
      start = Date()
    }
    let context = CheckContext(cluster: cluster, options: engineOptions)
    timings.append(("engine-compile", context.engine.stats.compileSeconds))
    timings.append(("engine-evaluate", context.engine.stats.evaluateSeconds))
    lap("context")
    var out: [Finding] = []
    for check in checks {
      out += check.findings(in: context)
      lap(check.descriptors.first?.id ?? "check")
    }
    out += ruleFindings(in: context)
    lap("rules")
    return finish(out)
  }

  /// Every finding in a compiled context, with the rules file's severities.
  public func findings(in context: CheckContext) -> [Finding] {
    var out: [Finding] = []
    for check in checks { out += check.findings(in: context) }
    return finish(out + ruleFindings(in: context))
  }

  func ruleFindings(in context: CheckContext) -> [Finding] {
    let evaluator = UserRuleEvaluator(ctx: context)
    return rules.rules.flatMap { evaluator.findings($0) }
  }

  func finish(_ found: [Finding]) -> [Finding] {
    var out = found
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
        case .mtls:
          "Every flow into its 'to' (from its 'from', default every workload) that is allowed must be mutual TLS."
        }
      list.append(
        CheckDescriptor(
          id: rule.checkID, title: "Rule \(rule.name) (\(rule.kind.rawValue))",
          defaultSeverity: rule.severity ?? .error,
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
    var timings: [(String, Double)] = []
    let current = findings(of: cluster, timings: &timings)
    var known = Set<String>()
    for baseline in baselines { for f in findings(of: baseline) { known.insert(f.identity) } }
    var kept: [Finding] = []
    var accepted: [(finding: Finding, reason: String)] = []
    var baselined = 0
    var used = Set<Int>()
    for finding in current {
      if let a = rules.accepts.firstIndex(where: { $0.check == finding.check && finding.object.matches($0.object) }) {
        used.insert(a)
        accepted.append((finding, rules.accepts[a].reason))
      } else if known.contains(finding.identity) {
        baselined += 1
      } else {
        kept.append(finding)
      }
    }
    var report = CheckReport(
      checks: descriptors, findings: kept, accepted: accepted, baselined: baselined, failOn: failOn)
    report.timings = timings
    // An accept entry that accepts nothing (a typo in the check or object, or a finding since
    // fixed) is said, at the entry: never a silent acceptance.
    report.warnings = rules.accepts.indices.filter { !used.contains($0) }.map { a in
      let entry = rules.accepts[a]
      return Diagnostic(
        .warning, code: .acceptUnused,
        "accept entry (check \(entry.check), object \(entry.object)) matches no finding: check the object's spelling (Kind/namespace/name, namespace/name or Kind/name), or remove the entry if the finding is gone",
        at: entry.location)
    }
    return report
  }
}
