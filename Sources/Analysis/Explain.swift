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
  public var connections: ConnectionSet {
    didSet { connectionsText = Self.text(connections) }
  }
  /// Egress at the source.
  public var egress: DirectionVerdict
  /// Ingress at the destination.
  public var ingress: DirectionVerdict
  /// netpol-analyzer's text of the connections (`TCP, UDP:[1-52,54-65535], SCTP`), kept with
  /// them: groups are sorted by it and every renderer prints it.
  public private(set) var connectionsText: String

  /// Creates a group from its verdict, connections and the verdict of each direction.
  public init(
    allowed: Bool, connections: ConnectionSet, egress: DirectionVerdict, ingress: DirectionVerdict
  ) {
    self.allowed = allowed
    self.connections = connections
    self.egress = egress
    self.ingress = ingress
    self.connectionsText = Self.text(connections)
  }

  /// Whether nothing but the system default decided both directions.
  public var isSystemDefaultOnly: Bool { egress.isSystemDefaultOnly && ingress.isSystemDefaultOnly }

  static func text(_ connections: ConnectionSet) -> String {
    ExplainReasons.protocolOrder.compactMap { proto -> String? in
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
  /// allowed or only the denied parts. Every reason is read from `engine.explain`.
  public func explainReport(only: ExplainOnly? = nil) -> ExplainReport {
    var space: ConnectionSet? = nil
    if let focus = options.focusConnection {
      space = ConnectionSet([focus.transport: [PortRange(focus.port, focus.port)]])
    }
    let ranges = ExternalRanges(cluster: cluster, includeIPv6: options.includeIPv6)
    let verdicts = ExplainVerdicts()
    var pairs: [ExplainedPair] = []
    func add(
      _ src: ReportPeer, _ s: Peer, _ dst: ReportPeer, _ d: Peer, forwards: [IngressForward]?
    ) {
      var pair = Self.explainPair(
        engine: engine, space: space, source: src, s, destination: dst, d, forwards: forwards,
        upstreamQuirks: true, verdicts: verdicts)
      if let only { pair.groups = pair.groups.filter { $0.allowed == (only == .allow) } }
      if !pair.groups.isEmpty { pairs.append(pair) }
    }
    // Every end in name order, so that pairs come out sorted by (source, destination) name
    // without sorting them afterwards.
    enum Role {
      case entity(Int)
      case external(IPRange, asSource: Bool, asDestination: Bool)
      case ingressController(Peer)
    }
    var ends: [(peer: ReportPeer, role: Role)] = entities.map { ($0.peer, .entity($0.pod)) }
    let sources = Set(ranges.ingressSources)
    let destinations = Set(ranges.egressDestinations)
    for range in sources.union(destinations) {
      ends.append(
        (
          .external(range),
          .external(range, asSource: sources.contains(range), asDestination: destinations.contains(range))
        ))
    }
    if let ingressController { ends.append((.ingressController, .ingressController(ingressController))) }
    ends.sort { $0.peer.name < $1.peer.name }
    for (srcPeer, srcRole) in ends {
      for (dstPeer, dstRole) in ends {
        switch (srcRole, dstRole) {
        case (.entity(let srcPod), .entity(let dstPod)):
          guard srcPod != dstPod && srcPeer.name != dstPeer.name && focus.includes(srcPeer, dstPeer) else { continue }
          add(srcPeer, .pod(srcPod), dstPeer, .pod(dstPod), forwards: nil)
        case (.entity(let srcPod), .external(let range, _, asDestination: true)):
          guard focus.includes(srcPeer, dstPeer) else { continue }
          add(srcPeer, .pod(srcPod), dstPeer, .external(range), forwards: nil)
        case (.external(let range, asSource: true, _), .entity(let dstPod)):
          guard focus.includes(srcPeer, dstPeer) else { continue }
          add(srcPeer, .external(range), dstPeer, .pod(dstPod), forwards: nil)
        case (.ingressController(let stand), .entity(let dstPod)):
          guard focus.includes(srcPeer, dstPeer) else { continue }
          let forwards = Self.ingressForwards(cluster: cluster, to: dstPod)
          guard !forwards.isEmpty else { continue }
          add(srcPeer, stand, dstPeer, .pod(dstPod), forwards: forwards)
        default:
          continue
        }
      }
    }
    return ExplainReport(pairs: pairs, only: only)
  }

  /// The Ingress and Route objects that forward to a pod, one entry per object and Service.
  static func ingressForwards(cluster: Cluster, to podIndex: Int) -> [IngressForward] {
    IngressControllerStandIn.forwards(cluster: cluster, to: podIndex)
  }

  /// The verdict of the Ingress/Route objects on connections that the same objects forward:
  /// allowed when one of `allowing` forwards them.
  static func forwardVerdict(_ forwards: [IngressForward], allowing: [IngressForward])
    -> DirectionVerdict
  {
    if !allowing.isEmpty {
      return DirectionVerdict(
        allowed: true,
        reasons: allowing.map {
          ExplainReason(
            tier: $0.kind, policy: $0.name, rule: $0.service, location: $0.location, effect: .allow,
            detail: .forwardAllows)
        })
    }
    return DirectionVerdict(
      allowed: false,
      reasons: forwards.map {
        ExplainReason(
          tier: $0.kind, policy: $0.name, rule: $0.service, location: $0.location, effect: .noMatch,
          detail: .forwardPortsDiffer)
      })
  }

  /// Splits `space` into parts on which the same forwards apply.
  static func forwardParts(_ space: ConnectionSet, _ forwards: [IngressForward]) -> [(
    ConnectionSet, [IngressForward]
  )] {
    var parts: [(ConnectionSet, [IngressForward])] = [(space, [])]
    for f in forwards {
      var next: [(ConnectionSet, [IngressForward])] = []
      for (conns, list) in parts {
        let inside = conns.intersection(f.ports)
        let outside = conns.subtracting(f.ports)
        if inside != .none { next.append((inside, list + [f])) }
        if outside != .none { next.append((outside, list)) }
      }
      parts = next
    }
    return parts
  }

  /// Explains one pair (over `space`, nil: every protocol and port) from the engine's walk and
  /// groups the parts by verdict and reasons. `verdicts` shares verdict values between pairs.
  static func explainPair(
    engine: ReachabilityEngine, space: ConnectionSet?, source: ReportPeer, _ s: Peer,
    destination: ReportPeer, _ d: Peer, forwards: [IngressForward]?,
    upstreamQuirks: Bool = false, verdicts: ExplainVerdicts = ExplainVerdicts()
  ) -> ExplainedPair {
    var silentEgress = false
    var silentIngress = false
    if upstreamQuirks, case .pod(let sp) = s, forwards == nil {
      silentEgress = engine.networkPolicyDenialsUnreported(direction: .egress, subject: sp, peer: d)
    }
    if upstreamQuirks, case .pod(let dp) = d {
      silentIngress = engine.networkPolicyDenialsUnreported(
        direction: .ingress, subject: dp, peer: s)
    }
    let explanation = engine.explainInterned(from: s, to: d, within: space)
    let shared: Int64? =
      forwards == nil ? explanation.key.map { Int64($0) << 2 | (silentEgress ? 2 : 0) | (silentIngress ? 1 : 0) } : nil
    if let shared, let known = verdicts.groups[shared] {
      return ExplainedPair(source: source, destination: destination, groups: known)
    }
    // A pair has few parts: a linear search is cheaper than hashing. Verdicts shared between
    // pairs compare by identity first.
    var groups: [ExplainGroup] = []
    func add(_ allowed: Bool, _ egress: DirectionVerdict, _ ingress: DirectionVerdict, _ conns: ConnectionSet) {
      if let i = groups.firstIndex(where: { $0.allowed == allowed && $0.egress == egress && $0.ingress == ingress }) {
        groups[i].connections = groups[i].connections.union(conns)
      } else {
        groups.append(ExplainGroup(allowed: allowed, connections: conns, egress: egress, ingress: ingress))
      }
    }
    for seg in explanation.segments {
      let egress =
        forwards == nil ? verdicts.verdict(engine, seg.egress, silent: silentEgress) : DirectionVerdict.systemDefault
      let ingress = verdicts.verdict(engine, seg.ingress, silent: silentIngress)
      guard let forwards else {
        add(egress.allowed && ingress.allowed, egress, ingress, seg.connections)
        continue
      }
      for (conns, allowing) in forwardParts(seg.connections, forwards) {
        let routes = forwardVerdict(forwards, allowing: allowing)
        let policyReasons = ingress.isSystemDefaultOnly ? [] : ingress.reasons
        let combined = DirectionVerdict(
          allowed: routes.allowed && ingress.allowed, reasons: routes.reasons + policyReasons)
        add(egress.allowed && combined.allowed, egress, combined, conns)
      }
    }
    groups.sort { a, b in
      if a.allowed != b.allowed { return a.allowed }
      return a.connectionsText < b.connectionsText
    }
    if let shared { verdicts.groups[shared] = groups }
    return ExplainedPair(source: source, destination: destination, groups: groups)
  }
}
