/// Where the cluster DNS runs, found as both `kubereach check` and the policy generator find it:
/// the backends of the `kube-dns` Service (in `kube-system` first, else in any namespace), else
/// the pods labelled `k8s-app=kube-dns` in `kube-system`.
public struct ClusterDNS: Hashable, Sendable {
  /// How the DNS pods were found.
  public enum Origin: Hashable, Sendable {
    /// The backends of this Service (`namespace/name`).
    case service(String)
    /// Pods labelled `k8s-app=kube-dns` in `kube-system` (no usable `kube-dns` Service).
    case label
  }

  /// One DNS pod and the ports it serves DNS on (container side: the Service's target ports
  /// resolved on the pod, else the pod's declared ports named like DNS, else UDP and TCP 53).
  public struct Server: Hashable, Sendable {
    /// Index into `Cluster.pods`.
    public var pod: Int
    /// Protocol and container port pairs, sorted.
    public var ports: [DNSPort]

    public init(pod: Int, ports: [DNSPort]) {
      self.pod = pod
      self.ports = ports
    }
  }

  /// A protocol and port DNS is served on.
  public struct DNSPort: Hashable, Comparable, Sendable {
    public var `protocol`: TransportProtocol
    public var port: Int

    public init(protocol: TransportProtocol, port: Int) {
      self.protocol = `protocol`
      self.port = port
    }

    public static func < (lhs: DNSPort, rhs: DNSPort) -> Bool {
      (lhs.protocol, lhs.port) < (rhs.protocol, rhs.port)
    }
  }

  public var origin: Origin
  /// The DNS pods, by pod index.
  public var servers: [Server]

  public init(origin: Origin, servers: [Server]) {
    self.origin = origin
    self.servers = servers
  }

  /// The namespace the cluster DNS runs in by convention.
  public static let namespace = "kube-system"
  /// The label the cluster DNS pods carry by convention.
  public static let labels = ["k8s-app": "kube-dns"]
  /// DNS ports when nothing in the input says otherwise.
  public static let defaultPorts = [DNSPort(protocol: .tcp, port: 53), DNSPort(protocol: .udp, port: 53)]

  /// The cluster DNS of the input, or nil when the input holds neither a `kube-dns` Service
  /// with backends nor pods labelled `k8s-app=kube-dns` in `kube-system`.
  public static func find(in cluster: Cluster) -> ClusterDNS? {
    let services = cluster.services.filter { $0.name == "kube-dns" && $0.selector != nil }
      .sorted { ($0.namespace != namespace ? 1 : 0, $0.namespace) < ($1.namespace != namespace ? 1 : 0, $1.namespace) }
    for service in services {
      guard let selector = service.selector else { continue }
      let servers = cluster.pods.indices.compactMap { i -> Server? in
        let pod = cluster.pods[i]
        guard pod.namespace == service.namespace, LabelSelector(matchLabels: selector).matches(pod.labels) else {
          return nil
        }
        return Server(pod: i, ports: ports(of: service, on: pod))
      }
      if !servers.isEmpty {
        return ClusterDNS(origin: .service("\(service.namespace)/\(service.name)"), servers: servers)
      }
    }
    let selector = LabelSelector(matchLabels: labels)
    let servers = cluster.pods.indices.compactMap { i -> Server? in
      let pod = cluster.pods[i]
      guard pod.namespace == namespace, selector.matches(pod.labels) else { return nil }
      let named = pod.ports.filter { $0.port == 53 || ($0.name ?? "").hasPrefix("dns") }
      let ports =
        named.isEmpty ? defaultPorts : Array(Set(named.map { DNSPort(protocol: $0.protocol, port: $0.port) })).sorted()
      return Server(pod: i, ports: ports)
    }
    return servers.isEmpty ? nil : ClusterDNS(origin: .label, servers: servers)
  }

  /// The container ports a Service's ports reach on a pod (named target ports resolved on it;
  /// a name the pod does not declare is left out).
  static func ports(of service: Service, on pod: Pod) -> [DNSPort] {
    var out = Set<DNSPort>()
    for servicePort in service.ports {
      switch servicePort.targetPort {
      case .number(let n): out.insert(DNSPort(protocol: servicePort.protocol, port: n))
      case .name(let name):
        if let declared = pod.ports.first(where: { $0.name == name && $0.protocol == servicePort.protocol }) {
          out.insert(DNSPort(protocol: servicePort.protocol, port: declared.port))
        }
      }
    }
    return out.isEmpty ? defaultPorts : out.sorted()
  }
}
