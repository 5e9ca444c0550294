import KubeModel

/// Where the cluster DNS runs: the pods behind the `kube-dns` Service (preferring the one in
/// `kube-system`) and the pod ports that Service forwards to; when the manifests have no such
/// Service with a selector and matching pods, pods labelled `k8s-app=kube-dns` in `kube-system`
/// on UDP and TCP 53.
///
/// The one finder of the cluster DNS, shared by the policy generator (`--allow-dns`) and the
/// checks.
public struct ClusterDNS: Hashable, Sendable {
  /// One port the DNS pods listen on.
  public struct Port: Hashable, Comparable, Sendable {
    public var transport: TransportProtocol
    public var port: Int

    public init(_ transport: TransportProtocol, _ port: Int) {
      self.transport = transport
      self.port = port
    }

    public static func < (lhs: Port, rhs: Port) -> Bool {
      (lhs.transport, lhs.port) < (rhs.transport, rhs.port)
    }
  }

  /// The namespace of the DNS pods.
  public var namespace: String
  /// The labels that select the DNS pods in that namespace.
  public var podLabels: [String: String]
  /// The pod ports, sorted.
  public var ports: [Port]
  /// `ns/name` of the Service the answer came from; nil for the fallback.
  public var service: String?
  /// Indices of the pods (in `Cluster.pods`) the answer selects, ascending; may be empty for
  /// the fallback.
  public var pods: [Int]

  /// The fallback: `k8s-app=kube-dns` in `kube-system`, UDP and TCP 53.
  public static func fallback(in cluster: Cluster) -> ClusterDNS {
    let labels = ["k8s-app": "kube-dns"]
    let selector = LabelSelector(matchLabels: labels)
    let pods = cluster.pods.indices.filter {
      cluster.pods[$0].namespace == "kube-system" && selector.matches(cluster.pods[$0].labels)
    }
    return ClusterDNS(
      namespace: "kube-system", podLabels: labels, ports: [Port(.tcp, 53), Port(.udp, 53)],
      service: nil, pods: pods)
  }

  /// Finds the cluster DNS of a cluster (see the type's description).
  public static func find(in cluster: Cluster) -> ClusterDNS {
    let candidates = cluster.services.filter { $0.name == "kube-dns" && !($0.selector ?? [:]).isEmpty }
      .sorted { ($0.namespace == "kube-system" ? 0 : 1, $0.namespace) < ($1.namespace == "kube-system" ? 0 : 1, $1.namespace) }
    for service in candidates {
      let labels = service.selector ?? [:]
      let selector = LabelSelector(matchLabels: labels)
      let pods = cluster.pods.indices.filter {
        cluster.pods[$0].namespace == service.namespace && selector.matches(cluster.pods[$0].labels)
      }
      guard !pods.isEmpty else { continue }
      var ports = Set<Port>()
      for servicePort in service.ports {
        switch servicePort.targetPort {
        case .number(let n):
          ports.insert(Port(servicePort.protocol, n))
        case .name(let name):
          for pod in pods {
            for declared in cluster.pods[pod].ports
            where declared.name == name && declared.protocol == servicePort.protocol {
              ports.insert(Port(servicePort.protocol, declared.port))
            }
          }
        }
      }
      guard !ports.isEmpty else { continue }
      return ClusterDNS(
        namespace: service.namespace, podLabels: labels, ports: ports.sorted(),
        service: "\(service.namespace)/\(service.name)", pods: pods)
    }
    return fallback(in: cluster)
  }
}
