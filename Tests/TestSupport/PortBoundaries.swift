import KubeModel
import Reachability

/// The ports where a verdict may change: every rule port and range edge, every container port
/// (named ports resolve to them) and, optionally, every Service port and numeric target port.
public enum PortBoundaries {
  /// Per protocol, the sorted first ports of the parts of the port space (1 always included).
  public static func cuts(of cluster: Cluster, includingServicePorts: Bool = false) -> [TransportProtocol: [Int]] {
    var cuts: [TransportProtocol: Set<Int>] = [.tcp: [1], .udp: [1], .sctp: [1]]
    func add(_ p: TransportProtocol, _ lo: Int, _ hi: Int) {
      if lo >= 1 && lo <= 65535 { cuts[p, default: []].insert(lo) }
      if hi >= 1 && hi < 65535 { cuts[p, default: []].insert(hi + 1) }
    }
    for np in cluster.networkPolicies {
      for rule in np.ingress + np.egress {
        for port in rule.ports {
          if case .number(let n) = port.port { add(port.protocol, n, port.endPort ?? n) }
        }
      }
    }
    for anp in cluster.adminNetworkPolicies + cluster.baselineAdminNetworkPolicies {
      for rule in anp.ingress + anp.egress {
        for port in rule.ports ?? [] {
          switch port {
          case .number(let p, let n): add(p, n, n)
          case .range(let p, let a, let b): add(p, a, b)
          case .named: break
          }
        }
      }
    }
    for pod in cluster.pods { for cp in pod.ports { add(cp.protocol, cp.port, cp.port) } }
    if includingServicePorts {
      for service in cluster.services {
        for sp in service.ports {
          add(sp.protocol, sp.port, sp.port)
          if case .number(let n) = sp.targetPort { add(sp.protocol, n, n) }
        }
      }
    }
    return cuts.mapValues { $0.sorted() }
  }
}
