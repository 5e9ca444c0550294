import KubeModel
import Reachability

/// Which part of an explanation to keep.
public enum ExplainOnly: String, Sendable, CaseIterable {
  /// Only the allowed connections.
  case allow
  /// Only the denied connections.
  case deny
}

/// A part of the connection space of one pair that is decided the same way, for the same
/// reasons, in both directions.
public struct ExplainGroup: Hashable, Sendable {
  /// Whether both directions allow these connections.
  public var allowed: Bool
  /// The connections of this part.
  public var connections: ConnectionSet
  /// Egress at the source.
  public var egress: DirectionVerdict
  /// Ingress at the destination.
  public var ingress: DirectionVerdict

  /// Creates a group from its verdict, connections and the verdict of each direction.
  public init(
    allowed: Bool, connections: ConnectionSet, egress: DirectionVerdict, ingress: DirectionVerdict
  ) {
    self.allowed = allowed
    self.connections = connections
    self.egress = egress
    self.ingress = ingress
  }

  /// Whether nothing but the system default decided both directions.
  public var isSystemDefaultOnly: Bool { egress.isSystemDefaultOnly && ingress.isSystemDefaultOnly }

  /// netpol-analyzer's text of the connections: `TCP, UDP:[1-52,54-65535], SCTP`.
  public var connectionsText: String {
    ExplainEvaluator.protocolOrder.compactMap { proto -> String? in
      guard let ranges = connections.ranges[proto] else { return nil }
      if ranges == [PortRange.all] { return proto.rawValue }
      return "\(proto.rawValue):[\(ranges.map(\.description).joined(separator: ","))]"
    }.joined(separator: ", ")
  }
}

/// The explained connectivity of one pair of peers: its allowed and denied parts with reasons.
public struct ExplainedPair: Hashable, Sendable {
  /// The source of the flows.
  public var source: ReportPeer
  /// The destination of the flows.
  public var destination: ReportPeer
  /// Allowed groups first, each kind in netpol-analyzer's order.
  public var groups: [ExplainGroup]

  /// Creates a pair explanation.
  public init(source: ReportPeer, destination: ReportPeer, groups: [ExplainGroup]) {
    self.source = source
    self.destination = destination
    self.groups = groups
  }

  /// Whether the system default alone allows everything between the pair.
  public var isSystemDefaultOnly: Bool { groups.allSatisfy(\.isSystemDefaultOnly) }

  /// The allowed groups.
  public var allowed: [ExplainGroup] { groups.filter(\.allowed) }
  /// The denied groups.
  public var denied: [ExplainGroup] { groups.filter { !$0.allowed } }
}

/// Every pair of peers with the reasons for its allowed and denied connections, ready for a
/// renderer (`--explain`).
public struct ExplainReport: Sendable {
  /// Pairs in source, then destination order.
  public var pairs: [ExplainedPair]
  /// Whether only allowed or only denied parts were kept (nil: both).
  public var only: ExplainOnly?
  /// Problems found while explaining.
  public var warnings: [Diagnostic]

  /// Creates a report.
  public init(pairs: [ExplainedPair], only: ExplainOnly?, warnings: [Diagnostic] = []) {
    self.pairs = pairs
    self.only = only
    self.warnings = warnings
  }

  /// Pairs with a specific explanation (not the system default alone).
  public var specificPairs: [ExplainedPair] { pairs.filter { !$0.isSystemDefaultOnly } }
  /// Pairs allowed by the system default alone.
  public var systemDefaultPairs: [ExplainedPair] { pairs.filter(\.isSystemDefaultOnly) }
}

/// An Ingress or Route that forwards to a Service selecting a pod, with the pod ports it opens.
public struct IngressForward: Sendable {
  /// `Ingress` or `Route`.
  public var kind: String
  /// `ns/name` of the Ingress or Route.
  public var name: String
  /// The backend Service's name.
  public var service: String
  /// The TCP container ports it forwards to.
  public var ports: ConnectionSet
  public var location: SourceLocation
}

extension ConnectivityAnalyzer {
  /// The explanation of every pair in scope (the focus options apply), optionally only the
  /// allowed or only the denied parts.
  public func explainReport(only: ExplainOnly? = nil) -> ExplainReport {
    let evaluator = ExplainEvaluator(cluster: cluster)
    var atoms = evaluator.portAtoms(cuts: evaluator.portCuts())
    if let focus = options.focusConnection {
      atoms = [(focus.transport, PortRange(focus.port, focus.port))]
    }
    let ranges = ExternalRanges(cluster: cluster, includeIPv6: options.includeIPv6)
    let focus = FocusFilter(options: options)
    var pairs: [ExplainedPair] = []
    func add(
      _ src: ReportPeer, _ s: ExplainEndpoint, _ dst: ReportPeer, _ d: ExplainEndpoint,
      forwards: [IngressForward]?
    ) {
      var pair = Self.explainPair(
        evaluator: evaluator, atoms: atoms, source: src, s, destination: dst, d, forwards: forwards,
        upstreamQuirks: true)
      if let only { pair.groups = pair.groups.filter { $0.allowed == (only == .allow) } }
      if !pair.groups.isEmpty { pairs.append(pair) }
    }
    for (srcPeer, srcPod) in entities {
      for (dstPeer, dstPod) in entities where srcPod != dstPod && srcPeer.name != dstPeer.name {
        guard focus.includes(srcPeer, dstPeer) else { continue }
        add(srcPeer, .pod(srcPod), dstPeer, .pod(dstPod), forwards: nil)
      }
      for range in ranges.egressDestinations {
        let peer = ReportPeer.external(range)
        guard focus.includes(srcPeer, peer) else { continue }
        add(srcPeer, .pod(srcPod), peer, .external(range), forwards: nil)
      }
    }
    for range in ranges.ingressSources {
      let peer = ReportPeer.external(range)
      for (dstPeer, dstPod) in entities where focus.includes(peer, dstPeer) {
        add(peer, .external(range), dstPeer, .pod(dstPod), forwards: nil)
      }
    }
    if let ingressControllerPod {
      for (dstPeer, dstPod) in entities where focus.includes(.ingressController, dstPeer) {
        let forwards = Self.ingressForwards(cluster: cluster, to: dstPod)
        guard !forwards.isEmpty else { continue }
        add(
          .ingressController, .pod(ingressControllerPod), dstPeer, .pod(dstPod), forwards: forwards)
      }
    }
    pairs.sort { ($0.source.name, $0.destination.name) < ($1.source.name, $1.destination.name) }
    return ExplainReport(pairs: pairs, only: only)
  }

  /// The Ingress and Route objects that forward to a pod, one entry per object and Service.
  static func ingressForwards(cluster: Cluster, to podIndex: Int) -> [IngressForward] {
    IngressControllerStandIn.forwards(cluster: cluster, to: podIndex)
  }

  /// The verdict of the Ingress/Route objects at one port: allowed when one forwards it.
  static func forwardVerdict(_ forwards: [IngressForward], _ proto: TransportProtocol, _ port: Int)
    -> DirectionVerdict
  {
    let allowing = forwards.filter { $0.ports.contains(proto, port) }
    if !allowing.isEmpty {
      return DirectionVerdict(
        allowed: true,
        reasons: allowing.map {
          ExplainReason(
            tier: $0.kind, policy: $0.name, rule: $0.service, location: $0.location, effect: .allow,
            text: "\($0.kind) '\($0.name)' allows ingress connections through service \($0.service)"
          )
        })
    }
    return DirectionVerdict(
      allowed: false,
      reasons: forwards.map {
        ExplainReason(
          tier: $0.kind, policy: $0.name, rule: $0.service, location: $0.location, effect: .noMatch,
          text:
            "\($0.kind) '\($0.name)' allows ingress to service \($0.service), but the protocols and ports do not match"
        )
      })
  }

  /// Explains one pair over the given port atoms and groups the atoms by verdict and reasons.
  static func explainPair(
    evaluator: ExplainEvaluator, atoms: [(proto: TransportProtocol, range: PortRange)],
    source: ReportPeer,
    _ s: ExplainEndpoint, destination: ReportPeer, _ d: ExplainEndpoint,
    forwards: [IngressForward]?,
    upstreamQuirks: Bool = false
  ) -> ExplainedPair {
    let fullAtoms = upstreamQuirks ? evaluator.portAtoms(cuts: evaluator.portCuts()) : []
    var silentEgress = false
    var silentIngress = false
    if upstreamQuirks, case .pod(let sp) = s, forwards == nil {
      silentEgress = evaluator.losesNetworkPolicyDenials(
        subject: sp, peer: d, direction: .egress, destination: d, atoms: fullAtoms)
    }
    if upstreamQuirks, case .pod(let dp) = d {
      silentIngress = evaluator.losesNetworkPolicyDenials(
        subject: dp, peer: s, direction: .ingress, destination: d, atoms: fullAtoms)
    }
    struct Key: Hashable {
      var allowed: Bool
      var egress: DirectionVerdict
      var ingress: DirectionVerdict
    }
    var order: [Key] = []
    var parts: [Key: [TransportProtocol: [PortRange]]] = [:]
    for (proto, range) in atoms {
      let port = range.lower
      var egress = DirectionVerdict.systemDefault
      if case .pod(let sp) = s, forwards == nil {
        egress = evaluator.decide(
          subject: sp, subjectName: source.name, peer: d, peerName: destination.name,
          direction: .egress,
          destination: d, proto, port, silentNetworkPolicyDenials: silentEgress)
      }
      var ingress = DirectionVerdict.systemDefault
      if case .pod(let dp) = d {
        ingress = evaluator.decide(
          subject: dp, subjectName: destination.name, peer: s, peerName: source.name,
          direction: .ingress,
          destination: d, proto, port, silentNetworkPolicyDenials: silentIngress)
      }
      if let forwards {
        let routes = forwardVerdict(forwards, proto, port)
        let policyReasons = ingress.isSystemDefaultOnly ? [] : ingress.reasons
        ingress = DirectionVerdict(
          allowed: routes.allowed && ingress.allowed, reasons: routes.reasons + policyReasons)
      }
      let key = Key(allowed: egress.allowed && ingress.allowed, egress: egress, ingress: ingress)
      if parts[key] == nil { order.append(key) }
      parts[key, default: [:]][proto, default: []].append(range)
    }
    var groups = order.compactMap { key -> ExplainGroup? in
      guard let ports = parts[key] else { return nil }
      return ExplainGroup(
        allowed: key.allowed, connections: ConnectionSet(ports), egress: key.egress,
        ingress: key.ingress)
    }
    groups.sort { a, b in
      if a.allowed != b.allowed { return a.allowed }
      return a.connectionsText < b.connectionsText
    }
    return ExplainedPair(source: source, destination: destination, groups: groups)
  }
}
