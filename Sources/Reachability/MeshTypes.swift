import KubeModel

/// How the mesh stage is set up (see SEMANTICS.md section 3).
public struct MeshOptions: Hashable, Sendable {
  /// nil: on when the input holds any Istio object, injection label or injected pod; false is
  /// `--no-mesh`, netpol-analyzer's reading.
  public var enabled: Bool?
  /// The Istio root namespace (`--mesh-root-namespace`).
  public var rootNamespace: String
  /// The injector injects pods of namespaces without an injection label
  /// (`--mesh-inject-by-default`, Istio's `enableNamespacesByDefault`).
  public var injectByDefault: Bool

  public init(enabled: Bool? = nil, rootNamespace: String = "istio-system", injectByDefault: Bool = false) {
    self.enabled = enabled
    self.rootNamespace = rootNamespace
    self.injectByDefault = injectByDefault
  }
}

/// How a pod takes part in the mesh.
public enum MeshDataplane: String, Hashable, Sendable, Comparable {
  /// Outside the mesh.
  case none
  /// An injected Envoy sidecar.
  case sidecar
  /// Ambient mode: ztunnel on the node (and a waypoint when the pod uses one).
  case ambient

  public static func < (lhs: MeshDataplane, rhs: MeshDataplane) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The transport of a flow that the L3/L4 tiers allow.
public enum MeshTransport: String, Hashable, Sendable, CaseIterable {
  /// Mutual TLS with mesh identities (sidecar mTLS or ambient HBONE).
  case mtls
  /// Plaintext between peers at least one of which is in the mesh.
  case plaintext
  /// Plaintext into a STRICT server: the connection is reset.
  case rejected
  /// Mesh mTLS towards a server that cannot take it (503).
  case failed
  /// Neither side is in the mesh (or the protocol is not TCP, which Istio does not capture).
  case none

  /// The text analyze prints in brackets.
  public var label: String {
    switch self {
    case .mtls: "mTLS"
    case .plaintext: "plaintext"
    case .rejected: "rejected"
    case .failed: "failed"
    case .none: "none"
    }
  }

  /// Whether the connection gets through the transport.
  public var passes: Bool { self != .rejected && self != .failed }
}

/// The AuthorizationPolicy outcome of a flow.
public enum MeshAuthorization: String, Hashable, Sendable, CaseIterable {
  case allowed
  case denied
  /// The outcome hinges on HTTP-only fields of a rule on an HTTP (or auto-detected) port.
  case dependsOnL7 = "depends-on-L7"
  /// No mesh proxy enforces policies for the destination (or the transport failed first).
  case notApplicable = "not-applicable"
}

/// An Istio object a mesh reason names.
public struct MeshObjectRef: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// `PeerAuthentication`, `DestinationRule` or `AuthorizationPolicy`.
  public var kind: String
  public var namespace: String
  public var name: String
  public var location: SourceLocation

  public init(kind: String, namespace: String, name: String, location: SourceLocation) {
    self.kind = kind
    self.namespace = namespace
    self.name = name
    self.location = location
  }

  /// `Kind ns/name`.
  public var description: String { "\(kind) \(namespace)/\(name)" }

  public static func < (lhs: MeshObjectRef, rhs: MeshObjectRef) -> Bool {
    (lhs.kind, lhs.namespace, lhs.name) < (rhs.kind, rhs.namespace, rhs.name)
  }
}

/// One reason of the mesh stage: a sentence, and the Istio object it comes from (if any).
public struct MeshReason: Hashable, Sendable {
  /// `transport` or `authorization`.
  public var part: String
  public var text: String
  public var object: MeshObjectRef?

  public init(part: String, text: String, object: MeshObjectRef? = nil) {
    self.part = part
    self.text = text
    self.object = object
  }
}

/// The mesh outcome of a part of a flow's connections.
public struct MeshPart: Hashable, Sendable {
  /// The connections (allowed by the L3/L4 tiers) this outcome covers.
  public var connections: ConnectionSet
  public var transport: MeshTransport
  public var authorization: MeshAuthorization
  /// Transport reasons, then authorization reasons.
  public var reasons: [MeshReason]

  public init(
    connections: ConnectionSet, transport: MeshTransport, authorization: MeshAuthorization,
    reasons: [MeshReason]
  ) {
    self.connections = connections
    self.transport = transport
    self.authorization = authorization
    self.reasons = reasons
  }

  /// The final verdict of these connections: transport neither rejected nor failed, and
  /// authorization allowed (or not applicable).
  public var allowed: Bool {
    transport.passes && (authorization == .allowed || authorization == .notApplicable)
  }

  /// Whether the mesh has nothing to say (neither side in the mesh).
  public var isUntouched: Bool { transport == .none && authorization == .notApplicable }

  /// The reason that denies, in a few words, for `[denied by mesh: ...]`: for transport the first
  /// transport reason naming an object; for authorization the last one (the policy that decided:
  /// the authorization walk stops at it, after the reasons that say which waypoint the flow takes).
  public var denialSummary: String {
    let part = transport.passes ? "authorization" : "transport"
    let named = { (r: MeshReason) in r.part == part && r.object != nil }
    let reason =
      (transport.passes ? reasons.last(where: named) : reasons.first(where: named))
      ?? reasons.first { $0.part == part }
    let what = transport.passes ? "denied" : transport.rawValue
    guard let reason else { return what }
    return reason.object.map { "\(what) by \($0)" } ?? "\(what): \(reason.text)"
  }

  /// The bracketed annotation analyze prints after the connections (empty when untouched).
  public var annotation: String {
    if isUntouched { return "" }
    if !transport.passes || authorization == .denied { return "[denied by mesh: \(denialSummary)]" }
    if authorization == .dependsOnL7 { return "[\(transport.label), depends-on-L7]" }
    return "[\(transport.label)]"
  }
}

/// The mesh verdict of one flow: its connections split by outcome.
public struct MeshVerdict: Hashable, Sendable, CustomStringConvertible {
  /// Parts sorted by their first protocol and port.
  public var parts: [MeshPart]

  public init(parts: [MeshPart]) { self.parts = parts }

  /// Whether no part involves the mesh.
  public var isUntouched: Bool { parts.allSatisfy(\.isUntouched) }

  /// The connections finally allowed (L3/L4, transport and authorization).
  public var allowed: ConnectionSet {
    parts.filter(\.allowed).reduce(ConnectionSet.none) { $0.union($1.connections) }
  }

  /// `TCP 80 [mTLS],TCP 8080 [plaintext]`: per protocol (by name) and port, the ranges with
  /// their annotation; neighbouring ranges of one protocol with the same annotation share it.
  public var description: String {
    var items: [(proto: TransportProtocol, range: PortRange, annotation: String)] = []
    var named: [String] = []
    for part in parts {
      let a = part.annotation
      for (proto, ranges) in part.connections.ranges {
        for r in ranges { items.append((proto, r, a)) }
      }
      for (proto, names) in part.connections.namedPorts {
        named.append("\(proto.rawValue) \(names.sorted().joined(separator: ","))")
      }
    }
    if items.isEmpty && named.isEmpty { return "No Connections" }
    items.sort { ($0.proto, $0.range) < ($1.proto, $1.range) }
    var segments: [String] = []
    var i = 0
    while i < items.count {
      var j = i
      var ranges: [String] = []
      while j < items.count && items[j].proto == items[i].proto && items[j].annotation == items[i].annotation {
        ranges.append(items[j].range.description)
        j += 1
      }
      let text = "\(items[i].proto.rawValue) \(ranges.joined(separator: ","))"
      segments.append(items[i].annotation.isEmpty ? text : "\(text) \(items[i].annotation)")
      i = j
    }
    return (segments + named.sorted()).joined(separator: ",")
  }
}
