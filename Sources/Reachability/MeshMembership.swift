import KubeModel

/// Who is in the mesh, and how: sidecar injection, ambient enrolment and waypoints
/// (SEMANTICS.md section 3, "Sidecar presence" and "Ambient mode").
public enum MeshMembership {
  /// Namespaces the injector leaves alone when it injects by default.
  static let systemNamespaces: Set<String> = ["kube-system", "kube-public", "kube-node-lease"]

  /// Whether the pod already carries a sidecar: an `istio-proxy` container or the injector's
  /// `sidecar.istio.io/status` annotation (dumps of live pods look like this).
  public static func isInjected(_ pod: Pod) -> Bool {
    pod.containers.contains(IstioLabel.proxyContainer) || pod.annotations[IstioLabel.status] != nil
  }

  /// The dataplane of a pod given its namespace's labels.
  public static func dataplane(
    of pod: Pod, namespaceLabels ns: [String: String], options: MeshOptions
  ) -> MeshDataplane {
    if isInjected(pod) { return .sidecar }
    // The injector skips host-network pods; ztunnel does not capture them either.
    if pod.hostNetwork { return .none }
    let podInject = pod.labels[IstioLabel.inject] ?? pod.annotations[IstioLabel.inject]
    let nsInjection = ns[IstioLabel.injection]
    let disabled = nsInjection == "disabled" || podInject == "false"
    let enabled =
      nsInjection == "enabled" || podInject == "true"
      || (nsInjection == nil && ns[IstioLabel.revision] != nil)
      || pod.labels[IstioLabel.revision] != nil
    let byDefault =
      options.injectByDefault && nsInjection == nil && ns[IstioLabel.revision] == nil
      && podInject == nil && pod.namespace != options.rootNamespace
      && !systemNamespaces.contains(pod.namespace)
    if !disabled && (enabled || byDefault) { return .sidecar }
    switch pod.labels[IstioLabel.dataplaneMode] {
    case "none": return .none
    case "ambient": return .ambient
    default: return ns[IstioLabel.dataplaneMode] == "ambient" ? .ambient : .none
    }
  }

  /// The waypoint an ambient pod uses (`istio.io/use-waypoint` on the pod, else on its
  /// namespace; `none` opts out), nil without one.
  public static func waypoint(of pod: Pod, namespaceLabels ns: [String: String]) -> String? {
    let name = pod.labels[IstioLabel.useWaypoint] ?? ns[IstioLabel.useWaypoint]
    guard let name, !name.isEmpty, name != "none" else { return nil }
    return name
  }

  /// The waypoint a Service sends its traffic through (`istio.io/use-waypoint` on the Service;
  /// `none` opts out), nil without one.
  public static func waypoint(of service: Service) -> String? {
    guard let name = service.labels[IstioLabel.useWaypoint], !name.isEmpty, name != "none" else { return nil }
    return name
  }

  /// The SPIFFE-style principal of a service account: `cluster.local/ns/<ns>/sa/<sa>`.
  public static func principal(namespace: String, serviceAccount: String) -> String {
    "cluster.local/ns/\(namespace)/sa/\(serviceAccount)"
  }

  /// Whether the cluster gives the mesh anything to read: an Istio object, an injection or
  /// ambient label, or an injected pod.
  public static func isPresent(in cluster: Cluster) -> Bool {
    if !cluster.peerAuthentications.isEmpty || !cluster.destinationRules.isEmpty
      || !cluster.authorizationPolicies.isEmpty
    {
      return true
    }
    let nsKeys = [IstioLabel.injection, IstioLabel.revision, IstioLabel.dataplaneMode]
    if cluster.namespaces.contains(where: { ns in nsKeys.contains { ns.labels[$0] != nil } }) {
      return true
    }
    return cluster.pods.contains { pod in
      isInjected(pod) || pod.labels[IstioLabel.inject] != nil
        || pod.annotations[IstioLabel.inject] != nil || pod.labels[IstioLabel.revision] != nil
        || pod.labels[IstioLabel.dataplaneMode] != nil
    }
  }

  /// Whether mesh evaluation is on for this cluster and these options.
  public static func isEnabled(in cluster: Cluster, options: MeshOptions) -> Bool {
    options.enabled ?? isPresent(in: cluster)
  }

  /// The protocol Istio gives a Service port: from `appProtocol`, else the name's prefix
  /// (`http-web`, `grpc`, `tcp-db`, ...). nil: unknown, left to protocol sniffing.
  public static func portProtocol(_ port: ServicePort) -> MeshPortProtocol? {
    func classify(_ text: String) -> MeshPortProtocol? {
      let t = text.lowercased()
      if ["http", "http2", "grpc", "grpc-web", "kubernetes.io/h2c", "kubernetes.io/ws"].contains(t) {
        return .http
      }
      if ["tcp", "tls", "https", "mongo", "mysql", "redis", "kubernetes.io/wss"].contains(t) {
        return .tcp
      }
      return nil
    }
    if let app = port.appProtocol, let p = classify(app) { return p }
    guard let name = port.name else { return nil }
    let prefix = name.split(separator: "-", maxSplits: 1).first.map(String.init) ?? name
    return classify(prefix)
  }
}

/// The protocol class of a port, as far as authorization cares.
public enum MeshPortProtocol: String, Hashable, Sendable {
  /// HTTP, HTTP/2, gRPC: the proxy sees requests.
  case http
  /// Opaque TCP (including TLS): the proxy sees connections only.
  case tcp
}

/// Matching of Istio string patterns (`*`, `prefix*`, `*suffix`, exact).
public enum IstioPattern {
  public static func matches(_ pattern: String, _ value: String) -> Bool {
    if pattern == "*" { return !value.isEmpty }
    if pattern.hasPrefix("*") { return value.hasSuffix(pattern.dropFirst()) }
    if pattern.hasSuffix("*") { return value.hasPrefix(pattern.dropLast()) }
    return pattern == value
  }

  public static func matchesAny(_ patterns: [String], _ value: String) -> Bool {
    patterns.contains { matches($0, value) }
  }
}
