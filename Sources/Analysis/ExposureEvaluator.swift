import KubeModel
import Reachability

/// A representative peer: the pods a policy rule's selectors may match beyond the input, kept
/// as the selectors themselves (netpol-analyzer's "representative pod").
struct RepresentativePeer: Sendable {
  /// The namespace selector (a rule without one stands for its policy's namespace by name;
  /// an admin policy's `pods` peer without one stands for every namespace).
  var namespaceSelector: LabelSelector
  /// The pod selector; nil means every pod.
  var podSelector: LabelSelector?
  /// The policy's namespace when the peer comes from a NetworkPolicy rule without a namespace
  /// selector.
  var namespace: String?

  var key: String {
    ExposureSelectors.key(namespaceSelector) + "/" + ExposureSelectors.key(podSelector)
  }

  /// The namespace part as printed: a name, `all namespaces`, or `namespace with {...}`.
  var namespaceText: (text: String, isName: Bool) {
    let labels = namespaceSelector.matchLabels
    if labels.count == 1, namespaceSelector.matchExpressions.isEmpty,
      let name = labels[namespaceNameLabel]
    {
      return (name, true)
    }
    if namespaceSelector.isEmpty { return ("all namespaces", false) }
    return ("namespace with {" + ExposureSelectors.text(namespaceSelector) + "}", false)
  }

  /// The pod part as printed: `all pods` or `pod with {...}`.
  var podText: String {
    guard let podSelector, !podSelector.isEmpty else { return "all pods" }
    return "pod with {" + ExposureSelectors.text(podSelector) + "}"
  }
}

/// Evaluates the ANP, NetworkPolicy and BANP tiers between a real pod and a representative
/// peer or the whole cluster, with netpol-analyzer's matching rules for representative peers
/// (a rule selector matches a representative peer when it is empty or has the same
/// requirements) and its handling of named ports toward unknown pods.
///
/// The tier order is the shared `TierWalk`, and which policies apply at a real pod is the
/// engine's (`selectingPolicyIndices`). What stays here is what the engine cannot express: a
/// representative peer is not a pod with labels (a rule selecting `{app: a}` does not match the
/// representative `{app: a, tier: b}` in netpol-analyzer's exposure), and named ports toward it
/// stay names. `WalkPropertyTests` checks this evaluator against the engine between real pods.
struct ExposureEvaluator {
  /// One end of an evaluated flow.
  enum Party: Hashable {
    case pod(Int)
    case representative(Int)
    case entireCluster
  }

  /// Where named ports of a rule are resolved.
  enum PortTarget {
    /// Against this pod's container ports; unmatched names match nothing.
    case pod(Int)
    /// Not at all: names stay names.
    case unresolved
    /// Against this pod's ports, keeping unmatched names (entire-cluster ingress).
    case entireClusterIngress(Int)
  }

  /// Results reused across evaluations: selector requirement forms and rule matches.
  final class Memo {
    var requirements: [LabelSelector: [String]] = [:]
    /// Per NetworkPolicy rule: which representatives it matches.
    var ruleRepresentatives: [RuleKey: [Bool]] = [:]
    /// Per NetworkPolicy rule and port target (-1: unresolved, -2: any, as the rule has no
    /// named port): its connections.
    var ruleConnections: [RuleKey: [Int: ExposureConnections]] = [:]
  }

  /// A rule of a NetworkPolicy by policy index, direction and rule index.
  struct RuleKey: Hashable {
    var policy: Int
    var direction: Direction
    var rule: Int
  }

  let cluster: Cluster
  /// Which policies select a real pod is read from the engine, as the walk applies them.
  let engine: ReachabilityEngine
  let representatives: [RepresentativePeer]
  let namespaceLabels: [String: [String: String]]
  /// Admin policy indices in evaluation order.
  let adminOrder: [Int]
  /// The requirement forms of each representative's namespace and pod selectors.
  let representativeRequirements: [(namespaces: [String], pods: [String])]
  let memo = Memo()

  init(cluster: Cluster, engine: ReachabilityEngine, representatives: [RepresentativePeer]) {
    self.cluster = cluster
    self.engine = engine
    self.representatives = representatives
    self.representativeRequirements = representatives.map {
      (
        ExposureSelectors.requirements($0.namespaceSelector),
        ExposureSelectors.requirements($0.podSelector)
      )
    }
    var labels: [String: [String: String]] = [:]
    for namespace in cluster.namespaces { labels[namespace.name] = namespace.labels }
    self.namespaceLabels = labels
    self.adminOrder = cluster.adminNetworkPolicyOrder
  }

  func labelsOfNamespace(_ name: String) -> [String: String] {
    namespaceLabels[name] ?? [namespaceNameLabel: name]
  }

  // MARK: selectors

  /// netpol-analyzer's full match of a rule selector against representative requirements.
  func fullMatch(_ rule: LabelSelector, _ representative: [String]) -> Bool {
    if rule.isEmpty { return true }
    if let known = memo.requirements[rule] { return known == representative }
    let computed = ExposureSelectors.requirements(rule)
    memo.requirements[rule] = computed
    return computed == representative
  }

  func namespaceMatches(_ selector: LabelSelector, _ party: Party) -> Bool {
    switch party {
    case .pod(let p): return selector.matches(labelsOfNamespace(cluster.pods[p].namespace))
    case .representative(let r):
      return fullMatch(selector, representativeRequirements[r].namespaces)
    case .entireCluster: return selector.isEmpty
    }
  }

  func podMatches(_ selector: LabelSelector, _ party: Party) -> Bool {
    switch party {
    case .pod(let p): return selector.matches(cluster.pods[p].labels)
    case .representative(let r): return fullMatch(selector, representativeRequirements[r].pods)
    case .entireCluster: return selector.isEmpty
    }
  }

  func networkPolicyPeerMatches(_ policy: NetworkPolicy, _ peer: NetworkPolicyPeer, _ party: Party)
    -> Bool
  {
    guard case .selector(let pods, let namespaces) = peer else { return false }
    let namespaceOK: Bool
    if let namespaces {
      namespaceOK = namespaceMatches(namespaces, party)
    } else {
      switch party {
      case .pod(let p): namespaceOK = cluster.pods[p].namespace == policy.namespace
      case .representative(let r): namespaceOK = representatives[r].namespace == policy.namespace
      case .entireCluster: namespaceOK = false
      }
    }
    guard namespaceOK else { return false }
    return pods.map { podMatches($0, party) } ?? true
  }

  func podSetMatches(_ set: AdminPodSet, _ party: Party) -> Bool {
    switch set {
    case .namespaces(let namespaces): return namespaceMatches(namespaces, party)
    case .pods(let namespaces, let pods):
      return namespaceMatches(namespaces, party) && podMatches(pods, party)
    }
  }

  func adminPeerMatches(_ peer: AdminPolicyPeer, _ party: Party) -> Bool {
    guard case .pods(let set) = peer else { return false }
    return podSetMatches(set, party)
  }

  func adminSelects(_ policy: AdminNetworkPolicy, _ party: Party, direction: Direction) -> Bool {
    if case .entireCluster = party { return false }
    guard !(direction == .ingress ? policy.ingress : policy.egress).isEmpty else { return false }
    return podSetMatches(policy.subject, party)
  }

  /// Whether a NetworkPolicy rule matches a party (cached for representatives).
  func ruleMatches(_ policyIndex: Int, _ direction: Direction, _ ruleIndex: Int, _ party: Party) -> Bool {
    let policy = cluster.networkPolicies[policyIndex]
    let rule = (direction == .ingress ? policy.ingress : policy.egress)[ruleIndex]
    if rule.peers.isEmpty { return true }
    guard case .representative(let r) = party else {
      return rule.peers.contains { networkPolicyPeerMatches(policy, $0, party) }
    }
    let key = RuleKey(policy: policyIndex, direction: direction, rule: ruleIndex)
    if let known = memo.ruleRepresentatives[key] { return known[r] }
    let computed = representatives.indices.map { index in
      rule.peers.contains { networkPolicyPeerMatches(policy, $0, .representative(index)) }
    }
    memo.ruleRepresentatives[key] = computed
    return computed[r]
  }

  /// A NetworkPolicy rule's connections toward a port target (cached).
  func ruleConnections(_ policyIndex: Int, _ direction: Direction, _ ruleIndex: Int, target: PortTarget)
    -> ExposureConnections
  {
    let policy = cluster.networkPolicies[policyIndex]
    let rule = (direction == .ingress ? policy.ingress : policy.egress)[ruleIndex]
    let named = rule.ports.contains {
      if case .name = $0.port { return true } else { return false }
    }
    let targetKey: Int
    switch target {
    case .entireClusterIngress: return connections(rule.ports, target: target)
    case .unresolved: targetKey = named ? -1 : -2
    case .pod(let p): targetKey = named ? p : -2
    }
    let key = RuleKey(policy: policyIndex, direction: direction, rule: ruleIndex)
    if let known = memo.ruleConnections[key]?[targetKey] { return known }
    let computed = connections(rule.ports, target: target)
    memo.ruleConnections[key, default: [:]][targetKey] = computed
    return computed
  }

  // MARK: ports

  func containerPort(named name: String, of pod: Int) -> ContainerPort? {
    cluster.pods[pod].ports.first { $0.name == name }
  }

  func connections(_ ports: [NetworkPolicyPort], target: PortTarget) -> ExposureConnections {
    if ports.isEmpty { return .all }
    var ranges: [TransportProtocol: [PortRange]] = [:]
    var names: [String: Set<String>] = [:]
    for port in ports {
      switch port.port {
      case nil:
        ranges[port.protocol, default: []].append(.all)
      case .number(let n)?:
        ranges[port.protocol, default: []].append(PortRange(n, port.endPort ?? n))
      case .name(let name)?:
        switch target {
        case .pod(let p):
          if let found = containerPort(named: name, of: p), found.protocol == port.protocol {
            ranges[port.protocol, default: []].append(PortRange(found.port, found.port))
          }
        case .unresolved:
          names[port.protocol.rawValue, default: []].insert(name)
        case .entireClusterIngress(let p):
          if let found = containerPort(named: name, of: p) {
            ranges[port.protocol, default: []].append(PortRange(found.port, found.port))
          } else {
            names[port.protocol.rawValue, default: []].insert(name)
          }
        }
      }
    }
    return ExposureConnections(ports: ConnectionSet(ranges), names: names)
  }

  func connections(_ ports: [AdminPolicyPort]?, target: PortTarget) -> ExposureConnections {
    guard let ports else { return .all }
    var ranges: [TransportProtocol: [PortRange]] = [:]
    var names: [String: Set<String>] = [:]
    for port in ports {
      switch port {
      case .number(let proto, let n): ranges[proto, default: []].append(PortRange(n, n))
      case .range(let proto, let lower, let upper):
        ranges[proto, default: []].append(PortRange(lower, upper))
      case .named(let name):
        switch target {
        case .pod(let p):
          if let found = containerPort(named: name, of: p) {
            ranges[found.protocol, default: []].append(PortRange(found.port, found.port))
          }
        case .unresolved:
          names["", default: []].insert(name)
        case .entireClusterIngress(let p):
          if let found = containerPort(named: name, of: p) {
            ranges[found.protocol, default: []].append(PortRange(found.port, found.port))
          } else {
            names["", default: []].insert(name)
          }
        }
      }
    }
    return ExposureConnections(ports: ConnectionSet(ranges), names: names)
  }

  // MARK: tiers

  /// The connections one direction allows: for ingress, what `subject` accepts from `other`;
  /// for egress, what `subject` may send to `other`. Also whether any policy selects the
  /// subject in that direction.
  func side(subject: Party, other: Party, direction: Direction) -> (
    conns: ExposureConnections, protected: Bool
  ) {
    let target: PortTarget
    let destination = direction == .ingress ? subject : other
    switch destination {
    case .pod(let p):
      if direction == .ingress, case .entireCluster = other {
        target = .entireClusterIngress(p)
      } else {
        target = .pod(p)
      }
    case .representative, .entireCluster:
      target = .unresolved
    }
    // The policies that apply at the subject: for a real pod, the engine's (the walk's own
    // selection); for a representative peer, netpol-analyzer's matching of its requirements.
    var selectingAdmin: [Int] = []
    var selecting: [Int] = []
    var baselineSelects = false
    switch subject {
    case .pod(let p):
      (selectingAdmin, selecting, baselineSelects) = engine.selectingPolicyIndices(pod: p, direction: direction)
    case .representative:
      selectingAdmin = adminOrder.filter {
        adminSelects(cluster.adminNetworkPolicies[$0], subject, direction: direction)
      }
      baselineSelects =
        cluster.baselineAdminNetworkPolicies.first.map { adminSelects($0, subject, direction: direction) } ?? false
    case .entireCluster:
      break
    }
    var protected = false
    var admin: [(action: AdminPolicyAction, hit: ExposureConnections)] = []
    for policy in selectingAdmin.map({ cluster.adminNetworkPolicies[$0] }) {
      protected = true
      for rule in direction == .ingress ? policy.ingress : policy.egress {
        let hit =
          rule.peers.contains(where: { adminPeerMatches($0, other) })
          ? connections(rule.ports, target: target) : .none
        admin.append((rule.action, hit))
      }
    }
    var networkPolicies: [ExposureConnections]? = nil
    if !selecting.isEmpty {
      var hits: [ExposureConnections] = []
      for index in selecting {
        let rules =
          direction == .ingress ? cluster.networkPolicies[index].ingress : cluster.networkPolicies[index].egress
        for ruleIndex in rules.indices where ruleMatches(index, direction, ruleIndex, other) {
          hits.append(ruleConnections(index, direction, ruleIndex, target: target))
        }
      }
      networkPolicies = hits
    }
    var baseline: [(action: AdminPolicyAction, hit: ExposureConnections)] = []
    if networkPolicies == nil, baselineSelects, let policy = cluster.baselineAdminNetworkPolicies.first {
      protected = true
      for rule in direction == .ingress ? policy.ingress : policy.egress {
        let hit =
          rule.peers.contains(where: { adminPeerMatches($0, other) })
          ? connections(rule.ports, target: target) : .none
        baseline.append((rule.action, hit))
      }
    }
    let outcome = TierWalk.walk(
      everything: ExposureConnections.all, admin: admin, networkPolicies: networkPolicies,
      baseline: baseline)
    return (outcome.allowed, protected || networkPolicies != nil)
  }

  /// The connections from `source` to `destination`: the source's egress AND the destination's
  /// ingress.
  func connections(from source: Party, to destination: Party) -> ExposureConnections {
    let egress = side(subject: source, other: destination, direction: .egress).conns
    if egress.isEmpty { return egress }
    return egress.intersection(side(subject: destination, other: source, direction: .ingress).conns)
  }
}
