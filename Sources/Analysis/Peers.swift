import KubeModel
import Reachability

/// One endpoint of a reported connection: a workload, a pod, an external address range, or the
/// ingress controller that Ingress and Route objects stand for.
public struct ReportPeer: Hashable, Comparable, Sendable {
  public enum Kind: Hashable, Sendable {
    case workload(Int)
    case pod(Int)
    case external(IPRange)
    case ingressController
  }

  public var kind: Kind
  /// The full name as printed: `ns/name[Kind]`, `a.b.c.d-e.f.g.h[External]`, `{ingress-controller}`.
  public var name: String
  /// The namespace, for grouping in graphs; nil for externals and the ingress controller.
  public var namespace: String?
  /// The name without the namespace, as graph node labels show it.
  public var shortName: String

  public init(kind: Kind, name: String, namespace: String?, shortName: String) {
    self.kind = kind
    self.name = name
    self.namespace = namespace
    self.shortName = shortName
  }

  public var isExternal: Bool {
    if case .external = kind { return true }
    return false
  }

  public static func < (lhs: ReportPeer, rhs: ReportPeer) -> Bool { lhs.name < rhs.name }

  /// The pseudo-peer for traffic entering through Ingress or Route objects.
  public static let ingressController = ReportPeer(
    kind: .ingressController, name: "{ingress-controller}", namespace: nil, shortName: "{ingress-controller}")

  public static func external(_ range: IPRange) -> ReportPeer {
    let text = "\(range)[External]"
    return ReportPeer(kind: .external(range), name: text, namespace: nil, shortName: text)
  }

  public static func workload(_ index: Int, in cluster: Cluster) -> ReportPeer {
    let w = cluster.workloads[index]
    return ReportPeer(
      kind: .workload(index), name: w.displayName, namespace: w.namespace,
      shortName: "\(w.name)[\(w.kind.rawValue)]")
  }

  public static func pod(_ index: Int, in cluster: Cluster) -> ReportPeer {
    let p = cluster.pods[index]
    return ReportPeer(
      kind: .pod(index), name: "\(p.namespace)/\(p.name)[Pod]", namespace: p.namespace,
      shortName: "\(p.name)[Pod]")
  }
}

/// A connection allowed from one peer to another.
public struct ConnectionRow: Hashable, Sendable {
  public var source: ReportPeer
  public var destination: ReportPeer
  public var connections: ConnectionSet

  public init(source: ReportPeer, destination: ReportPeer, connections: ConnectionSet) {
    self.source = source
    self.destination = destination
    self.connections = connections
  }
}

/// Rows sorted by source name, then destination name.
func sortedRows(_ rows: [ConnectionRow]) -> [ConnectionRow] {
  rows.sorted { ($0.source.name, $0.destination.name) < ($1.source.name, $1.destination.name) }
}
