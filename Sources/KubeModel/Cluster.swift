/// A namespace and its labels (always including `kubernetes.io/metadata.name`).
public struct Namespace: Hashable, Sendable {
  public var name: String
  public var labels: [String: String]
  /// False when the namespace was only referenced, not declared in the input.
  public var declared: Bool
  public var location: SourceLocation

  public init(name: String, labels: [String: String] = [:], declared: Bool = true, location: SourceLocation) {
    self.name = name
    var labels = labels
    labels[namespaceNameLabel] = name
    self.labels = labels
    self.declared = declared
    self.location = location
  }
}

/// A port a container declares.
public struct ContainerPort: Hashable, Sendable {
  public var name: String?
  public var port: Int
  public var `protocol`: TransportProtocol

  public init(name: String? = nil, port: Int, protocol: TransportProtocol = .tcp) {
    self.name = name
    self.port = port
    self.protocol = `protocol`
  }
}

/// The kinds of object that own pods, and `Pod` for a bare pod.
public enum WorkloadKind: String, Hashable, Comparable, Sendable, CaseIterable {
  case pod = "Pod"
  case deployment = "Deployment"
  case replicaSet = "ReplicaSet"
  case replicationController = "ReplicationController"
  case statefulSet = "StatefulSet"
  case daemonSet = "DaemonSet"
  case job = "Job"
  case cronJob = "CronJob"

  public static func < (lhs: WorkloadKind, rhs: WorkloadKind) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A reporting unit: a workload object, or a bare pod. Its pods are the model's `Pod`s whose
/// `workload` is this workload's index in `Cluster.workloads`.
public struct Workload: Hashable, Sendable {
  public var namespace: String
  public var name: String
  public var kind: WorkloadKind
  /// The pod template's labels (a bare pod's own labels).
  public var podLabels: [String: String]
  public var location: SourceLocation

  public init(
    namespace: String, name: String, kind: WorkloadKind, podLabels: [String: String], location: SourceLocation
  ) {
    self.namespace = namespace
    self.name = name
    self.kind = kind
    self.podLabels = podLabels
    self.location = location
  }

  /// `ns/name[Kind]`, the name netpol-analyzer gives a workload.
  public var displayName: String { "\(namespace)/\(name)[\(kind.rawValue)]" }
}

/// One pod: a bare pod, or one replica of a workload.
public struct Pod: Hashable, Sendable {
  public var namespace: String
  public var name: String
  public var labels: [String: String]
  /// `metadata.annotations` (the pod template's for workload replicas).
  public var annotations: [String: String]
  /// The names of `spec.containers` (an injected pod has `istio-proxy`).
  public var containers: [String]
  public var ports: [ContainerPort]
  public var serviceAccount: String
  public var hostNetwork: Bool
  /// `status.podIP` and `status.podIPs`, when the manifest has them.
  public var ips: [IPAddress]
  /// Index into `Cluster.workloads`.
  public var workload: Int
  public var location: SourceLocation

  public init(
    namespace: String, name: String, labels: [String: String], annotations: [String: String] = [:],
    containers: [String] = [], ports: [ContainerPort] = [],
    serviceAccount: String = "default", hostNetwork: Bool = false, ips: [IPAddress] = [],
    workload: Int, location: SourceLocation
  ) {
    self.namespace = namespace
    self.name = name
    self.labels = labels
    self.annotations = annotations
    self.containers = containers
    self.ports = ports
    self.serviceAccount = serviceAccount
    self.hostNetwork = hostNetwork
    self.ips = ips
    self.workload = workload
    self.location = location
  }
}

/// A port of a Service.
public struct ServicePort: Hashable, Sendable {
  public var name: String?
  public var port: Int
  /// Defaults to `port` when absent.
  public var targetPort: PortValue
  public var `protocol`: TransportProtocol
  public var nodePort: Int?
  public var appProtocol: String?

  public init(
    name: String? = nil, port: Int, targetPort: PortValue? = nil, protocol: TransportProtocol = .tcp,
    nodePort: Int? = nil, appProtocol: String? = nil
  ) {
    self.name = name
    self.port = port
    self.targetPort = targetPort ?? .number(port)
    self.protocol = `protocol`
    self.nodePort = nodePort
    self.appProtocol = appProtocol
  }
}

/// A Service: a selector over pods of its namespace and the ports it translates.
public struct Service: Hashable, Sendable {
  public enum ServiceType: String, Hashable, Sendable {
    case clusterIP = "ClusterIP"
    case nodePort = "NodePort"
    case loadBalancer = "LoadBalancer"
    case externalName = "ExternalName"
  }
  public var namespace: String
  public var name: String
  /// nil for a Service without a selector (its endpoints are managed by hand).
  public var selector: [String: String]?
  public var type: ServiceType
  public var ports: [ServicePort]
  public var externalTrafficPolicyLocal: Bool
  /// `metadata.labels` (the mesh reads `istio.io/use-waypoint`).
  public var labels: [String: String]
  public var location: SourceLocation

  public init(
    namespace: String, name: String, selector: [String: String]?, type: ServiceType = .clusterIP,
    ports: [ServicePort] = [], externalTrafficPolicyLocal: Bool = false, labels: [String: String] = [:],
    location: SourceLocation
  ) {
    self.labels = labels
    self.namespace = namespace
    self.name = name
    self.selector = selector
    self.type = type
    self.ports = ports
    self.externalTrafficPolicyLocal = externalTrafficPolicyLocal
    self.location = location
  }
}

/// A reference from an Ingress or Route to a Service port.
public struct ServiceBackend: Hashable, Sendable {
  public var service: String
  /// The Service port by number or name; nil means every port of the Service.
  public var port: PortValue?

  public init(service: String, port: PortValue?) {
    self.service = service
    self.port = port
  }
}

/// An Ingress (networking.k8s.io/v1) or an OpenShift Route: external traffic enters through
/// an ingress controller to these Service backends of its namespace.
public struct IngressRoute: Hashable, Sendable {
  public enum Kind: String, Hashable, Sendable {
    case ingress = "Ingress"
    case route = "Route"
  }
  public var kind: Kind
  public var namespace: String
  public var name: String
  public var backends: [ServiceBackend]
  public var location: SourceLocation

  public init(kind: Kind, namespace: String, name: String, backends: [ServiceBackend], location: SourceLocation) {
    self.kind = kind
    self.namespace = namespace
    self.name = name
    self.backends = backends
    self.location = location
  }
}

/// Everything the engine needs to know about a cluster, as plain values.
public struct Cluster: Sendable {
  public var namespaces: [Namespace] = []
  public var workloads: [Workload] = []
  public var pods: [Pod] = []
  public var services: [Service] = []
  public var ingresses: [IngressRoute] = []
  public var networkPolicies: [NetworkPolicy] = []
  public var adminNetworkPolicies: [AdminNetworkPolicy] = []
  public var baselineAdminNetworkPolicies: [AdminNetworkPolicy] = []
  public var peerAuthentications: [PeerAuthentication] = []
  public var destinationRules: [DestinationRule] = []
  public var authorizationPolicies: [AuthorizationPolicy] = []
  /// Istio waypoints (Gateways of class `istio-waypoint`), by namespace and name.
  public var waypoints: [WaypointGateway] = []

  public init() {}

  /// Labels of every namespace by name (each including `kubernetes.io/metadata.name`).
  public func namespaceLabelsByName() -> [String: [String: String]] {
    var labels: [String: [String: String]] = [:]
    for ns in namespaces {
      var l = ns.labels
      l[namespaceNameLabel] = ns.name
      labels[ns.name] = l
    }
    return labels
  }

  /// The indices of `adminNetworkPolicies` in evaluation order: ascending priority, then name,
  /// then input order. Upstream leaves the order of two policies with the same priority
  /// undefined (the loader warns `duplicate-priority`); this is the one order every reading uses.
  public var adminNetworkPolicyOrder: [Int] {
    adminNetworkPolicies.indices.sorted {
      let (a, b) = (adminNetworkPolicies[$0], adminNetworkPolicies[$1])
      return (a.priority, a.name, $0) < (b.priority, b.name, $1)
    }
  }

  /// AdminNetworkPolicies in evaluation order (`adminNetworkPolicyOrder`).
  public var adminNetworkPoliciesInPriorityOrder: [AdminNetworkPolicy] {
    adminNetworkPolicyOrder.map { adminNetworkPolicies[$0] }
  }

  /// The namespace of that name, if present.
  public func namespace(named name: String) -> Namespace? {
    namespaces.first { $0.name == name }
  }
}
