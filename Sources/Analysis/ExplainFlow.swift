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

  /// The connections finally allowed (over the asked space).
  public var allowedConnections: ConnectionSet {
    mesh?.allowed ?? networkConnections
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
}

/// Explains single flows between named peers: `ns/name` of a workload or pod, an IP address, or
/// (as destination) `svc:ns/name`, whose port is translated per backend.
public struct FlowExplainer: Sendable {
  /// The cluster whose policies are evaluated.
  public let cluster: Cluster
  let evaluator: ExplainEvaluator
  /// The engine whose mesh stage judges transport and authorization (nil: mesh off).
  let meshEngine: ReachabilityEngine?

  /// Prepares the explainer over a cluster.
  public init(cluster: Cluster, options: EngineOptions = .init()) {
    self.cluster = cluster
    self.evaluator = ExplainEvaluator(cluster: cluster)
    self.meshEngine =
      MeshMembership.isEnabled(in: cluster, options: options.mesh)
      ? ReachabilityEngine(cluster: cluster, options: options) : nil
  }

  /// Adds the mesh stage's verdict over the connections the L3/L4 tiers allow.
  func judgeMesh(_ explanation: inout FlowExplanation, _ src: End, _ dst: End, service: Int? = nil) {
    guard let engine = meshEngine else { return }
    func peer(_ e: ExplainEndpoint) -> Peer {
      switch e {
      case .pod(let p): return .pod(p)
      case .external(let r): return .external(r)
      }
    }
    let conns = explanation.networkConnections
    if case .pod(let a) = src.endpoint, case .pod(let b) = dst.endpoint, a == b {
      // A pod's traffic to itself does not leave it.
      explanation.mesh = MeshVerdict(parts: [
        MeshPart(connections: conns, transport: .none, authorization: .notApplicable, reasons: [])
      ])
      return
    }
    explanation.mesh =
      engine.meshVerdict(from: peer(src.endpoint), to: peer(dst.endpoint), connections: conns, service: service)
      ?? MeshVerdict(parts: [])
  }

  /// A resolved end of a flow.
  struct End {
    var peer: ReportPeer
    var endpoint: ExplainEndpoint
  }

  /// Resolves `ns/name` (workload first, then pod) or an IP address.
  func resolve(_ text: String, role: String) throws(Diagnostic) -> End {
    if let address = IPAddress(text) {
      let range = IPRange(family: address.family, lower: address.value, upper: address.value)
      let peer = ReportPeer(kind: .external(range), name: text, namespace: nil, shortName: text)
      return End(peer: peer, endpoint: .external(range))
    }
    let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
      throw .error(
        "unknown-peer", "\(role) \(text) is neither ns/name of a workload or pod nor an IP address",
        at: nil)
    }
    if let w = cluster.workloads.firstIndex(where: {
      $0.namespace == parts[0] && $0.name == parts[1]
    }),
      let pod = cluster.pods.firstIndex(where: { $0.workload == w })
    {
      return End(peer: .workload(w, in: cluster), endpoint: .pod(pod))
    }
    if let pod = cluster.pods.firstIndex(where: { $0.namespace == parts[0] && $0.name == parts[1] }) {
      return End(peer: .pod(pod, in: cluster), endpoint: .pod(pod))
    }
    throw .error(
      "unknown-peer", "\(role) \(text): no workload or pod of that name in the input", at: nil)
  }

  /// Explains the flow from `source` to `destination`; a `svc:ns/name` destination yields one
  /// explanation per backend workload. Throws for unknown peers or Service ports.
  public func explain(
    source: String, destination: String, port: Int?, transport: TransportProtocol?
  ) throws(Diagnostic) -> [FlowExplanation] {
    if source.hasPrefix("svc:") {
      throw .error("usage", "a Service (\(source)) can only be a destination", at: nil)
    }
    let src = try resolve(source, role: "source")
    if destination.hasPrefix("svc:") {
      return try explainService(
        src, String(destination.dropFirst(4)), port: port, transport: transport)
    }
    let dst = try resolve(destination, role: "destination")
    if case .external = src.endpoint, case .external = dst.endpoint {
      throw .error("usage", "at least one end of the flow must be a workload or pod", at: nil)
    }
    var explanation = FlowExplanation(
      source: src.peer, destination: dst.peer, transport: transport ?? (port == nil ? nil : .tcp),
      port: port, groups: [])
    if case .pod(let a) = src.endpoint, case .pod(let b) = dst.endpoint, a == b {
      let itself = ExplainReason(
        tier: "SystemDefault", policy: "", rule: "", location: nil, effect: .allow,
        text: "a pod's traffic to itself is always allowed")
      let verdict = DirectionVerdict(allowed: true, reasons: [itself])
      var ports: [TransportProtocol: [PortRange]] = [:]
      for (proto, range) in atoms(port: port, transport: transport) {
        ports[proto, default: []].append(range)
      }
      explanation.groups = [
        ExplainGroup(
          allowed: true, connections: ConnectionSet(ports), egress: verdict, ingress: verdict)
      ]
    } else {
      explanation.groups = groups(src, dst, port: port, transport: transport)
    }
    annotate(&explanation, src, dst)
    judgeMesh(&explanation, src, dst)
    return [explanation]
  }

  /// Records which policies select each pod end for its direction.
  func annotate(_ explanation: inout FlowExplanation, _ src: End, _ dst: End) {
    if case .pod(let p) = src.endpoint {
      explanation.egressSelectedBy = evaluator.policiesSelecting(pod: p, direction: .egress)
    }
    if case .pod(let p) = dst.endpoint {
      explanation.ingressSelectedBy = evaluator.policiesSelecting(pod: p, direction: .ingress)
    }
  }

  func atoms(port: Int?, transport: TransportProtocol?) -> [(
    proto: TransportProtocol, range: PortRange
  )] {
    if let port { return [(transport ?? .tcp, PortRange(port, port))] }
    let all = evaluator.portAtoms(cuts: evaluator.portCuts())
    guard let transport else { return all }
    return all.filter { $0.proto == transport }
  }

  func groups(_ src: End, _ dst: End, port: Int?, transport: TransportProtocol?) -> [ExplainGroup] {
    ConnectivityAnalyzer.explainPair(
      evaluator: evaluator, atoms: atoms(port: port, transport: transport), source: src.peer,
      src.endpoint,
      destination: dst.peer, dst.endpoint, forwards: nil
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
        "unknown-peer", "destination svc:\(name): no Service of that name in the input", at: nil)
    }
    let service = cluster.services[serviceIndex]
    guard let selector = service.selector, !selector.isEmpty else {
      throw .error(
        "unknown-peer", "Service \(name) has no selector, so its backends are unknown", at: nil)
    }
    let servicePorts = service.ports.filter { sp in
      (port.map { sp.port == $0 } ?? true) && (transport.map { sp.protocol == $0 } ?? true)
    }
    if servicePorts.isEmpty {
      let asked = port.map { "port \($0)" } ?? "ports"
      throw .error(
        "unknown-port",
        "Service \(name) has no \(transport?.rawValue ?? "") \(asked)".replacingOccurrences(
          of: "  ", with: " "),
        at: service.location)
    }
    let match = LabelSelector(matchLabels: selector)
    var backends: [(peer: ReportPeer, pod: Int)] = []
    var seen = Set<Int>()
    for (i, pod) in cluster.pods.enumerated()
    where pod.namespace == service.namespace && match.matches(pod.labels)
      && seen.insert(pod.workload).inserted
    {
      backends.append((.workload(pod.workload, in: cluster), i))
    }
    if backends.isEmpty {
      throw .error(
        "unknown-peer", "Service \(name) selects no workload of the input", at: service.location)
    }
    var out: [FlowExplanation] = []
    for servicePort in servicePorts {
      for (peer, podIndex) in backends {
        let dst = End(peer: peer, endpoint: .pod(podIndex))
        var explanation = FlowExplanation(
          source: src.peer, destination: peer, service: name, servicePort: servicePort.port,
          transport: servicePort.protocol, groups: [])
        switch servicePort.targetPort {
        case .number(let n):
          explanation.targetPort = n
        case .name(let portName):
          explanation.targetPort =
            cluster.pods[podIndex].ports.first {
              $0.name == portName && $0.protocol == servicePort.protocol
            }?.port
          if explanation.targetPort == nil {
            explanation.note =
              "the pod declares no \(servicePort.protocol.rawValue) port named \(portName)"
          }
        }
        if let target = explanation.targetPort {
          explanation.port = target
          explanation.groups = groups(src, dst, port: target, transport: servicePort.protocol)
        }
        annotate(&explanation, src, dst)
        judgeMesh(&explanation, src, dst, service: serviceIndex)
        out.append(explanation)
      }
    }
    return out
  }
}
