import KubeModel
import Reachability

/// netpol-analyzer's exposure analysis: which workloads policies open to peers that are not in
/// the input (the whole cluster, or pods that rule selectors describe), and which workloads no
/// policy protects.
public struct ExposureReport: Sendable {
  /// The far end of an exposure line.
  public enum Endpoint: Hashable, Sendable {
    /// A connectivity-list peer (an external address range).
    case peer(ReportPeer)
    /// Every pod of every namespace.
    case entireCluster
    /// Pods a rule's selectors describe: the printed namespace part (a name when `isName`) and
    /// pod part, without brackets.
    case representative(namespace: String, isName: Bool, pod: String)

    /// The name as the text formats print it.
    public var name: String {
      switch self {
      case .peer(let peer): return peer.name
      case .entireCluster: return "entire-cluster"
      case .representative(let namespace, let isName, let pod):
        return (isName ? namespace : "[\(namespace)]") + "/[\(pod)]"
      }
    }
  }

  /// One exposure of a workload.
  public struct Line: Hashable, Sendable {
    /// The workload (or pod) from the input.
    public var exposed: ReportPeer
    /// Whom it is exposed to.
    public var other: Endpoint
    /// The exposed protocols and ports.
    public var connections: ConnectionSet
    /// Named ports a rule opens toward a peer whose ports are unknown, left unresolved: by
    /// protocol name (`TCP`, `UDP`, `SCTP`, or empty for an admin policy's name, which has no
    /// protocol).
    public var unresolvedPortNames: [String: Set<String>]
    /// A line of `ExposureReport.meshPlaintext`: the client reaches the mesh server in
    /// plaintext on `connections`.
    public var meshPlaintext: Bool

    /// A line between an exposed workload and another end.
    public init(
      exposed: ReportPeer, other: Endpoint, connections: ConnectionSet,
      unresolvedPortNames: [String: Set<String>] = [:], meshPlaintext: Bool = false
    ) {
      self.exposed = exposed
      self.other = other
      self.connections = connections
      self.unresolvedPortNames = unresolvedPortNames.filter { !$0.value.isEmpty }
      self.meshPlaintext = meshPlaintext
    }
  }

  /// A workload (or pod) that no policy selects in a direction.
  public struct Unprotected: Hashable, Sendable {
    /// The workload or pod.
    public var peer: ReportPeer
    /// The direction no policy selects it in.
    public var direction: Direction

    /// An unprotected workload and direction.
    public init(peer: ReportPeer, direction: Direction) {
      self.peer = peer
      self.direction = direction
    }
  }

  /// Egress exposure, sorted by source then destination.
  public var egress: [Line]
  /// Ingress exposure, sorted by destination then source.
  public var ingress: [Line]
  /// Workloads no policy selects, by name, egress before ingress.
  public var unprotected: [Unprotected]
  /// Mesh servers (PERMISSIVE or DISABLE) that clients outside the mesh reach in plaintext:
  /// `exposed` is the server, `other` the client (a workload without a sidecar or an external
  /// range), sorted by server then client. Empty without the mesh.
  public var meshPlaintext: [Line] = []

  /// A report from sorted lines.
  public init(egress: [Line], ingress: [Line], unprotected: [Unprotected]) {
    self.egress = egress
    self.ingress = ingress
    self.unprotected = unprotected
  }
}

/// Computes the exposure report of an analysed cluster.
struct ExposureAnalysis {
  let cluster: Cluster
  let engine: ReachabilityEngine
  let options: ConnectivityOptions
  let entities: [(peer: ReportPeer, pod: Int)]
  let focus: FocusFilter

  /// One direction of one workload's exposure, as netpol-analyzer's exposure map keeps it.
  struct Side {
    var isProtected = true
    var items: [(other: ExposureReport.Endpoint, conns: ExposureConnections)] = []
  }

  /// The representative peers of every policy rule, without those a real pod matches exactly.
  static func representatives(of cluster: Cluster) -> [RepresentativePeer] {
    var peers: [RepresentativePeer] = []
    var keys: Set<String> = []
    func add(namespaces: LabelSelector, pods: LabelSelector?, namespace: String?) {
      let peer = RepresentativePeer(
        namespaceSelector: namespaces, podSelector: pods, namespace: namespace)
      if keys.insert(peer.key).inserted { peers.append(peer) }
    }
    for policy in cluster.networkPolicies {
      var rules: [NetworkPolicyRule] = []
      if policy.isolatesIngress { rules += policy.ingress }
      if policy.isolatesEgress { rules += policy.egress }
      for rule in rules {
        var selectors: [(pods: LabelSelector?, namespaces: LabelSelector?)] = []
        for peer in rule.peers {
          guard case .selector(let pods, let namespaces) = peer else { continue }
          if let namespaces, namespaces.isEmpty, pods?.isEmpty ?? true {
            selectors = []
            break
          }
          selectors.append((pods, namespaces))
        }
        for (pods, namespaces) in selectors {
          add(
            namespaces: namespaces
              ?? LabelSelector(matchLabels: [namespaceNameLabel: policy.namespace]), pods: pods,
            namespace: namespaces == nil ? policy.namespace : nil)
        }
      }
    }
    for policy in cluster.adminNetworkPolicies + cluster.baselineAdminNetworkPolicies {
      for rule in policy.ingress + policy.egress {
        for case .pods(let set) in rule.peers {
          switch set {
          case .namespaces(let namespaces):
            if !namespaces.isEmpty { add(namespaces: namespaces, pods: nil, namespace: nil) }
          case .pods(let namespaces, let pods):
            if !(namespaces.isEmpty && pods.isEmpty) {
              add(namespaces: namespaces, pods: pods, namespace: nil)
            }
          }
        }
      }
    }
    // The distinct pod label sets of each namespace, with the namespace's labels.
    var namespaceLabels: [String: [String: String]] = [:]
    for namespace in cluster.namespaces { namespaceLabels[namespace.name] = namespace.labels }
    var podLabels: [String: Set<[String: String]>] = [:]
    for pod in cluster.pods {
      podLabels[pod.namespace, default: []].insert(pod.labels)
    }
    let populated = podLabels.map {
      (labels: namespaceLabels[$0.key] ?? [namespaceNameLabel: $0.key], pods: $0.value)
    }
    return peers.filter { peer in
      guard let pods = peer.podSelector, pods.matchExpressions.isEmpty, !pods.matchLabels.isEmpty,
        peer.namespaceSelector.matchExpressions.isEmpty, !peer.namespaceSelector.matchLabels.isEmpty
      else { return true }
      return !populated.contains { namespace in
        peer.namespaceSelector.matches(namespace.labels)
          && namespace.pods.contains { pods.matches($0) }
      }
    }
  }

  func report(rows: [ConnectionRow]) -> ExposureReport {
    let representatives = Self.representatives(of: cluster)
    let evaluator = ExposureEvaluator(cluster: cluster, engine: engine, representatives: representatives)
    let focusConnection = options.focusConnection.map {
      ExposureConnections(ports: ConnectionSet([$0.transport: [PortRange($0.port, $0.port)]]))
    }
    var exposed: [Direction: [String: (peer: ReportPeer, data: Side)]] = [:]

    for (peer, pod) in entities {
      let isFocus = focus.isFocus(peer)
      for direction in [Direction.egress, .ingress] {
        let general = evaluator.side(subject: .pod(pod), other: .entireCluster, direction: direction)
        var data: Side? = nil
        if isFocus && (options.focusDirection == nil || options.focusDirection == direction) {
          if !general.protected {
            data = Side(isProtected: false)
          } else if !general.conns.isEmpty {
            var conns = general.conns
            var include = true
            if let focusConnection {
              if focusConnection.intersection(conns) == focusConnection {
                conns = focusConnection
              } else {
                include = false
              }
            }
            if include { data = Side(isProtected: true, items: [(.entireCluster, conns)]) }
          }
        }
        let included =
          direction == .ingress
          ? focus.includesExposure(src: nil, dst: peer)
          : focus.includesExposure(src: peer, dst: nil)
        for (index, representative) in representatives.enumerated()
        where included && general.protected {
          var conns =
            direction == .ingress
            ? evaluator.connections(from: .representative(index), to: .pod(pod))
            : evaluator.connections(from: .pod(pod), to: .representative(index))
          if let focusConnection {
            guard focusConnection.intersection(conns) == focusConnection else { continue }
            conns = focusConnection
          }
          var entire = general.conns
          let isExposed = !entire.isEmpty
          if let focusConnection, isExposed, focusConnection.intersection(entire) == focusConnection {
            entire = focusConnection
          }
          if (isExposed && conns == entire) || (!isExposed && conns.isEmpty) { continue }
          let namespace = representative.namespaceText
          let endpoint = ExposureReport.Endpoint.representative(
            namespace: namespace.text, isName: namespace.isName, pod: representative.podText)
          var current = data ?? Side(isProtected: true)
          current.items.append((endpoint, conns))
          data = current
        }
        if let data {
          exposed[direction, default: [:]][peer.name] = (peer, data)
        }
      }
    }

    var externalsTo: [String: [ConnectionRow]] = [:]
    var externalsFrom: [String: [ConnectionRow]] = [:]
    for row in rows {
      if row.source.isExternal { externalsFrom[row.destination.name, default: []].append(row) }
      if row.destination.isExternal { externalsTo[row.source.name, default: []].append(row) }
    }
    var egress: [ExposureReport.Line] = []
    var ingress: [ExposureReport.Line] = []
    var unprotected: [ExposureReport.Unprotected] = []
    let names = Set((exposed[.ingress] ?? [:]).keys).union((exposed[.egress] ?? [:]).keys)
    for name in names {
      guard let peer = exposed[.ingress]?[name]?.peer ?? exposed[.egress]?[name]?.peer else { continue }
      for direction in [Direction.ingress, .egress] {
        let data =
          exposed[direction]?[name]?.data ?? Side()
        var lines: [ExposureReport.Line] = []
        if !data.isProtected {
          lines.append(
            ExposureReport.Line(exposed: peer, other: .entireCluster, connections: .all))
          unprotected.append(.init(peer: peer, direction: direction))
        } else {
          for item in data.items {
            lines.append(
              ExposureReport.Line(
                exposed: peer, other: item.other, connections: item.conns.ports,
                unresolvedPortNames: item.conns.names))
          }
        }
        for row in (direction == .ingress ? externalsFrom[name] : externalsTo[name]) ?? [] {
          let external = direction == .ingress ? row.source : row.destination
          lines.append(
            ExposureReport.Line(
              exposed: peer, other: .peer(external),
              connections: options.focusConnection.map {
                ConnectionSet([$0.transport: [PortRange($0.port, $0.port)]])
              } ?? row.connections))
        }
        if direction == .ingress { ingress += lines } else { egress += lines }
      }
    }
    egress.sort { ($0.exposed.name, $0.other.name) < ($1.exposed.name, $1.other.name) }
    ingress.sort { ($0.exposed.name, $0.other.name) < ($1.exposed.name, $1.other.name) }
    unprotected.sort { ($0.peer.name, $0.direction.rawValue) < ($1.peer.name, $1.direction.rawValue) }
    return ExposureReport(egress: egress, ingress: ingress, unprotected: unprotected)
  }
}
