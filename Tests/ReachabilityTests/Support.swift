import KubeModel
import Reachability

/// A tiny cluster builder for semantic tests.
struct ClusterBuilder {
  var cluster = Cluster()
  let loc = SourceLocation.synthetic("test")

  init(namespaces: [String: [String: String]] = ["default": [:]]) {
    for (name, labels) in namespaces.sorted(by: { $0.key < $1.key }) {
      cluster.namespaces.append(Namespace(name: name, labels: labels, location: loc))
    }
  }

  /// Adds a bare pod and returns its index.
  @discardableResult
  mutating func pod(
    _ name: String, ns: String = "default", labels: [String: String] = [:],
    ports: [ContainerPort] = [],
    ips: [String] = [], hostNetwork: Bool = false
  ) -> Int {
    cluster.workloads.append(
      Workload(namespace: ns, name: name, kind: .pod, podLabels: labels, location: loc))
    cluster.pods.append(
      Pod(
        namespace: ns, name: name, labels: labels, ports: ports, hostNetwork: hostNetwork,
        ips: ips.compactMap { IPAddress($0) }, workload: cluster.workloads.count - 1, location: loc)
    )
    return cluster.pods.count - 1
  }

  mutating func np(
    _ name: String, ns: String = "default", select: LabelSelector = .everything,
    ingress: [NetworkPolicyRule]? = nil, egress: [NetworkPolicyRule]? = nil
  ) {
    cluster.networkPolicies.append(
      NetworkPolicy(
        namespace: ns, name: name, podSelector: select, ingress: ingress ?? [],
        egress: egress ?? [],
        isolatesIngress: ingress != nil, isolatesEgress: egress != nil, location: loc))
  }

  mutating func anp(
    _ name: String, priority: Int, subject: AdminPodSet = .namespaces(.everything),
    ingress: [AdminPolicyRule] = [], egress: [AdminPolicyRule] = []
  ) {
    cluster.adminNetworkPolicies.append(
      AdminNetworkPolicy(
        name: name, priority: priority, subject: subject, ingress: ingress, egress: egress,
        location: loc))
  }

  mutating func banp(
    subject: AdminPodSet = .namespaces(.everything), ingress: [AdminPolicyRule] = [],
    egress: [AdminPolicyRule] = []
  ) {
    cluster.baselineAdminNetworkPolicies.append(
      AdminNetworkPolicy(
        name: "default", isBaseline: true, subject: subject, ingress: ingress, egress: egress,
        location: loc))
  }

  func engine(_ options: EngineOptions = .init()) -> ReachabilityEngine {
    ReachabilityEngine(cluster: cluster, options: options)
  }
}

let testLoc = SourceLocation.synthetic("test")

func rule(_ peers: [NetworkPolicyPeer] = [], ports: [NetworkPolicyPort] = []) -> NetworkPolicyRule {
  NetworkPolicyRule(peers: peers, ports: ports, location: testLoc)
}

func arule(
  _ name: String, _ action: AdminPolicyAction, _ peers: [AdminPolicyPeer],
  ports: [AdminPolicyPort]? = nil
)
  -> AdminPolicyRule
{
  AdminPolicyRule(name: name, action: action, peers: peers, ports: ports, location: testLoc)
}

func sel(_ labels: [String: String]) -> LabelSelector { LabelSelector(matchLabels: labels) }

func tcp(_ p: Int, _ end: Int? = nil) -> NetworkPolicyPort {
  NetworkPolicyPort(protocol: .tcp, port: .number(p), endPort: end)
}

func conns(_ text: [TransportProtocol: [ClosedRange<Int>]]) -> ConnectionSet {
  ConnectionSet(text.mapValues { $0.map { PortRange($0.lowerBound, $0.upperBound) } })
}

func ext(_ text: String) -> Peer {
  guard let c = CIDR(text) else { return .external(IPRange.all(.v4)) }
  return .external(c.range)
}
