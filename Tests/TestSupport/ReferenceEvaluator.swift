import KubeModel
import Reachability

/// A slow, literal evaluator: one flow (source, destination, protocol, port) at a time, read
/// straight from the policies as SEMANTICS.md words them. It shares no code with the engine
/// beyond the model, and exists to check the engine.
public struct ReferenceEvaluator: Sendable {
  /// One end of a flow.
  public enum Endpoint: Hashable, Sendable {
    case pod(Int)
    case address(IPAddress)
  }

  /// The cluster evaluated.
  public let cluster: Cluster
  /// The ipBlock reading.
  public let options: EngineOptions
  private let namespaceLabels: [String: [String: String]]
  private let admin: [AdminNetworkPolicy]

  /// An evaluator over the cluster (no compilation beyond namespace labels).
  public init(cluster: Cluster, options: EngineOptions = .init()) {
    self.cluster = cluster
    self.options = options
    self.namespaceLabels = cluster.namespaceLabelsByName()
    self.admin = cluster.adminNetworkPoliciesInPriorityOrder
  }

  func nsLabels(_ name: String) -> [String: String] {
    namespaceLabels[name] ?? [namespaceNameLabel: name]
  }

  /// Whether the flow is allowed.
  public func allows(from src: Endpoint, to dst: Endpoint, _ proto: TransportProtocol, _ port: Int)
    -> Bool
  {
    if src == dst, case .pod = src { return true }
    var ok = true
    if case .pod(let s) = src {
      ok = ok && decide(subject: s, peer: dst, direction: .egress, destination: dst, proto, port)
    }
    if case .pod(let d) = dst {
      ok = ok && decide(subject: d, peer: src, direction: .ingress, destination: dst, proto, port)
    }
    if case .address = src, case .address = dst { return false }
    return ok
  }

  /// The connection set of a pair, evaluated at every port where any rule of the cluster may
  /// change its answer.
  public func connections(from src: Endpoint, to dst: Endpoint) -> ConnectionSet {
    var ports: [TransportProtocol: [PortRange]] = [:]
    for (proto, cuts) in candidatePorts() {
      for (i, lo) in cuts.enumerated() {
        let hi = i + 1 < cuts.count ? cuts[i + 1] - 1 : 65535
        if allows(from: src, to: dst, proto, lo) {
          ports[proto, default: []].append(PortRange(lo, hi))
        }
      }
    }
    return ConnectionSet(ports)
  }

  /// Per protocol, the sorted ports where an answer may change.
  func candidatePorts() -> [TransportProtocol: [Int]] { PortBoundaries.cuts(of: cluster) }

  // MARK: one direction

  /// The verdict of one direction at `subject` (the pod whose policies apply) for a flow with
  /// the other end `peer`; `destination` is the flow's destination (for named ports).
  func decide(
    subject: Int, peer: Endpoint, direction: Direction, destination: Endpoint,
    _ proto: TransportProtocol,
    _ port: Int
  ) -> Bool {
    let pod = cluster.pods[subject]
    // Tier 1: AdminNetworkPolicies by priority, rules in order, first match decides.
    anpLoop: for anp in admin where podSetMatches(anp.subject, pod) {
      for rule in direction == .ingress ? anp.ingress : anp.egress {
        guard
          adminRuleMatches(
            rule, peer: peer, direction: direction, destination: destination, proto, port)
        else { continue }
        switch rule.action {
        case .allow: return true
        case .deny: return false
        case .pass: break anpLoop
        }
      }
    }
    // Tier 2: NetworkPolicies that select the pod and isolate this direction.
    let selecting = cluster.networkPolicies.filter { np in
      np.namespace == pod.namespace && np.podSelector.matches(pod.labels)
        && (direction == .ingress ? np.isolatesIngress : np.isolatesEgress)
    }
    if !selecting.isEmpty {
      return selecting.contains { np in
        (direction == .ingress ? np.ingress : np.egress).contains { rule in
          npPeersMatch(rule.peers, policyNamespace: np.namespace, peer: peer)
            && npPortsMatch(rule.ports, destination: destination, proto, port)
        }
      }
    }
    // Tier 3: the baseline.
    if let banp = cluster.baselineAdminNetworkPolicies.first, podSetMatches(banp.subject, pod) {
      for rule in direction == .ingress ? banp.ingress : banp.egress where rule.action != .pass {
        if adminRuleMatches(
          rule, peer: peer, direction: direction, destination: destination, proto, port)
        {
          return rule.action == .allow
        }
      }
    }
    // Tier 4: default allow.
    return true
  }

  func podSetMatches(_ set: AdminPodSet, _ pod: Pod) -> Bool {
    switch set {
    case .namespaces(let ns): return ns.matches(nsLabels(pod.namespace))
    case .pods(let ns, let pods):
      return ns.matches(nsLabels(pod.namespace)) && pods.matches(pod.labels)
    }
  }

  func addressesOf(_ e: Endpoint) -> [IPAddress] {
    switch e {
    case .address(let a): return [a]
    case .pod(let p): return options.ipBlockMatchesPodIPs ? cluster.pods[p].ips : []
    }
  }

  func adminRuleMatches(
    _ rule: AdminPolicyRule, peer: Endpoint, direction: Direction, destination: Endpoint,
    _ proto: TransportProtocol, _ port: Int
  ) -> Bool {
    let peerOK = rule.peers.contains { p in
      switch p {
      case .pods(let set):
        if case .pod(let i) = peer { return podSetMatches(set, cluster.pods[i]) }
        return false
      case .networks(let cidrs):
        guard direction == .egress else { return false }
        return addressesOf(peer).contains { a in cidrs.contains { $0.range.contains(a) } }
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

  func npPeersMatch(_ peers: [NetworkPolicyPeer], policyNamespace: String, peer: Endpoint) -> Bool {
    if peers.isEmpty { return true }
    return peers.contains { p in
      switch p {
      case .selector(let pods, let namespaces):
        guard case .pod(let i) = peer else { return false }
        let pod = cluster.pods[i]
        let nsOK: Bool
        if let namespaces {
          nsOK = namespaces.matches(nsLabels(pod.namespace))
        } else {
          nsOK = pod.namespace == policyNamespace
        }
        return nsOK && (pods?.matches(pod.labels) ?? true)
      case .ipBlock(let block):
        return addressesOf(peer).contains { a in
          block.cidr.range.contains(a) && !block.except.contains { $0.range.contains(a) }
        }
      }
    }
  }

  func npPortsMatch(
    _ ports: [NetworkPolicyPort], destination: Endpoint, _ proto: TransportProtocol, _ port: Int
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
