import KubeModel

/// The object a finding is about: what a baseline and an `accept` entry match on.
public struct ObjectRef: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// `Deployment`, `NetworkPolicy`, `Namespace`, `Service`, ...
  public var kind: String
  /// Empty for cluster-scoped objects.
  public var namespace: String
  public var name: String

  public init(kind: String, namespace: String, name: String) {
    self.kind = kind
    self.namespace = namespace
    self.name = name
  }

  /// `Kind/namespace/name`, or `Kind/name` when cluster-scoped.
  public var description: String { namespace.isEmpty ? "\(kind)/\(name)" : "\(kind)/\(namespace)/\(name)" }

  /// Whether `pattern` names this object: `Kind/ns/name`, `ns/name` or `Kind/name` (cluster-scoped).
  public func matches(_ pattern: String) -> Bool {
    if pattern == description { return true }
    return !namespace.isEmpty && pattern == "\(namespace)/\(name)"
  }

  public static func < (lhs: ObjectRef, rhs: ObjectRef) -> Bool {
    (lhs.kind, lhs.namespace, lhs.name) < (rhs.kind, rhs.namespace, rhs.name)
  }
}

/// A check's identity, default severity and help, as SARIF rules and JUnit test cases list them.
public struct CheckDescriptor: Hashable, Sendable {
  /// Stable ID, e.g. `external-exposure`; user rules are `rule/<name>`.
  public var id: String
  /// Short title.
  public var title: String
  public var defaultSeverity: Severity
  /// Why it matters and how to fix it.
  public var help: String

  public init(id: String, title: String, defaultSeverity: Severity, help: String) {
    self.id = id
    self.title = title
    self.defaultSeverity = defaultSeverity
    self.help = help
  }
}

/// One problem found by a check: a value, printed by the renderers in Formats.
public struct Finding: Hashable, Comparable, Sendable {
  /// The check's stable ID.
  public var check: String
  public var severity: Severity
  /// One line.
  public var message: String
  /// The object to fix or to accept.
  public var object: ObjectRef
  /// Tells apart findings of one check on one object (a direction, a rule, a Service): part
  /// of the baseline identity, never a line number.
  public var detail: String
  /// Where the object (or the rule responsible) is written.
  public var location: SourceLocation?

  public init(
    check: String, severity: Severity, message: String, object: ObjectRef, detail: String = "",
    location: SourceLocation?
  ) {
    self.check = check
    self.severity = severity
    self.message = message
    self.object = object
    self.detail = detail
    self.location = location
  }

  /// What a baseline matches: check ID, object identity and detail (no location).
  public var identity: String { "\(check)\u{1}\(object)\u{1}\(detail)" }

  /// Sorted by check, object, detail, then location.
  public static func < (lhs: Finding, rhs: Finding) -> Bool {
    if lhs.check != rhs.check { return lhs.check < rhs.check }
    if lhs.object != rhs.object { return lhs.object < rhs.object }
    if lhs.detail != rhs.detail { return lhs.detail < rhs.detail }
    switch (lhs.location, rhs.location) {
    case (let l?, let r?) where l != r: return l < r
    case (nil, _?): return true
    default: return lhs.message < rhs.message
    }
  }
}

/// The level that makes `kubereach check` fail.
public enum FailLevel: String, Sendable, CaseIterable {
  case error, warning, never

  /// Whether a finding of this severity fails the run.
  public func fails(_ severity: Severity) -> Bool {
    switch self {
    case .error: severity == .error
    case .warning: severity <= .warning
    case .never: false
    }
  }
}

/// The result of a check run, ready for a renderer.
public struct CheckReport: Sendable {
  /// Every check and user rule that ran (sorted by ID), with its effective severity.
  public var checks: [CheckDescriptor]
  /// New findings (not accepted, not in a baseline), sorted.
  public var findings: [Finding]
  /// Findings a rules file accepted, sorted, with the reason given.
  public var accepted: [(finding: Finding, reason: String)]
  /// Findings left out because a baseline has them too.
  public var baselined: Int
  /// The fail level the report was made for.
  public var failOn: FailLevel
  /// Seconds per phase of the checked cluster (for `--stats`; not rendered).
  public var timings: [(String, Double)] = []
  /// Warnings about the rules file (an accept entry that matches no finding), located; printed
  /// with the other diagnostics, not rendered into the report.
  public var warnings: [Diagnostic] = []

  public init(
    checks: [CheckDescriptor], findings: [Finding], accepted: [(finding: Finding, reason: String)], baselined: Int,
    failOn: FailLevel
  ) {
    self.checks = checks
    self.findings = findings
    self.accepted = accepted
    self.baselined = baselined
    self.failOn = failOn
  }

  /// The findings that fail the run.
  public var failing: [Finding] { findings.filter { failOn.fails($0.severity) } }

  /// The findings of one check.
  public func findings(of check: String) -> [Finding] { findings.filter { $0.check == check } }
}
