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
  public var mode: MutualTLSMode
  public var portModes: [Int: MutualTLSMode]
  public var location: SourceLocation

  public init(
    namespace: String, name: String, selector: [String: String]?, mode: MutualTLSMode,
    portModes: [Int: MutualTLSMode] = [:], location: SourceLocation
  ) {
    self.namespace = namespace
    self.name = name
    self.selector = selector
    self.mode = mode
    self.portModes = portModes
    self.location = location
  }
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
  public var tlsMode: ClientTLSMode?
  public var portTLSModes: [Int: ClientTLSMode]
  public var location: SourceLocation

  public init(
    namespace: String, name: String, host: String, tlsMode: ClientTLSMode?,
    portTLSModes: [Int: ClientTLSMode] = [:], location: SourceLocation
  ) {
    self.namespace = namespace
    self.name = name
    self.host = host
    self.tlsMode = tlsMode
    self.portTLSModes = portTLSModes
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

/// One `from` source of an AuthorizationPolicy rule.
public struct AuthorizationSource: Hashable, Sendable {
  public var principals: [String]?
  public var notPrincipals: [String]?
  public var namespaces: [String]?
  public var notNamespaces: [String]?
  public var ipBlocks: [String]?
  public var notIpBlocks: [String]?
  /// HTTP-only fields such as requestPrincipals are present.
  public var usesHTTPFields: Bool

  public init(
    principals: [String]? = nil, notPrincipals: [String]? = nil, namespaces: [String]? = nil,
    notNamespaces: [String]? = nil, ipBlocks: [String]? = nil, notIpBlocks: [String]? = nil,
    usesHTTPFields: Bool = false
  ) {
    self.principals = principals
    self.notPrincipals = notPrincipals
    self.namespaces = namespaces
    self.notNamespaces = notNamespaces
    self.ipBlocks = ipBlocks
    self.notIpBlocks = notIpBlocks
    self.usesHTTPFields = usesHTTPFields
  }
}

/// One `to` operation of an AuthorizationPolicy rule.
public struct AuthorizationOperation: Hashable, Sendable {
  public var ports: [String]?
  public var notPorts: [String]?
  /// HTTP-only fields (methods, paths, hosts) are present.
  public var usesHTTPFields: Bool

  public init(ports: [String]? = nil, notPorts: [String]? = nil, usesHTTPFields: Bool = false) {
    self.ports = ports
    self.notPorts = notPorts
    self.usesHTTPFields = usesHTTPFields
  }
}

/// One rule of an AuthorizationPolicy.
public struct AuthorizationRule: Hashable, Sendable {
  public var from: [AuthorizationSource]
  public var to: [AuthorizationOperation]
  /// `when` conditions are present (evaluated as HTTP-dependent unless purely L4).
  public var hasConditions: Bool

  public init(from: [AuthorizationSource] = [], to: [AuthorizationOperation] = [], hasConditions: Bool = false) {
    self.from = from
    self.to = to
    self.hasConditions = hasConditions
  }
}

/// Istio AuthorizationPolicy (security.istio.io v1/v1beta1).
public struct AuthorizationPolicy: Hashable, Sendable {
  public var namespace: String
  public var name: String
  public var selector: [String: String]?
  public var action: AuthorizationAction
  /// nil: the `rules` field is absent.
  public var rules: [AuthorizationRule]?
  public var location: SourceLocation

  public init(
    namespace: String, name: String, selector: [String: String]?, action: AuthorizationAction,
    rules: [AuthorizationRule]?, location: SourceLocation
  ) {
    self.namespace = namespace
    self.name = name
    self.selector = selector
    self.action = action
    self.rules = rules
    self.location = location
  }
}
