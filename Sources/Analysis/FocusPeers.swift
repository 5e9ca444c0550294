import KubeModel
import Reachability

/// A workload or pod as the command line names it: `name` (in any namespace) or `ns/name`.
/// Parsed once, then compared with the model's namespace and name.
public struct PeerName: Hashable, Sendable, CustomStringConvertible {
  /// The namespace, when the text gave one.
  public var namespace: String?
  /// The workload or pod name.
  public var name: String
  /// The text as given.
  public var description: String

  /// Parses `name` or `ns/name` (split at the first `/`).
  public init(_ text: String) {
    description = text
    if let slash = text.firstIndex(of: "/") {
      namespace = String(text[..<slash])
      name = String(text[text.index(after: slash)...])
    } else {
      namespace = nil
      name = text
    }
  }

  /// Whether this names the object `name` of namespace `namespace`.
  public func names(namespace: String, name: String) -> Bool {
    self.name == name && (self.namespace == nil || self.namespace == namespace)
  }

  /// Whether this names a workload.
  public func names(_ workload: Workload) -> Bool { names(namespace: workload.namespace, name: workload.name) }

  /// Whether this names a pod.
  public func names(_ pod: Pod) -> Bool { names(namespace: pod.namespace, name: pod.name) }

  /// Whether this names the ingress-controller stand-in: `ingress-controller`, or its printed
  /// name `{ingress-controller}`.
  public var namesIngressController: Bool {
    description == IngressControllerStandIn.name || description == ReportPeer.ingressController.name
  }
}

/// Focus names resolved to the identities of reported peers.
public struct ResolvedPeers: Sendable {
  /// The reported peers the names stand for.
  public var peers: Set<ReportPeer.Kind>
  /// The names that stand for no reported peer, in the order given.
  public var unknown: [String]
}

extension ConnectivityAnalyzer {
  /// Resolves command-line names (`name`, `ns/name`, `ingress-controller`) to the reported
  /// peers they stand for: workloads, or pods under `--granularity pod` (and the pods of split
  /// workloads under `auto`), and the ingress controller when the input has Ingress or Route
  /// objects.
  public func resolve(names: [String]) -> ResolvedPeers {
    Self.resolve(
      names: names, entities: entities.map(\.peer), hasIngressController: ingressController != nil, in: cluster)
  }

  static func resolve(
    names: [String], entities: [ReportPeer], hasIngressController: Bool, in cluster: Cluster
  ) -> ResolvedPeers {
    var peers = Set<ReportPeer.Kind>()
    var unknown: [String] = []
    for text in names {
      let name = PeerName(text)
      var found = false
      if hasIngressController && name.namesIngressController {
        peers.insert(.ingressController)
        found = true
      }
      for entity in entities {
        let matches: Bool
        switch entity.kind {
        case .workload(let w): matches = name.names(cluster.workloads[w])
        case .pod(let p): matches = name.names(cluster.pods[p])
        case .external, .ingressController: matches = false
        }
        if matches {
          peers.insert(entity.kind)
          found = true
        }
      }
      if !found { unknown.append(text) }
    }
    return ResolvedPeers(peers: peers, unknown: unknown)
  }
}

/// The focus options as a predicate over pairs of report peers, with the focus names resolved
/// once to peer identities.
struct FocusFilter: Sendable {
  /// The focus peers; nil without focus options (everything is in focus).
  let focus: Set<ReportPeer.Kind>?
  /// With focus: the peers the other end must be (nil: any).
  let others: Set<ReportPeer.Kind>?
  let direction: Direction?

  /// Resolves the options' names among the reported entities.
  init(options: ConnectivityOptions, entities: [ReportPeer], hasIngressController: Bool, cluster: Cluster) {
    func resolved(_ names: [String]) -> Set<ReportPeer.Kind>? {
      names.isEmpty
        ? nil
        : ConnectivityAnalyzer.resolve(
          names: names, entities: entities, hasIngressController: hasIngressController, in: cluster
        ).peers
    }
    focus = resolved(options.focusWorkloads)
    others = focus == nil ? nil : resolved(options.focusWorkloadPeers)
    direction = options.focusDirection
  }

  /// Whether there is no focus option.
  var isUnfocused: Bool { focus == nil }

  func isFocus(_ peer: ReportPeer) -> Bool { focus?.contains(peer.kind) ?? true }

  func isOther(_ peer: ReportPeer) -> Bool { others?.contains(peer.kind) ?? true }

  func includes(_ src: ReportPeer, _ dst: ReportPeer) -> Bool {
    guard let focus else { return true }
    let asSource = direction != .ingress && focus.contains(src.kind) && isOther(dst)
    let asDestination = direction != .egress && focus.contains(dst.kind) && isOther(src)
    return asSource || asDestination
  }

  /// netpol-analyzer's pair filter for exposure lines; nil stands for a representative peer,
  /// which is never a focus workload nor a focus peer.
  func includesExposure(src: ReportPeer?, dst: ReportPeer?) -> Bool {
    guard let focus else { return true }
    func isFocus(_ peer: ReportPeer?) -> Bool { peer.map { focus.contains($0.kind) } ?? false }
    func isOther(_ peer: ReportPeer?) -> Bool {
      guard let others else { return true }
      return peer.map { others.contains($0.kind) } ?? false
    }
    if direction == .ingress && !isFocus(dst) { return false }
    if direction == .egress && !isFocus(src) { return false }
    return (isFocus(src) && isOther(dst)) || (isFocus(dst) && isOther(src))
  }
}
