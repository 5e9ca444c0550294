/// An Istio mutual-TLS mode of PeerAuthentication.
public enum MutualTLSMode: String, Hashable, Sendable {
  case unset = "UNSET"
  case disable = "DISABLE"
  case permissive = "PERMISSIVE"
  case strict = "STRICT"
}

/// Istio PeerAuthentication (security.istio.io v1/v1beta1).
public struct PeerAuthentication: Hashable, Sendable {
  public var namespace: String
  public var name: String
  /// nil: namespace-wide (or mesh-wide in the root namespace).
  public var selector: [String: String]?
  /// `spec.mtls.mode`; nil when `spec.mtls` (or its mode) is absent, which Istio reads as UNSET.
  public var mode: MutualTLSMode?
  /// `spec.portLevelMtls`: target port to mode (nil: the entry has no mode).
  public var portModes: [Int: MutualTLSMode?]
  /// `metadata.creationTimestamp` as written (RFC 3339), for the oldest-wins rule.
  public var creationTimestamp: String?
  public var location: SourceLocation

  public init(
    namespace: String, name: String, selector: [String: String]?, mode: MutualTLSMode?,
    portModes: [Int: MutualTLSMode?] = [:], creationTimestamp: String? = nil,
    location: SourceLocation
  ) {
    self.namespace = namespace
    self.name = name
    self.selector = selector
    self.mode = mode
    self.portModes = portModes
    self.creationTimestamp = creationTimestamp
    self.location = location
  }

  /// The mode, with an absent one read as UNSET.
  public var effectiveMode: MutualTLSMode { mode ?? .unset }
}

/// A client-side TLS mode of an Istio DestinationRule.
public enum ClientTLSMode: String, Hashable, Sendable {
  case disable = "DISABLE"
  case simple = "SIMPLE"
  case mutual = "MUTUAL"
  case istioMutual = "ISTIO_MUTUAL"
}

/// Istio DestinationRule: the TLS the client side uses towards a host.
public struct DestinationRule: Hashable, Sendable {
  public var namespace: String
  public var name: String
  public var host: String
  /// `spec.trafficPolicy.tls.mode`.
  public var tlsMode: ClientTLSMode?
  /// `spec.trafficPolicy.portLevelSettings[]`: port number to its `tls.mode` (nil: no tls).
  public var portTLSModes: [Int: ClientTLSMode?]
  public var creationTimestamp: String?
  public var location: SourceLocation

  public init(
    namespace: String, name: String, host: String, tlsMode: ClientTLSMode?,
    portTLSModes: [Int: ClientTLSMode?] = [:], creationTimestamp: String? = nil,
    location: SourceLocation
  ) {
    self.namespace = namespace
    self.name = name
    self.host = host
    self.tlsMode = tlsMode
    self.portTLSModes = portTLSModes
    self.creationTimestamp = creationTimestamp
    self.location = location
  }
}

/// The action of an Istio AuthorizationPolicy.
public enum AuthorizationAction: String, Hashable, Sendable {
  case allow = "ALLOW"
  case deny = "DENY"
  case audit = "AUDIT"
  case custom = "CUSTOM"
}

/// One `from` source of an AuthorizationPolicy rule; nil lists are absent fields.
public struct AuthorizationSource: Hashable, Sendable {
  public var principals: [String]?
  public var notPrincipals: [String]?
  public var requestPrincipals: [String]?
  public var notRequestPrincipals: [String]?
  public var namespaces: [String]?
  public var notNamespaces: [String]?
  public var ipBlocks: [String]?
  public var notIpBlocks: [String]?
  public var remoteIpBlocks: [String]?
  public var notRemoteIpBlocks: [String]?
  /// Kubernetes service accounts as `namespace/name` (a bare name in the manifest is read in
  /// the policy's namespace; the identity's trust domain is not compared); like principals,
  /// they need an mTLS identity.
  public var serviceAccounts: [String]?
  public var notServiceAccounts: [String]?
  /// Trust domains of the identity (patterns); they need an mTLS identity.
  public var trustDomains: [String]?
  public var notTrustDomains: [String]?

  public init(
    principals: [String]? = nil, notPrincipals: [String]? = nil, requestPrincipals: [String]? = nil,
    notRequestPrincipals: [String]? = nil, namespaces: [String]? = nil,
    notNamespaces: [String]? = nil, ipBlocks: [String]? = nil, notIpBlocks: [String]? = nil,
    remoteIpBlocks: [String]? = nil, notRemoteIpBlocks: [String]? = nil,
    serviceAccounts: [String]? = nil, notServiceAccounts: [String]? = nil,
    trustDomains: [String]? = nil, notTrustDomains: [String]? = nil
  ) {
    self.serviceAccounts = serviceAccounts
    self.notServiceAccounts = notServiceAccounts
    self.trustDomains = trustDomains
    self.notTrustDomains = notTrustDomains
    self.principals = principals
    self.notPrincipals = notPrincipals
    self.requestPrincipals = requestPrincipals
    self.notRequestPrincipals = notRequestPrincipals
    self.namespaces = namespaces
    self.notNamespaces = notNamespaces
    self.ipBlocks = ipBlocks
    self.notIpBlocks = notIpBlocks
    self.remoteIpBlocks = remoteIpBlocks
    self.notRemoteIpBlocks = notRemoteIpBlocks
  }

  /// The principals a list of `namespace/name` service accounts stands for in this cluster's
  /// trust domain (`cluster.local/ns/<namespace>/sa/<name>`).
  public static func principals(ofServiceAccounts list: [String]?) -> [String]? {
    list.map { entries in
      entries.map { entry in
        let parts = entry.split(separator: "/", maxSplits: 1)
        return parts.count == 2 ? "cluster.local/ns/\(parts[0])/sa/\(parts[1])" : entry
      }
    }
  }

  /// HTTP-only fields (request principals, and remote IP blocks, which come from HTTP headers
  /// such as X-Forwarded-For) are present.
  public var usesHTTPFields: Bool {
    requestPrincipals != nil || notRequestPrincipals != nil || remoteIpBlocks != nil
      || notRemoteIpBlocks != nil
  }
}

/// One `to` operation of an AuthorizationPolicy rule; nil lists are absent fields.
public struct AuthorizationOperation: Hashable, Sendable {
  public var hosts: [String]?
  public var notHosts: [String]?
  public var ports: [String]?
  public var notPorts: [String]?
  public var methods: [String]?
  public var notMethods: [String]?
  public var paths: [String]?
  public var notPaths: [String]?

  public init(
    hosts: [String]? = nil, notHosts: [String]? = nil, ports: [String]? = nil,
    notPorts: [String]? = nil, methods: [String]? = nil, notMethods: [String]? = nil,
    paths: [String]? = nil, notPaths: [String]? = nil
  ) {
    self.hosts = hosts
    self.notHosts = notHosts
    self.ports = ports
    self.notPorts = notPorts
    self.methods = methods
    self.notMethods = notMethods
    self.paths = paths
    self.notPaths = notPaths
  }

  /// HTTP-only fields (hosts, methods, paths) are present.
  public var usesHTTPFields: Bool {
    hosts != nil || notHosts != nil || methods != nil || notMethods != nil || paths != nil
      || notPaths != nil
  }
}

/// One `when` condition of an AuthorizationPolicy rule.
public struct AuthorizationCondition: Hashable, Sendable {
  public var key: String
  public var values: [String]?
  public var notValues: [String]?

  public init(key: String, values: [String]? = nil, notValues: [String]? = nil) {
    self.key = key
    self.values = values
    self.notValues = notValues
  }

  /// The condition keys known at L4 (the rest are HTTP-only, or unknown).
  public static let layer4Keys: Set<String> = [
    "source.principal", "source.namespace", "source.ip", "destination.port",
  ]

  /// Whether the key is one of `layer4Keys`.
  public var isLayer4: Bool { Self.layer4Keys.contains(key) }
}

/// One rule of an AuthorizationPolicy.
public struct AuthorizationRule: Hashable, Sendable {
  public var from: [AuthorizationSource]
  public var to: [AuthorizationOperation]
  public var when: [AuthorizationCondition]

  public init(
    from: [AuthorizationSource] = [], to: [AuthorizationOperation] = [],
    when: [AuthorizationCondition] = []
  ) {
    self.from = from
    self.to = to
    self.when = when
  }

  /// `when` conditions are present.
  public var hasConditions: Bool { !when.isEmpty }

  /// Some part of the rule is HTTP-only.
  public var usesHTTPFields: Bool {
    from.contains(where: \.usesHTTPFields) || to.contains(where: \.usesHTTPFields)
      || when.contains { !$0.isLayer4 }
  }
}

/// A `targetRefs` entry of an AuthorizationPolicy (Gateway API PolicyTargetReference).
public struct PolicyTargetReference: Hashable, Sendable {
  public var group: String
  public var kind: String
  public var name: String
  /// Only for `targetRef` of older policies; targets live in the policy's namespace.
  public var namespace: String?

  public init(group: String = "", kind: String, name: String, namespace: String? = nil) {
    self.group = group
    self.kind = kind
    self.name = name
    self.namespace = namespace
  }
}

/// Istio AuthorizationPolicy (security.istio.io v1/v1beta1).
public struct AuthorizationPolicy: Hashable, Sendable {
  public var namespace: String
  public var name: String
  public var selector: [String: String]?
  /// `spec.targetRefs` (and the older single `spec.targetRef`).
  public var targetRefs: [PolicyTargetReference]
  public var action: AuthorizationAction
  /// `spec.provider.name` of a CUSTOM policy.
  public var provider: String?
  /// nil: the `rules` field is absent.
  public var rules: [AuthorizationRule]?
  public var creationTimestamp: String?
  public var location: SourceLocation

  public init(
    namespace: String, name: String, selector: [String: String]?,
    targetRefs: [PolicyTargetReference] = [], action: AuthorizationAction,
    provider: String? = nil, rules: [AuthorizationRule]?, creationTimestamp: String? = nil,
    location: SourceLocation
  ) {
    self.namespace = namespace
    self.name = name
    self.selector = selector
    self.targetRefs = targetRefs
    self.action = action
    self.provider = provider
    self.rules = rules
    self.creationTimestamp = creationTimestamp
    self.location = location
  }
}

/// Well-known Istio labels and annotations.
public enum IstioLabel {
  public static let injection = "istio-injection"
  public static let revision = "istio.io/rev"
  public static let inject = "sidecar.istio.io/inject"
  public static let status = "sidecar.istio.io/status"
  public static let dataplaneMode = "istio.io/dataplane-mode"
  public static let useWaypoint = "istio.io/use-waypoint"
  /// The namespace of the waypoint `istio.io/use-waypoint` names, when not the labelled
  /// resource's own.
  public static let useWaypointNamespace = "istio.io/use-waypoint-namespace"
  /// On a waypoint Gateway: the traffic it handles (`service`, `workload`, `all`, `none`).
  public static let waypointFor = "istio.io/waypoint-for"
  /// The `gatewayClassName` of Istio waypoints.
  public static let waypointClass = "istio-waypoint"
  public static let proxyContainer = "istio-proxy"
}

/// The traffic a waypoint handles (`istio.io/waypoint-for` on its Gateway): traffic addressed to
/// a Service, traffic addressed to a pod's IP (a workload), both, or none. Istio's default, when
/// the label is absent, is `service` (istio.io ambient/usage/waypoint, "Waypoint traffic types").
public enum WaypointTrafficType: String, Hashable, Sendable, CaseIterable {
  case service
  case workload
  case all
  case none

  /// Handles traffic addressed to a Service (its name or VIP).
  public var handlesService: Bool { self == .service || self == .all }
  /// Handles traffic addressed to a pod's IP.
  public var handlesWorkload: Bool { self == .workload || self == .all }

  /// How reasons say it: "service traffic only", "workload traffic only", ...
  public var phrase: String {
    switch self {
    case .service: return "service traffic only"
    case .workload: return "workload (pod-addressed) traffic only"
    case .all: return "service and workload traffic"
    case .none: return "no traffic"
    }
  }
}

/// An Istio waypoint: a Gateway API `Gateway` (gateway.networking.k8s.io) with
/// `gatewayClassName: istio-waypoint`.
public struct WaypointGateway: Hashable, Sendable {
  public var namespace: String
  public var name: String
  public var gatewayClassName: String
  /// `istio.io/waypoint-for` as written (nil: absent, which Istio reads as `service`).
  public var waypointFor: String?
  /// The traffic it handles (the label read; `service` when absent or not a known value).
  public var trafficType: WaypointTrafficType
  /// The namespaces whose resources may use it: `allowedRoutes.namespaces` of its HBONE listener
  /// (port 15008), `Same` when absent.
  public var allowedNamespaces: WaypointAttachment
  public var location: SourceLocation

  public init(
    namespace: String, name: String, gatewayClassName: String = IstioLabel.waypointClass, waypointFor: String?,
    allowedNamespaces: WaypointAttachment = .same, location: SourceLocation
  ) {
    self.namespace = namespace
    self.name = name
    self.gatewayClassName = gatewayClassName
    self.waypointFor = waypointFor
    self.trafficType = waypointFor.flatMap(WaypointTrafficType.init(rawValue:)) ?? .service
    self.allowedNamespaces = allowedNamespaces
    self.location = location
  }

  /// Whether a resource of the namespace `name` (with its labels) may use the waypoint.
  public func allowsAttachment(fromNamespace name: String, labels: [String: String]) -> Bool {
    switch allowedNamespaces {
    case .same: return name == namespace
    case .all: return true
    case .selector(let selector): return selector.matches(labels)
    }
  }
}

/// `allowedRoutes.namespaces` of a waypoint's HBONE listener: which namespaces' resources may be
/// enrolled in it (Gateway API; istio/istio ambient waypoints.go, `AllowsAttachmentFromNamespace`).
public enum WaypointAttachment: Hashable, Sendable {
  /// `from: Same` (the default): only the waypoint's own namespace.
  case same
  /// `from: All`.
  case all
  /// `from: Selector` with the namespace selector.
  case selector(LabelSelector)
}
