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

  /// What an `istio.io/use-waypoint` label says on one resource: nothing, an opt-out (`none`;
  /// no waypoint, and the namespace's label is not consulted), or a waypoint, in the namespace
  /// `istio.io/use-waypoint-namespace` names, else the resource's own (istio/istio
  /// pilot/pkg/serviceregistry/kube/controller/ambient/waypoints.go, `getUseWaypoint`).
  enum UseWaypoint: Hashable {
    case absent
    case optOut
    case named(name: String, namespace: String)
  }

  static func useWaypoint(_ labels: [String: String], ownNamespace: String) -> UseWaypoint {
    guard let name = labels[IstioLabel.useWaypoint] else { return .absent }
    if name == "none" || name.isEmpty { return .optOut }
    let ns = labels[IstioLabel.useWaypointNamespace].flatMap { $0.isEmpty ? nil : $0 } ?? ownNamespace
    return .named(name: name, namespace: ns)
  }

  /// The traffic type assumed for a waypoint whose Gateway is not in the input, by the kind of
  /// resource the label is on. The docs are silent on a missing Gateway (Istio itself then uses
  /// no waypoint until the Gateway is ready); kubereach keeps the reading it had before it read
  /// Gateways, and warns (`waypointDiagnostics`):
  /// - on a Service, service traffic (a Service label only concerns Service-addressed traffic);
  /// - on a pod, workload traffic (a pod label only concerns traffic addressed to the pod, and
  ///   the docs pair it with `--for workload`);
  /// - on a namespace, both (the label enrols the namespace's Services and pods alike).
  public static func assumedTrafficType(enrolledBy: WaypointEnrolment) -> WaypointTrafficType {
    switch enrolledBy {
    case .service: return .service
    case .pod: return .workload
    case .namespace: return .all
    }
  }

  /// The waypoint named by a label, resolved against the input's Gateways.
  static func route(
    name: String, namespace: String, enrolledBy: WaypointEnrolment, resourceNamespace: String,
    gateways: WaypointIndex
  ) -> WaypointRoute {
    let gateway = gateways.lookup(namespace: namespace, name: name)
    return WaypointRoute(
      name: name, namespace: namespace, enrolledBy: enrolledBy, gateway: gateway,
      trafficType: gateway.map { gateways.cluster.waypoints[$0].trafficType }
        ?? assumedTrafficType(enrolledBy: enrolledBy),
      attached: gateway.map { gateways.allowsAttachment($0, from: resourceNamespace) } ?? true)
  }

  /// The waypoint a resource (a pod or a Service, with its labels and namespace) is enrolled in:
  /// its own `istio.io/use-waypoint`, else its namespace's; `none` on the resource opts out. The
  /// resource's own label wins over the namespace's even when its waypoint does not handle the
  /// traffic in question: then there is no waypoint, with no fallback to the namespace's
  /// (istio/istio pilot/pkg/serviceregistry/kube/controller/ambient/waypoints.go,
  /// `fetchWaypointForTarget` then `fetchWaypointForWorkload` / `fetchWaypointForService`; the
  /// troubleshooting page: "if your reviews v2 pod uses a waypoint that can only process service
  /// traffic, you will not see any waypoint used by that pod"). The route is returned either way,
  /// so that reasons can say why it is not used; callers check `trafficType`.
  static func enrolment(
    labels: [String: String], namespace own: String, enrolledBy: WaypointEnrolment,
    namespaceLabels ns: [String: String], gateways: WaypointIndex
  ) -> WaypointRoute? {
    switch useWaypoint(labels, ownNamespace: own) {
    case .optOut: return nil
    case .named(let name, let namespace):
      return route(
        name: name, namespace: namespace, enrolledBy: enrolledBy, resourceNamespace: own, gateways: gateways)
    case .absent:
      guard case .named(let name, let namespace) = useWaypoint(ns, ownNamespace: own) else { return nil }
      return route(
        name: name, namespace: namespace, enrolledBy: .namespace, resourceNamespace: own, gateways: gateways)
    }
  }

  /// The waypoint that traffic addressed to the pod's IP (workload traffic) would use; it is
  /// used when `handlesWorkload`.
  static func workloadRoute(of pod: Pod, namespaceLabels ns: [String: String], gateways: WaypointIndex)
    -> WaypointRoute?
  {
    enrolment(labels: pod.labels, namespace: pod.namespace, enrolledBy: .pod, namespaceLabels: ns, gateways: gateways)
  }

  /// The waypoint that traffic addressed to a Service would use; it is used when
  /// `handlesService`.
  static func serviceRoute(of service: Service, namespaceLabels ns: [String: String], gateways: WaypointIndex)
    -> WaypointRoute?
  {
    enrolment(
      labels: service.labels, namespace: service.namespace, enrolledBy: .service, namespaceLabels: ns,
      gateways: gateways)
  }

  /// One warning per `istio.io/use-waypoint` label (on a namespace, a Service, or the pods of a
  /// workload) naming a waypoint whose Gateway is not in the input, saying which traffic type
  /// is assumed in its place. Never a silent guess.
  public static func waypointDiagnostics(in cluster: Cluster) -> [Diagnostic] {
    let gateways = WaypointIndex(cluster: cluster)
    var out: [Diagnostic] = []
    func check(_ labels: [String: String], own: String, enrolledBy: WaypointEnrolment, what: String, at: SourceLocation)
    {
      guard case .named(let name, let namespace) = useWaypoint(labels, ownNamespace: own),
        gateways.lookup(namespace: namespace, name: name) == nil
      else { return }
      let assumed = assumedTrafficType(enrolledBy: enrolledBy)
      out.append(
        .warning(
          .waypointNotFound,
          "\(what) is labelled \(IstioLabel.useWaypoint)=\(name) but no Gateway \(namespace)/\(name) of class "
            + "\(IstioLabel.waypointClass) is in the input; assuming it handles \(assumed.phrase) "
            + "(\(IstioLabel.waypointFor)=\(assumed.rawValue)); add the Gateway for an exact reading",
          at: at))
    }
    for ns in cluster.namespaces {
      check(ns.labels, own: ns.name, enrolledBy: .namespace, what: "namespace '\(ns.name)'", at: ns.location)
    }
    for s in cluster.services {
      check(
        s.labels, own: s.namespace, enrolledBy: .service, what: "Service '\(s.namespace)/\(s.name)'", at: s.location)
    }
    var seen = Set<Int>()
    for pod in cluster.pods where pod.labels[IstioLabel.useWaypoint] != nil {
      // Pods of one workload share their labels and location: one warning for the workload.
      guard seen.insert(pod.workload).inserted || !cluster.workloads.indices.contains(pod.workload) else { continue }
      let what =
        cluster.workloads.indices.contains(pod.workload)
        ? "\(cluster.workloads[pod.workload].kind.rawValue) '\(pod.namespace)/\(cluster.workloads[pod.workload].name)'"
        : "pod '\(pod.namespace)/\(pod.name)'"
      check(pod.labels, own: pod.namespace, enrolledBy: .pod, what: what, at: pod.location)
    }
    return out
  }

  /// The SPIFFE-style principal of a service account: `cluster.local/ns/<ns>/sa/<sa>`.
  public static func principal(namespace: String, serviceAccount: String) -> String {
    "cluster.local/ns/\(namespace)/sa/\(serviceAccount)"
  }

  /// Whether the cluster gives the mesh anything to read: an Istio object, an injection or
  /// ambient label, or an injected pod.
  public static func isPresent(in cluster: Cluster) -> Bool {
    if !cluster.peerAuthentications.isEmpty || !cluster.destinationRules.isEmpty
      || !cluster.authorizationPolicies.isEmpty || !cluster.waypoints.isEmpty
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

/// The kind of resource whose `istio.io/use-waypoint` label enrols traffic in a waypoint.
public enum WaypointEnrolment: String, Hashable, Sendable {
  case pod
  case service = "Service"
  case namespace
}

/// A waypoint a `istio.io/use-waypoint` label names, resolved against the input's Gateways.
public struct WaypointRoute: Hashable, Sendable {
  public var name: String
  /// The waypoint's namespace (`istio.io/use-waypoint-namespace`, else the resource's own).
  public var namespace: String
  public var enrolledBy: WaypointEnrolment
  /// Index into `Cluster.waypoints`; nil when the Gateway is not in the input.
  public var gateway: Int?
  /// The Gateway's `istio.io/waypoint-for`, or the assumed type when the Gateway is missing.
  public var trafficType: WaypointTrafficType
  /// Whether the Gateway accepts resources of the labelled resource's namespace (its HBONE
  /// listener's `allowedRoutes`); Istio uses no waypoint otherwise. True when it is missing.
  public var attached: Bool

  /// The waypoint is used for traffic addressed to a pod's IP.
  public var handlesWorkload: Bool { attached && trafficType.handlesWorkload }
  /// The waypoint is used for traffic addressed to a Service.
  public var handlesService: Bool { attached && trafficType.handlesService }

  public var qualifiedName: String { "\(namespace)/\(name)" }
}

/// The input's waypoint Gateways by namespace and name.
struct WaypointIndex {
  let cluster: Cluster
  let byName: [String: Int]

  let namespaceLabels: [String: [String: String]]

  /// Whether waypoint `index` accepts resources of namespace `name`.
  func allowsAttachment(_ index: Int, from name: String) -> Bool {
    cluster.waypoints[index].allowsAttachment(
      fromNamespace: name, labels: namespaceLabels[name] ?? [namespaceNameLabel: name])
  }

  init(cluster: Cluster) {
    self.cluster = cluster
    self.namespaceLabels = cluster.namespaceLabelsByName()
    var byName: [String: Int] = [:]
    for (i, w) in cluster.waypoints.enumerated() where byName["\(w.namespace)/\(w.name)"] == nil {
      byName["\(w.namespace)/\(w.name)"] = i
    }
    self.byName = byName
  }

  func lookup(namespace: String, name: String) -> Int? { byName["\(namespace)/\(name)"] }
}
