/// A `ports` entry of a NetworkPolicy rule.
public struct NetworkPolicyPort: Hashable, Sendable {
  public var `protocol`: TransportProtocol
  /// nil: every port of the protocol.
  public var port: PortValue?
  /// With a numeric `port`, the inclusive upper end of the range.
  public var endPort: Int?

  public init(protocol: TransportProtocol = .tcp, port: PortValue? = nil, endPort: Int? = nil) {
    self.protocol = `protocol`
    self.port = port
    self.endPort = endPort
  }
}

/// An `ipBlock`: a CIDR with carved-out exceptions.
public struct IPBlock: Hashable, Sendable {
  public var cidr: CIDR
  public var except: [CIDR]

  public init(cidr: CIDR, except: [CIDR] = []) {
    self.cidr = cidr
    self.except = except
  }
}

/// One `from`/`to` entry of a NetworkPolicy rule.
public enum NetworkPolicyPeer: Hashable, Sendable {
  /// `podSelector` and/or `namespaceSelector`. A nil namespace selector means the policy's own
  /// namespace; a nil pod selector means every pod of the selected namespaces.
  case selector(pods: LabelSelector?, namespaces: LabelSelector?)
  case ipBlock(IPBlock)
}

/// One ingress or egress rule. Empty `peers` means every peer; empty `ports` every port.
public struct NetworkPolicyRule: Hashable, Sendable {
  public var peers: [NetworkPolicyPeer]
  public var ports: [NetworkPolicyPort]
  public var location: SourceLocation

  public init(peers: [NetworkPolicyPeer] = [], ports: [NetworkPolicyPort] = [], location: SourceLocation) {
    self.peers = peers
    self.ports = ports
    self.location = location
  }
}

/// A NetworkPolicy (networking.k8s.io/v1), with `policyTypes` already resolved.
public struct NetworkPolicy: Hashable, Sendable {
  public var namespace: String
  public var name: String
  public var podSelector: LabelSelector
  public var ingress: [NetworkPolicyRule]
  public var egress: [NetworkPolicyRule]
  /// The policy isolates its pods for ingress (policyTypes has Ingress, or defaulted).
  public var isolatesIngress: Bool
  /// The policy isolates its pods for egress.
  public var isolatesEgress: Bool
  public var location: SourceLocation

  public init(
    namespace: String, name: String, podSelector: LabelSelector = .everything,
    ingress: [NetworkPolicyRule] = [], egress: [NetworkPolicyRule] = [],
    isolatesIngress: Bool = true, isolatesEgress: Bool = false, location: SourceLocation
  ) {
    self.namespace = namespace
    self.name = name
    self.podSelector = podSelector
    self.ingress = ingress
    self.egress = egress
    self.isolatesIngress = isolatesIngress
    self.isolatesEgress = isolatesEgress
    self.location = location
  }

  /// The `policyTypes` default: Ingress always, Egress only with a non-empty egress section.
  public static func defaultPolicyTypes(egressRuleCount: Int) -> (ingress: Bool, egress: Bool) {
    (true, egressRuleCount > 0)
  }
}

/// The action of an (Baseline)AdminNetworkPolicy rule.
public enum AdminPolicyAction: String, Hashable, Sendable {
  case allow = "Allow"
  case deny = "Deny"
  case pass = "Pass"
}

/// Pods chosen by an admin policy: all pods of some namespaces, or some pods of some namespaces.
public enum AdminPodSet: Hashable, Sendable {
  case namespaces(LabelSelector)
  case pods(namespaces: LabelSelector, pods: LabelSelector)
}

/// A peer of an admin policy rule.
public enum AdminPolicyPeer: Hashable, Sendable {
  case pods(AdminPodSet)
  /// Egress only: external address blocks.
  case networks([CIDR])
  /// Egress only: nodes by label (the model has no nodes; such peers match no pod).
  case nodes(LabelSelector)
}

/// A port of an admin policy rule.
public enum AdminPolicyPort: Hashable, Sendable {
  case number(TransportProtocol, Int)
  case named(String)
  case range(TransportProtocol, Int, Int)
}

extension AdminPolicyPort {
  /// Whether this port entry admits `port` of `transport`. A named port matches when the
  /// destination pod declares that name with that protocol on that port (`destinationPorts`
  /// nil: the destination is not a pod, so a named port matches nothing).
  public func admits(_ transport: TransportProtocol, _ port: Int, destinationPorts: [ContainerPort]?) -> Bool {
    switch self {
    case .number(let p, let n): return p == transport && n == port
    case .range(let p, let a, let b): return p == transport && a <= port && port <= b
    case .named(let name):
      return destinationPorts?.contains { $0.name == name && $0.protocol == transport && $0.port == port } ?? false
    }
  }
}

/// One rule of an (B)ANP. A nil `ports` means every port.
public struct AdminPolicyRule: Hashable, Sendable {
  public var name: String
  public var action: AdminPolicyAction
  public var peers: [AdminPolicyPeer]
  public var ports: [AdminPolicyPort]?
  public var location: SourceLocation

  public init(
    name: String, action: AdminPolicyAction, peers: [AdminPolicyPeer], ports: [AdminPolicyPort]? = nil,
    location: SourceLocation
  ) {
    self.name = name
    self.action = action
    self.peers = peers
    self.ports = ports
    self.location = location
  }
}

/// An AdminNetworkPolicy, or (with `isBaseline`) the BaselineAdminNetworkPolicy.
public struct AdminNetworkPolicy: Hashable, Sendable {
  public var name: String
  /// 0...1000, lower first; unused for the baseline.
  public var priority: Int
  public var isBaseline: Bool
  public var subject: AdminPodSet
  public var ingress: [AdminPolicyRule]
  public var egress: [AdminPolicyRule]
  public var location: SourceLocation

  public init(
    name: String, priority: Int = 0, isBaseline: Bool = false, subject: AdminPodSet,
    ingress: [AdminPolicyRule] = [], egress: [AdminPolicyRule] = [], location: SourceLocation
  ) {
    self.name = name
    self.priority = priority
    self.isBaseline = isBaseline
    self.subject = subject
    self.ingress = ingress
    self.egress = egress
    self.location = location
  }

  /// `AdminNetworkPolicy` or `BaselineAdminNetworkPolicy`.
  public var kindName: String { isBaseline ? "BaselineAdminNetworkPolicy" : "AdminNetworkPolicy" }
}
