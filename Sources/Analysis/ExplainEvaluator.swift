import KubeModel
import Reachability

/// What a reason did to the flow it explains.
public enum ExplainEffect: String, Hashable, Sendable, Codable {
  /// The rule (or the system default) allowed the flow.
  case allow
  /// The rule denied the flow.
  case deny
  /// An admin rule passed the flow on to the NetworkPolicy tier.
  case pass
  /// A policy selects the pod but none of its rules allows the flow.
  case noMatch = "no-match"
}

/// One reason for the verdict of one direction of a flow: a rule that matched, a policy that
/// selects the pod without allowing the flow, an Ingress/Route, or the system default.
public struct ExplainReason: Hashable, Comparable, Sendable {
  /// `AdminNetworkPolicy`, `NetworkPolicy`, `BaselineAdminNetworkPolicy`, `Ingress`, `Route`, or
  /// `SystemDefault`.
  public var tier: String
  /// `ns/name` of a NetworkPolicy, Ingress or Route, the name of an admin policy, empty for the
  /// system default.
  public var policy: String
  /// The rule: `#n` for NetworkPolicy rules, the rule name for admin rules, the Service for
  /// Ingress/Route objects; empty when no rule is involved.
  public var rule: String
  /// Where the rule (or, without a rule, the policy) is written.
  public var location: SourceLocation?
  /// Whether the reason allowed, denied, passed or failed to match the flow.
  public var effect: ExplainEffect
  /// netpol-analyzer's sentence for this reason.
  public var text: String

  /// Creates a reason.
  public init(
    tier: String, policy: String, rule: String, location: SourceLocation?, effect: ExplainEffect,
    text: String
  ) {
    self.tier = tier
    self.policy = policy
    self.rule = rule
    self.location = location
    self.effect = effect
    self.text = text
  }

  /// The system default (nothing selects the pod in that direction, or no tier decided).
  public static let systemDefault = ExplainReason(
    tier: "SystemDefault", policy: "", rule: "", location: nil, effect: .allow,
    text: "the system default (Allow all)")

  /// Whether this is the system default.
  public var isSystemDefault: Bool { self == ExplainReason.systemDefault }

  /// The word that groups reasons into `<Kind> list:` blocks.
  public var kind: String { tier == "SystemDefault" ? "" : tier }

  /// Orders reasons by their sentence, as netpol-analyzer prints them.
  public static func < (lhs: ExplainReason, rhs: ExplainReason) -> Bool { lhs.text < rhs.text }
}

/// The verdict of one direction (egress at the source, or ingress at the destination) for a
/// part of the connection space, with its reasons sorted as netpol-analyzer prints them.
public struct DirectionVerdict: Hashable, Sendable {
  /// Whether the direction allows this part of the flow.
  public var allowed: Bool
  /// The reasons, sorted by sentence.
  public var reasons: [ExplainReason]

  /// Creates a verdict; the reasons are sorted.
  public init(allowed: Bool, reasons: [ExplainReason]) {
    self.allowed = allowed
    self.reasons = reasons.sorted()
  }

  /// Allowed by nothing but the system default.
  public static let systemDefault = DirectionVerdict(allowed: true, reasons: [.systemDefault])

  /// Whether only the system default decided.
  public var isSystemDefaultOnly: Bool { reasons.count == 1 && reasons[0].isSystemDefault }
}

/// One end of an explained flow.
public enum ExplainEndpoint: Hashable, Sendable {
  /// An index into `Cluster.pods`.
  case pod(Int)
  /// A range of external addresses (a single address is a range of one).
  case external(IPRange)
}

/// Evaluates flows one port range at a time, keeping the rules that decide them, with
/// netpol-analyzer's explanation semantics: ANPs by priority (first matching rule decides, Pass
/// goes on to NetworkPolicies), NetworkPolicies (union; every selecting policy explains a
/// denial, every allowing policy an allowance), the BANP, then the system default.
public struct ExplainEvaluator: Sendable {
  /// The cluster whose policies are evaluated.
  public let cluster: Cluster
  private let namespaceLabels: [String: [String: String]]
  private let admin: [AdminNetworkPolicy]

  /// Prepares the evaluator over a cluster.
  public init(cluster: Cluster) {
    self.cluster = cluster
    self.namespaceLabels = cluster.namespaceLabelsByName()
    self.admin = cluster.adminNetworkPoliciesInPriorityOrder
  }

  func nsLabels(_ name: String) -> [String: String] {
    namespaceLabels[name] ?? [namespaceNameLabel: name]
  }

  /// Per protocol, the sorted first ports of the parts of the port space where a verdict may
  /// change (rule ports, container ports and Service target ports of the whole cluster).
  public func portCuts() -> [TransportProtocol: [Int]] {
    PortBoundaries.cuts(of: cluster, includingServicePorts: true)
  }

  /// The parts of the port space as (protocol, range) in TCP, UDP, SCTP order.
  public func portAtoms(cuts: [TransportProtocol: [Int]]) -> [(
    proto: TransportProtocol, range: PortRange
  )] {
    var out: [(proto: TransportProtocol, range: PortRange)] = []
    for proto in ExplainEvaluator.protocolOrder {
      let list = cuts[proto] ?? [1]
      for (i, lo) in list.enumerated() {
        let hi = i + 1 < list.count ? list[i + 1] - 1 : 65535
        out.append((proto, PortRange(lo, hi)))
      }
    }
    return out
  }

  /// netpol-analyzer's protocol order in explanations.
  public static let protocolOrder: [TransportProtocol] = [.tcp, .udp, .sctp]

  // MARK: one direction

  /// The verdict of one direction at `subject` (the pod whose policies apply) for a flow whose
  /// other end is `peer`, at one protocol and port. `destination` is the flow's destination,
  /// for named ports; the names are the report names used in sentences.
  public func decide(
    subject: Int, subjectName: String, peer: ExplainEndpoint, peerName: String,
    direction: Direction,
    destination: ExplainEndpoint, _ proto: TransportProtocol, _ port: Int,
    silentNetworkPolicyDenials: Bool = false
  ) -> DirectionVerdict {
    let pod = cluster.pods[subject]
    let dirName = direction.rawValue
    var reasons: [ExplainReason] = []
    anpLoop: for anp in admin where podSetMatches(anp.subject, pod) {
      let rules = direction == .ingress ? anp.ingress : anp.egress
      for rule in rules {
        guard
          adminRuleMatches(
            rule, peer: peer, direction: direction, destination: destination, proto, port)
        else { continue }
        let verb: String
        switch rule.action {
        case .allow: verb = "allows"
        case .deny: verb = "denies"
        case .pass: verb = "passes"
        }
        let reason = ExplainReason(
          tier: anp.kindName, policy: anp.name, rule: rule.name, location: rule.location,
          effect: rule.action == .allow ? .allow : rule.action == .deny ? .deny : .pass,
          text:
            "AdminNetworkPolicy '\(anp.name)' \(verb) connections by \(dirName) rule \(rule.name)")
        reasons.append(reason)
        switch rule.action {
        case .allow: return DirectionVerdict(allowed: true, reasons: reasons)
        case .deny: return DirectionVerdict(allowed: false, reasons: reasons)
        case .pass: break anpLoop
        }
      }
    }
    let selecting = cluster.networkPolicies.filter { np in
      np.namespace == pod.namespace && np.podSelector.matches(pod.labels)
        && (direction == .ingress ? np.isolatesIngress : np.isolatesEgress)
    }
    if !selecting.isEmpty {
      var allowing: [ExplainReason] = []
      var denying: [ExplainReason] = []
      for np in selecting {
        let (ok, reason) = networkPolicyVerdict(
          np, subjectName: subjectName, peer: peer, peerName: peerName, direction: direction,
          destination: destination, proto, port)
        if ok { allowing.append(reason) } else { denying.append(reason) }
      }
      if !allowing.isEmpty { return DirectionVerdict(allowed: true, reasons: reasons + allowing) }
      return DirectionVerdict(
        allowed: false, reasons: reasons + (silentNetworkPolicyDenials ? [] : denying))
    }
    if let banp = cluster.baselineAdminNetworkPolicies.first, podSetMatches(banp.subject, pod) {
      for rule in direction == .ingress ? banp.ingress : banp.egress where rule.action != .pass {
        guard
          adminRuleMatches(
            rule, peer: peer, direction: direction, destination: destination, proto, port)
        else { continue }
        let allow = rule.action == .allow
        reasons.append(
          ExplainReason(
            tier: banp.kindName, policy: banp.name, rule: rule.name, location: rule.location,
            effect: allow ? .allow : .deny,
            text:
              "BaselineAdminNetworkPolicy '\(banp.name)' \(allow ? "allows" : "denies") connections by \(dirName) rule \(rule.name)"
          ))
        return DirectionVerdict(allowed: allow, reasons: reasons)
      }
    }
    return DirectionVerdict(allowed: true, reasons: reasons + [.systemDefault])
  }

  /// netpol-analyzer loses the NetworkPolicy reasons of a direction when an admin rule with a
  /// port restriction decided part of the port space and the NetworkPolicies selecting the pod
  /// allow nothing to the peer: the remaining denied ports are printed without that direction.
  /// True when that happens for this subject and peer (over the given port atoms).
  public func losesNetworkPolicyDenials(
    subject: Int, peer: ExplainEndpoint, direction: Direction, destination: ExplainEndpoint,
    atoms: [(proto: TransportProtocol, range: PortRange)]
  ) -> Bool {
    let pod = cluster.pods[subject]
    let portSpecificAdminRule = admin.contains { anp in
      podSetMatches(anp.subject, pod)
        && (direction == .ingress ? anp.ingress : anp.egress).contains { rule in
          rule.ports != nil
            && adminRuleMatches(
              AdminPolicyRule(
                name: rule.name, action: rule.action, peers: rule.peers, ports: nil,
                location: rule.location),
              peer: peer, direction: direction, destination: destination, .tcp, 1)
        }
    }
    guard portSpecificAdminRule else { return false }
    let selecting = cluster.networkPolicies.filter { np in
      np.namespace == pod.namespace && np.podSelector.matches(pod.labels)
        && (direction == .ingress ? np.isolatesIngress : np.isolatesEgress)
    }
    guard !selecting.isEmpty else { return false }
    let rulesOf = { (np: NetworkPolicy) in direction == .ingress ? np.ingress : np.egress }
    return !atoms.contains { atom in
      selecting.contains { np in
        rulesOf(np).contains { rule in
          npPeersMatch(rule.peers, policyNamespace: np.namespace, peer: peer)
            && npPortsMatch(rule.ports, destination: destination, atom.proto, atom.range.lower)
        }
      }
    }
  }

  /// The policies that select a pod for a direction, tier by tier: admin policies (by priority)
  /// with rules of that direction, NetworkPolicies that isolate it, the baseline.
  public func policiesSelecting(pod index: Int, direction: Direction) -> [String] {
    let pod = cluster.pods[index]
    var out: [String] = []
    for anp in admin where podSetMatches(anp.subject, pod) {
      if !(direction == .ingress ? anp.ingress : anp.egress).isEmpty {
        out.append("AdminNetworkPolicy '\(anp.name)'")
      }
    }
    for np in cluster.networkPolicies
    where np.namespace == pod.namespace && np.podSelector.matches(pod.labels)
      && (direction == .ingress ? np.isolatesIngress : np.isolatesEgress)
    {
      out.append("NetworkPolicy '\(np.namespace)/\(np.name)'")
    }
    if let banp = cluster.baselineAdminNetworkPolicies.first, podSetMatches(banp.subject, pod),
      !(direction == .ingress ? banp.ingress : banp.egress).isEmpty
    {
      out.append("BaselineAdminNetworkPolicy '\(banp.name)'")
    }
    return out
  }

  /// One NetworkPolicy's say on a flow: allowed by its first allowing rule, or why not.
  func networkPolicyVerdict(
    _ np: NetworkPolicy, subjectName: String, peer: ExplainEndpoint, peerName: String,
    direction: Direction,
    destination: ExplainEndpoint, _ proto: TransportProtocol, _ port: Int
  ) -> (Bool, ExplainReason) {
    let rules = direction == .ingress ? np.ingress : np.egress
    let full = "\(np.namespace)/\(np.name)"
    let dirName = direction.rawValue
    guard !rules.isEmpty else {
      return (
        false,
        ExplainReason(
          tier: "NetworkPolicy", policy: full, rule: "", location: np.location, effect: .noMatch,
          text:
            "NetworkPolicy '\(full)' selects \(subjectName), but \(peerName) is not allowed by any \(dirName) rule (no rules defined)"
        )
      )
    }
    var firstSelecting: Int? = nil
    for (i, rule) in rules.enumerated()
    where npPeersMatch(rule.peers, policyNamespace: np.namespace, peer: peer) {
      if firstSelecting == nil { firstSelecting = i }
      if npPortsMatch(rule.ports, destination: destination, proto, port) {
        return (
          true,
          ExplainReason(
            tier: "NetworkPolicy", policy: full, rule: "#\(i + 1)", location: rule.location,
            effect: .allow,
            text: "NetworkPolicy '\(full)' allows connections by \(dirName) rule #\(i + 1)")
        )
      }
    }
    guard let k = firstSelecting else {
      return (
        false,
        ExplainReason(
          tier: "NetworkPolicy", policy: full, rule: "", location: np.location, effect: .noMatch,
          text:
            "NetworkPolicy '\(full)' selects \(subjectName), but \(peerName) is not allowed by any \(dirName) rule"
        )
      )
    }
    let rule = rules[k]
    let why =
      namedPortsUnresolved(rule.ports, destination: destination)
      ? "named ports of the rule have no match in the configuration of the destination peer"
      : "the protocols and ports do not match"
    return (
      false,
      ExplainReason(
        tier: "NetworkPolicy", policy: full, rule: "#\(k + 1)", location: rule.location,
        effect: .noMatch,
        text:
          "NetworkPolicy '\(full)' selects \(subjectName), and \(dirName) rule #\(k + 1) selects \(peerName), but \(why)"
      )
    )
  }

  /// True when every port of the rule is a name the destination does not declare.
  func namedPortsUnresolved(_ ports: [NetworkPolicyPort], destination: ExplainEndpoint) -> Bool {
    guard !ports.isEmpty else { return false }
    return ports.allSatisfy { p in
      guard case .name(let name)? = p.port else { return false }
      guard case .pod(let d) = destination else { return true }
      return !cluster.pods[d].ports.contains { $0.name == name && $0.protocol == p.protocol }
    }
  }

  // MARK: matching

  func podSetMatches(_ set: AdminPodSet, _ pod: Pod) -> Bool {
    switch set {
    case .namespaces(let ns): return ns.matches(nsLabels(pod.namespace))
    case .pods(let ns, let pods):
      return ns.matches(nsLabels(pod.namespace)) && pods.matches(pod.labels)
    }
  }

  func adminRuleMatches(
    _ rule: AdminPolicyRule, peer: ExplainEndpoint, direction: Direction,
    destination: ExplainEndpoint,
    _ proto: TransportProtocol, _ port: Int
  ) -> Bool {
    let peerOK = rule.peers.contains { p in
      switch p {
      case .pods(let set):
        if case .pod(let i) = peer { return podSetMatches(set, cluster.pods[i]) }
        return false
      case .networks(let cidrs):
        guard direction == .egress, case .external(let range) = peer else { return false }
        return cidrs.contains { $0.range.contains(range) }
      case .nodes:
        return false
      }
    }
    guard peerOK else { return false }
    guard let ports = rule.ports else { return true }
    var destinationPorts: [ContainerPort]? = nil
    if case .pod(let d) = destination { destinationPorts = cluster.pods[d].ports }
    return ports.contains { $0.admits(proto, port, destinationPorts: destinationPorts) }
  }

  func npPeersMatch(_ peers: [NetworkPolicyPeer], policyNamespace: String, peer: ExplainEndpoint)
    -> Bool
  {
    if peers.isEmpty { return true }
    return peers.contains { p in
      switch p {
      case .selector(let pods, let namespaces):
        guard case .pod(let i) = peer else { return false }
        let pod = cluster.pods[i]
        let nsOK =
          namespaces.map { $0.matches(nsLabels(pod.namespace)) }
          ?? (pod.namespace == policyNamespace)
        return nsOK && (pods?.matches(pod.labels) ?? true)
      case .ipBlock(let block):
        guard case .external(let range) = peer else { return false }
        return block.cidr.range.contains(range)
          && !block.except.contains {
            $0.range.lower <= range.lower && range.lower <= $0.range.upper
              && $0.family == range.family
          }
      }
    }
  }

  func npPortsMatch(
    _ ports: [NetworkPolicyPort], destination: ExplainEndpoint, _ proto: TransportProtocol,
    _ port: Int
  )
    -> Bool
  {
    if ports.isEmpty { return true }
    return ports.contains { p in
      guard p.protocol == proto else { return false }
      switch p.port {
      case nil: return true
      case .number(let n)?: return n <= port && port <= (p.endPort ?? n)
      case .name(let name)?:
        guard case .pod(let d) = destination else { return false }
        return cluster.pods[d].ports.contains {
          $0.name == name && $0.protocol == proto && $0.port == port
        }
      }
    }
  }
}
