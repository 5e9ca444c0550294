import KubeModel
import Manifests
import Reachability

/// The user's assertions and adjustments (`kubereach check --rules FILE`).
public struct RulesFile: Sendable {
  /// The named assertions, in file order.
  public var rules: [UserRule] = []
  /// Findings accepted on purpose.
  public var accepts: [Acceptance] = []
  /// Severities set per check ID (built-in checks and `rule/<name>`).
  public var severities: [String: Severity] = [:]

  public init() {}
}

/// Workloads or addresses a rule speaks of. Fields are ANDed; absent fields match everything.
public struct PeerSpec: Hashable, Sendable {
  /// Namespace name.
  public var namespace: String?
  /// Labels the namespace carries.
  public var namespaceLabels: [String: String]?
  /// Workload name (Deployment, StatefulSet, ... or bare pod).
  public var workload: String?
  /// Labels of the workload's pods.
  public var labels: [String: String]?
  /// Every address outside the cluster.
  public var external = false
  /// Addresses outside the cluster inside this block.
  public var cidr: CIDR?

  public init() {}

  /// True when it speaks of addresses rather than pods.
  public var isAddresses: Bool { external || cidr != nil }
}

/// A rule's kind.
public enum UserRuleKind: String, Sendable {
  /// No flow from `from` to `to` on `ports` may be allowed.
  case deny
  /// Every flow from `from` to `to` on `ports` must be allowed (`require` is the same).
  case allow
  /// `workloads` must be isolated (selected by a policy) in `direction`.
  case isolated
  /// Allowed flows from `from` (default: every workload) into `to` must be mutual TLS.
  case mtls
}

/// One named assertion.
public struct UserRule: Sendable {
  public var name: String
  public var kind: UserRuleKind
  public var from = PeerSpec()
  public var to = PeerSpec()
  /// nil: any port (deny: none at all may be allowed; allow: some connection must be).
  public var ports: ConnectionSet?
  public var directions: [Direction] = Direction.allCases
  public var severity: Severity?
  public var location: SourceLocation

  /// The check ID its findings carry.
  public var checkID: String { "rule/\(name)" }
}

/// An accepted finding: a check ID and an object (`Kind/ns/name`, `ns/name` or `Kind/name`).
public struct Acceptance: Hashable, Sendable {
  public var check: String
  public var object: String
  public var reason: String
  public var location: SourceLocation
}

extension RulesFile {
  /// Reads and validates a rules file: every problem is a located error (unknown keys too).
  public static func load(path: String, knownChecks: Set<String>) -> Result<RulesFile, RulesFileError> {
    switch YAMLTree.documents(ofFile: path) {
    case .failure(let problem): return .failure(RulesFileError(diagnostics: [problem]))
    case .success(let documents):
      var decoder = RulesDecoder(knownChecks: knownChecks)
      let file = decoder.decode(documents, path: path)
      return decoder.errors.isEmpty ? .success(file) : .failure(RulesFileError(diagnostics: decoder.errors))
    }
  }
}

/// The located errors of a rules file that cannot be used.
public struct RulesFileError: Error, Sendable {
  public var diagnostics: [Diagnostic]
}

/// Decodes the YAML tree of a rules file, collecting located errors.
struct RulesDecoder {
  let knownChecks: Set<String>
  var errors: [Diagnostic] = []

  mutating func fail(_ message: String, at node: YAMLTree) {
    errors.append(.error(.invalidRules, message, at: node.location))
  }

  /// The pairs of a mapping, reporting keys outside `allowed`.
  mutating func mapping(_ node: YAMLTree, _ what: String, allowed: [String]) -> [String: YAMLTree]? {
    guard case .mapping(let pairs) = node.value else {
      fail("\(what) must be a mapping", at: node)
      return nil
    }
    var out: [String: YAMLTree] = [:]
    for (key, value) in pairs {
      guard let k = key.text else {
        fail("\(what): keys must be strings", at: key)
        continue
      }
      if !allowed.contains(k) {
        fail("\(what): unknown key '\(k)' (expected one of: \(allowed.joined(separator: ", ")))", at: key)
        continue
      }
      if out[k] != nil { fail("\(what): duplicate key '\(k)'", at: key) }
      out[k] = value
    }
    return out
  }

  mutating func list(_ node: YAMLTree, _ what: String) -> [YAMLTree] {
    if node.isNull { return [] }
    guard case .sequence(let items) = node.value else {
      fail("\(what) must be a list", at: node)
      return []
    }
    return items
  }

  mutating func string(_ node: YAMLTree, _ what: String) -> String? {
    guard let text = node.text, case .scalar = node.value else {
      fail("\(what) must be a string", at: node)
      return nil
    }
    return text
  }

  mutating func labels(_ node: YAMLTree, _ what: String) -> [String: String]? {
    guard case .mapping(let pairs) = node.value else {
      fail("\(what) must be a mapping of labels", at: node)
      return nil
    }
    var out: [String: String] = [:]
    for (key, value) in pairs {
      guard let k = key.text, LabelSyntax.isValidKey(k) else {
        fail("\(what): invalid label key", at: key)
        continue
      }
      let v = value.isNull ? "" : value.text
      guard let v, LabelSyntax.isValidValue(v) else {
        fail("\(what).\(k): invalid label value", at: value)
        continue
      }
      out[k] = v
    }
    return out
  }

  mutating func severity(_ node: YAMLTree, _ what: String) -> Severity? {
    guard let text = string(node, what) else { return nil }
    guard let level = Severity(rawValue: text.lowercased()) else {
      fail("\(what) must be error, warning or note, found '\(text)'", at: node)
      return nil
    }
    return level
  }

  mutating func decode(_ documents: [YAMLTree], path: String) -> RulesFile {
    var file = RulesFile()
    guard documents.count == 1, let root = documents.first else {
      errors.append(
        .error(
          .invalidRules, "a rules file holds exactly one YAML document",
          at: documents.dropFirst().first?.location ?? SourceLocation(file: path, line: 1, column: 1)))
      return file
    }
    guard let top = mapping(root, "rules file", allowed: ["rules", "accept", "severity"]) else { return file }
    var names = Set<String>()
    for item in top["rules"].map({ list($0, "rules") }) ?? [] {
      if let rule = userRule(item) {
        if !names.insert(rule.name).inserted { fail("rule name '\(rule.name)' is used twice", at: item) }
        file.rules.append(rule)
      }
    }
    let ruleIDs = Set(file.rules.map(\.checkID))
    for item in top["accept"].map({ list($0, "accept") }) ?? [] {
      guard let fields = mapping(item, "accept entry", allowed: ["check", "object", "reason"]) else { continue }
      guard let checkNode = fields["check"], let check = string(checkNode, "accept.check") else {
        fail("accept entry needs 'check'", at: item)
        continue
      }
      if !knownChecks.contains(check) && !ruleIDs.contains(check) {
        fail("accept.check: unknown check '\(check)'", at: checkNode)
      }
      guard let objectNode = fields["object"], let object = string(objectNode, "accept.object") else {
        fail("accept entry needs 'object' (Kind/namespace/name or namespace/name)", at: item)
        continue
      }
      let reason = fields["reason"].flatMap { string($0, "accept.reason") } ?? ""
      file.accepts.append(Acceptance(check: check, object: object, reason: reason, location: item.location))
    }
    if let node = top["severity"] {
      if case .mapping(let pairs) = node.value {
        for (key, value) in pairs {
          guard let id = key.text else { continue }
          if !knownChecks.contains(id) && !ruleIDs.contains(id) {
            fail("severity: unknown check '\(id)'", at: key)
            continue
          }
          if let level = severity(value, "severity.\(id)") { file.severities[id] = level }
        }
      } else {
        fail("severity must be a mapping of check IDs to error, warning or note", at: node)
      }
    }
    return file
  }

  mutating func userRule(_ node: YAMLTree) -> UserRule? {
    let kinds = ["deny", "allow", "require", "isolated", "mtls"]
    guard let fields = mapping(node, "rule", allowed: ["name", "severity"] + kinds) else { return nil }
    guard let nameNode = fields["name"], let name = string(nameNode, "rule name"), !name.isEmpty else {
      fail("a rule needs a 'name'", at: node)
      return nil
    }
    let present = kinds.filter { fields[$0] != nil }
    guard present.count == 1, let kindKey = present.first, let body = fields[kindKey] else {
      fail("rule '\(name)' needs exactly one of deny, allow, require, isolated, mtls", at: node)
      return nil
    }
    let kind: UserRuleKind =
      switch kindKey {
      case "deny": .deny
      case "isolated": .isolated
      case "mtls": .mtls
      default: .allow
      }
    var rule = UserRule(name: name, kind: kind, location: node.location)
    if let s = fields["severity"] { rule.severity = severity(s, "rule '\(name)' severity") }
    let allowed: [String] =
      switch kind {
      case .deny, .allow: ["from", "to", "ports"]
      case .isolated: ["workloads", "direction"]
      case .mtls: ["from", "to", "ports"]
      }
    guard let parts = mapping(body, "rule '\(name)' \(kindKey)", allowed: allowed) else { return nil }
    switch kind {
    case .deny, .allow, .mtls:
      guard let from = parts["from"] ?? (kind == .mtls ? YAMLTree(value: .mapping([]), location: body.location) : nil),
        let to = parts["to"]
      else {
        fail("rule '\(name)' needs 'from' and 'to'", at: body)
        return nil
      }
      rule.from = peer(from, "rule '\(name)' from")
      rule.to = peer(to, "rule '\(name)' to")
      if rule.from.isAddresses && rule.to.isAddresses {
        fail("rule '\(name)': at least one end must be workloads", at: body)
      }
      if let ports = parts["ports"] { rule.ports = self.ports(ports, "rule '\(name)' ports") }
    case .isolated:
      guard let workloads = parts["workloads"] else {
        fail("rule '\(name)' needs 'workloads'", at: body)
        return nil
      }
      rule.to = peer(workloads, "rule '\(name)' workloads")
      if rule.to.isAddresses { fail("rule '\(name)': workloads cannot be external addresses", at: workloads) }
      if let d = parts["direction"], let text = string(d, "direction") {
        switch text.lowercased() {
        case "ingress": rule.directions = [.ingress]
        case "egress": rule.directions = [.egress]
        case "both": rule.directions = Direction.allCases
        default: fail("direction must be ingress, egress or both, found '\(text)'", at: d)
        }
      }
    }
    return rule
  }

  mutating func peer(_ node: YAMLTree, _ what: String) -> PeerSpec {
    var spec = PeerSpec()
    guard
      let fields = mapping(
        node, what, allowed: ["namespace", "namespaceLabels", "workload", "labels", "external", "cidr"])
    else { return spec }
    if let n = fields["namespace"] { spec.namespace = string(n, "\(what).namespace") }
    if let n = fields["namespaceLabels"] { spec.namespaceLabels = labels(n, "\(what).namespaceLabels") }
    if let n = fields["workload"] { spec.workload = string(n, "\(what).workload") }
    if let n = fields["labels"] { spec.labels = labels(n, "\(what).labels") }
    if let n = fields["external"] {
      switch n.text?.lowercased() {
      case "true": spec.external = true
      case "false": spec.external = false
      default: fail("\(what).external must be true or false", at: n)
      }
    }
    if let n = fields["cidr"], let text = string(n, "\(what).cidr") {
      if let cidr = CIDR(text) { spec.cidr = cidr } else { fail("\(what).cidr: invalid CIDR '\(text)'", at: n) }
    }
    if spec.isAddresses
      && (spec.namespace != nil || spec.namespaceLabels != nil || spec.workload != nil || spec.labels != nil)
    {
      fail("\(what): external/cidr cannot be combined with namespace or workload fields", at: node)
    }
    return spec
  }

  mutating func ports(_ node: YAMLTree, _ what: String) -> ConnectionSet {
    var ranges: [TransportProtocol: [PortRange]] = [:]
    for item in list(node, what) {
      var proto = TransportProtocol.tcp
      var port: Int?
      var endPort: Int?
      if item.text != nil {
        port = number(item, "\(what) item")
      } else if let fields = mapping(item, "\(what) item", allowed: ["port", "endPort", "protocol"]) {
        if let p = fields["protocol"], let text = string(p, "protocol") {
          if let value = TransportProtocol(rawValue: text.uppercased()) {
            proto = value
          } else {
            fail("protocol must be TCP, UDP or SCTP, found '\(text)'", at: p)
          }
        }
        if let p = fields["port"] { port = number(p, "port") }
        if let p = fields["endPort"] { endPort = number(p, "endPort") }
        if endPort != nil && port == nil { fail("endPort needs port", at: item) }
      } else {
        continue
      }
      let lo = port ?? 1
      let hi = endPort ?? port ?? 65535
      if hi < lo {
        fail("endPort must not be below port", at: item)
        continue
      }
      ranges[proto, default: []].append(PortRange(lo, hi))
    }
    return ConnectionSet(ranges)
  }

  mutating func number(_ node: YAMLTree, _ what: String) -> Int? {
    guard let text = node.text, let n = Int(text), (1...65535).contains(n) else {
      fail("\(what) must be a port number 1-65535", at: node)
      return nil
    }
    return n
  }
}
