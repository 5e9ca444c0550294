import KubeModel
import Reachability

/// The explanation of one flow (or of every protocol and port between two peers): the
/// verdict parts with the reasons of each direction.
public struct FlowExplanation: Sendable {
  /// The source of the flow.
  public var source: ReportPeer
  /// The destination (a backend workload for a Service).
  public var destination: ReportPeer
  /// `ns/name` of the Service the destination was reached through, if any.
  public var service: String?
  /// The Service port asked for.
  public var servicePort: Int?
  /// The pod port the Service port translates to on this backend.
  public var targetPort: Int?
  /// The protocol asked for (nil: every protocol).
  public var transport: TransportProtocol?
  /// The port asked for on the destination pod (nil: every port).
  public var port: Int?
  /// The parts of the asked connection space, allowed ones first.
  public var groups: [ExplainGroup]
  /// Why this backend could not be explained (for example an unknown named target port).
  public var note: String?
  /// The policies that select the source pod for egress (nil when the source is external).
  public var egressSelectedBy: [String]?
  /// The policies that select the destination pod for ingress (nil when it is external).
  public var ingressSelectedBy: [String]?
  /// The mesh stage's verdict over the connections the L3/L4 tiers allow (nil when the mesh
  /// is off).
  public var mesh: MeshVerdict?

  /// Creates a flow explanation.
  public init(
    source: ReportPeer, destination: ReportPeer, service: String? = nil, servicePort: Int? = nil,
    targetPort: Int? = nil, transport: TransportProtocol? = nil, port: Int? = nil,
    groups: [ExplainGroup],
    note: String? = nil
  ) {
    self.source = source
    self.destination = destination
    self.service = service
    self.servicePort = servicePort
    self.targetPort = targetPort
    self.transport = transport
    self.port = port
    self.groups = groups
    self.note = note
  }

  /// The final verdict: for a single port, whether it is allowed; over a range of ports,
  /// whether any connection is allowed. With the mesh: the L3/L4 tiers allow, the transport
  /// is neither rejected nor failed, and authorization allows.
  public var allowed: Bool { !allowedConnections.isEmpty }

  /// The L3/L4 verdict alone (ANP, NetworkPolicy, BANP, default).
  public var networkAllowed: Bool { groups.contains(where: \.allowed) }

  /// The connections the L3/L4 tiers allow (over the asked space).
  public var networkConnections: ConnectionSet {
    groups.filter(\.allowed).reduce(ConnectionSet.none) { $0.union($1.connections) }
  }

  /// The mesh part that speaks for the flow: the one holding the asked port, else the first
  /// TCP part, else the first.
  public var meshSummary: MeshPart? {
    guard let parts = mesh?.parts, !parts.isEmpty else { return nil }
    if let port {
      return parts.first { $0.connections.contains(transport ?? .tcp, port) }
    }
    return parts.first { $0.connections.ranges[.tcp] != nil } ?? parts.first
  }

  /// The transport outcome (`none` when the L3/L4 tiers allow nothing); nil without the mesh.
  public var meshTransport: MeshTransport? {
    guard mesh != nil else { return nil }
    return meshSummary?.transport ?? MeshTransport.none
  }

  /// The authorization outcome; nil without the mesh.
  public var meshAuthorization: MeshAuthorization? {
    guard mesh != nil else { return nil }
    return meshSummary?.authorization ?? .notApplicable
  }

  /// The overall verdict of several explanations (every pod pair, every backend): allowed
  /// only when each of them is.
  public static func allAllowed(_ flows: [FlowExplanation]) -> Bool {
    !flows.isEmpty && flows.allSatisfy(\.allowed)
  }

  /// The connections allowed between every pair of several explanations (their intersection).
  public static func commonConnections(_ flows: [FlowExplanation]) -> ConnectionSet {
    guard let first = flows.first else { return .none }
    return flows.dropFirst().reduce(first.allowedConnections) {
      $0.intersection($1.allowedConnections)
    }
  }

  /// The connections finally allowed (over the asked space; with the mesh, those it lets
  /// through).
  public var allowedConnections: ConnectionSet {
    mesh?.allowed ?? networkConnections
  }
}

/// Explains single flows between named peers: `ns/name` of a workload or pod, an IP address, or
/// (as destination) `svc:ns/name`, whose port is translated per backend.
///
/// Every answer is read from `ReachabilityEngine.explain` per pod pair. A workload whose pods
/// (or pod pairs) get different answers is answered per pod pair; a workload with itself is
/// answered between its distinct replicas (a pod to itself is exempt, replicas are not).
public struct FlowExplainer: Sendable {
  /// The cluster whose policies are evaluated.
  public let cluster: Cluster
  /// The engine every answer comes from.
  public let engine: ReachabilityEngine

  /// Prepares the explainer over a cluster, compiled with `options`.
  public init(cluster: Cluster, options: EngineOptions = .init()) {
    self.cluster = cluster
    self.engine = ReachabilityEngine(cluster: cluster, options: options)
  }

  /// A resolved end of a flow: the named peer and its pods (or its address).
  struct End {
    var peer: ReportPeer
    var members: [(peer: ReportPeer, endpoint: Peer)]
  }

  /// Resolves `ns/name` (workload first, then pod) or an IP address.
  func resolve(_ text: String, role: String) throws(Diagnostic) -> End {
    if let address = IPAddress(text) {
      let range = IPRange(family: address.family, lower: address.value, upper: address.value)
      let peer = ReportPeer(kind: .external(range), name: text, namespace: nil, shortName: text)
      return End(peer: peer, members: [(peer, .external(range))])
    }
    let name = PeerName(text)
    guard let namespace = name.namespace, !namespace.isEmpty, !name.name.isEmpty else {
      throw .error(
        .unknownPeer, "\(role) \(text) is neither ns/name of a workload or pod nor an IP address",
        at: nil)
    }
    if let w = cluster.workloads.firstIndex(where: name.names) {
      let pods = cluster.pods.indices.filter { cluster.pods[$0].workload == w }
      if !pods.isEmpty {
        return End(
          peer: .workload(w, in: cluster),
          members: pods.map { (ReportPeer.pod($0, in: cluster), Peer.pod($0)) })
      }
    }
    if let pod = cluster.pods.firstIndex(where: name.names) {
      let peer = ReportPeer.pod(pod, in: cluster)
      return End(peer: peer, members: [(peer, .pod(pod))])
    }
    throw .error(
      .unknownPeer, "\(role) \(text): no workload or pod of that name in the input", at: nil)
  }

  /// Explains the flow from `source` to `destination`; a `svc:ns/name` destination yields one
  /// explanation per backend workload (per backend pod when a workload's pods differ). Throws
  /// for unknown peers or Service ports.
  public func explain(
    source: String, destination: String, port: Int?, transport: TransportProtocol?
  ) throws(Diagnostic) -> [FlowExplanation] {
    if source.hasPrefix("svc:") {
      throw .error(.usage, "a Service (\(source)) can only be a destination", at: nil)
    }
    let src = try resolve(source, role: "source")
    if destination.hasPrefix("svc:") {
      return try explainService(
        src, String(destination.dropFirst(4)), port: port, transport: transport)
    }
    let dst = try resolve(destination, role: "destination")
    if src.peer.isExternal && dst.peer.isExternal {
      throw .error(.usage, "at least one end of the flow must be a workload or pod", at: nil)
    }
    let proto = transport ?? (port == nil ? nil : .tcp)
    return perPodPair(src, dst) { s, sp, d, dp in
      var explanation = FlowExplanation(
        source: s, destination: d, transport: proto, port: port, groups: [])
      explanation.groups = groups(s, sp, d, dp, space: space(port: port, transport: proto))
      annotate(&explanation, sp, dp)
      judgeMesh(&explanation, sp, dp)
      return explanation
    }
  }

  /// One explanation for the named ends when every pod pair between them gets the same answer,
  /// else one per pod pair. Pairs of a pod with itself are left out unless there is no other.
  func perPodPair(
    _ src: End, _ dst: End,
    _ make: (ReportPeer, Peer, ReportPeer, Peer) -> FlowExplanation
  ) -> [FlowExplanation] {
    var pairs: [(s: (peer: ReportPeer, endpoint: Peer), d: (peer: ReportPeer, endpoint: Peer))] =
      []
    for s in src.members {
      for d in dst.members where s.endpoint != d.endpoint { pairs.append((s, d)) }
    }
    if pairs.isEmpty {
      for s in src.members { for d in dst.members { pairs.append((s, d)) } }
    }
    struct Key: Hashable {
      var s: Peer
      var d: Peer
      var itself: Bool
    }
    func key(_ s: Peer, _ d: Peer) -> Key {
      func cls(_ p: Peer) -> Peer {
        if case .pod(let i) = p { return .pod(engine.podClass(i)) }
        return p
      }
      return Key(s: cls(s), d: cls(d), itself: s == d)
    }
    var answers: [Key: FlowExplanation] = [:]
    var first: FlowExplanation? = nil
    var uniform = true
    for (s, d) in pairs {
      let k = key(s.endpoint, d.endpoint)
      if answers[k] == nil {
        let answer = make(src.peer, s.endpoint, dst.peer, d.endpoint)
        answers[k] = answer
        if let first, !first.sameAnswer(answer) { uniform = false }
        if first == nil { first = answer }
      }
      if !uniform { break }
    }
    if uniform, let first { return [first] }
    return pairs.map { make($0.s.peer, $0.s.endpoint, $0.d.peer, $0.d.endpoint) }
  }

  /// Adds the mesh stage's verdict over the connections the L3/L4 tiers allow (nothing when
  /// the mesh is off).
  func judgeMesh(_ explanation: inout FlowExplanation, _ src: Peer, _ dst: Peer, service: Int? = nil) {
    guard engine.mesh != nil else { return }
    let conns = explanation.networkConnections
    if src == dst {
      // A pod's traffic to itself does not leave it.
      explanation.mesh = MeshVerdict(parts: [
        MeshPart(connections: conns, transport: .none, authorization: .notApplicable, reasons: [])
      ])
      return
    }
    explanation.mesh =
      engine.meshVerdict(from: src, to: dst, connections: conns, service: service) ?? MeshVerdict(parts: [])
  }

  /// Records which policies select each pod end for its direction.
  func annotate(_ explanation: inout FlowExplanation, _ src: Peer, _ dst: Peer) {
    func names(_ refs: [PolicyRef]) -> [String] { refs.map { "\($0.kind) '\($0.policy)'" } }
    if case .pod(let p) = src {
      explanation.egressSelectedBy = names(engine.selectingPolicies(pod: p, direction: .egress))
    }
    if case .pod(let p) = dst {
      explanation.ingressSelectedBy = names(engine.selectingPolicies(pod: p, direction: .ingress))
    }
  }

  /// The connection space asked about (nil: every protocol and port).
  func space(port: Int?, transport: TransportProtocol?) -> ConnectionSet? {
    if let port { return ConnectionSet([transport ?? .tcp: [PortRange(port, port)]]) }
    return transport.map { ConnectionSet(protocols: [$0]) }
  }

  /// The explained parts of one pod pair (a pod to itself: allowed, exempt from policy).
  func groups(
    _ source: ReportPeer, _ s: Peer, _ destination: ReportPeer, _ d: Peer, space: ConnectionSet?
  ) -> [ExplainGroup] {
    if case .pod = s, s == d {
      let itself = ExplainReason(
        tier: "SystemDefault", policy: "", rule: "", location: nil, effect: .allow,
        detail: .podToItself)
      let verdict = DirectionVerdict(allowed: true, reasons: [itself])
      return [
        ExplainGroup(
          allowed: true, connections: space ?? .all, egress: verdict, ingress: verdict)
      ]
    }
    return ConnectivityAnalyzer.explainPair(
      engine: engine, space: space, source: source, s, destination: destination, d,
      forwards: nil
    ).groups
  }

  func explainService(
    _ src: End, _ name: String, port: Int?, transport: TransportProtocol?
  ) throws(Diagnostic) -> [FlowExplanation] {
    let parts = name.split(separator: "/", maxSplits: 1).map(String.init)
    guard parts.count == 2,
      let serviceIndex = cluster.services.firstIndex(where: {
        $0.namespace == parts[0] && $0.name == parts[1]
      })
    else {
      throw .error(
        .unknownPeer, "destination svc:\(name): no Service of that name in the input", at: nil)
    }
    let service = cluster.services[serviceIndex]
    guard let selector = service.selector, !selector.isEmpty else {
      throw .error(
        .unknownPeer, "Service \(name) has no selector, so its backends are unknown", at: nil)
    }
    let servicePorts = service.ports.filter { sp in
      (port.map { sp.port == $0 } ?? true) && (transport.map { sp.protocol == $0 } ?? true)
    }
    if servicePorts.isEmpty {
      let asked = port.map { "port \($0)" } ?? "ports"
      throw .error(
        .unknownPort,
        "Service \(name) has no \(transport?.rawValue ?? "") \(asked)".replacingOccurrences(
          of: "  ", with: " "),
        at: service.location)
    }
    let match = LabelSelector(matchLabels: selector)
    var backends: [End] = []
    var byWorkload: [Int: Int] = [:]
    for (i, pod) in cluster.pods.enumerated()
    where pod.namespace == service.namespace && match.matches(pod.labels) {
      let member = (ReportPeer.pod(i, in: cluster), Peer.pod(i))
      if let b = byWorkload[pod.workload] {
        backends[b].members.append(member)
      } else {
        byWorkload[pod.workload] = backends.count
        backends.append(End(peer: .workload(pod.workload, in: cluster), members: [member]))
      }
    }
    if backends.isEmpty {
      throw .error(
        .unknownPeer, "Service \(name) selects no workload of the input", at: service.location)
    }
    var out: [FlowExplanation] = []
    for servicePort in servicePorts {
      for backend in backends {
        out += perPodPair(src, backend) { s, sp, d, dp in
          var explanation = FlowExplanation(
            source: s, destination: d, service: name, servicePort: servicePort.port,
            transport: servicePort.protocol, groups: [])
          switch servicePort.targetPort {
          case .number(let n):
            explanation.targetPort = n
          case .name(let portName):
            if case .pod(let podIndex) = dp {
              explanation.targetPort =
                cluster.pods[podIndex].ports.first {
                  $0.name == portName && $0.protocol == servicePort.protocol
                }?.port
            }
            if explanation.targetPort == nil {
              explanation.note =
                "the pod declares no \(servicePort.protocol.rawValue) port named \(portName)"
            }
          }
          if let target = explanation.targetPort {
            explanation.port = target
            explanation.groups = groups(
              s, sp, d, dp, space: space(port: target, transport: servicePort.protocol))
          }
          annotate(&explanation, sp, dp)
          judgeMesh(&explanation, sp, dp, service: serviceIndex)
          return explanation
        }
      }
    }
    return out
  }
}

extension FlowExplanation {
  /// Whether two explanations give the same answer for the same question (names aside).
  func sameAnswer(_ other: FlowExplanation) -> Bool {
    groups == other.groups && port == other.port && targetPort == other.targetPort
      && note == other.note && egressSelectedBy == other.egressSelectedBy
      && ingressSelectedBy == other.ingressSelectedBy && mesh == other.mesh
  }
}
