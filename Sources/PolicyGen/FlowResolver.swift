import KubeModel

/// One end of a flow, resolved against the manifests.
public enum FlowPeer: Hashable, Comparable, Sendable {
  /// An index into `Cluster.workloads`: the flow names the whole workload.
  case workload(Int)
  /// An index into `Cluster.pods`: the flow names one pod.
  case pod(Int)
  /// Addresses outside the cluster.
  case external(CIDR)

  public static func < (lhs: FlowPeer, rhs: FlowPeer) -> Bool {
    switch (lhs, rhs) {
    case (.workload(let a), .workload(let b)): return a < b
    case (.pod(let a), .pod(let b)): return a < b
    case (.external(let a), .external(let b)): return a.range < b.range
    default: return lhs.rank < rhs.rank
    }
  }

  private var rank: Int {
    switch self {
    case .workload: 0
    case .pod: 1
    case .external: 2
    }
  }

  /// The workload the peer belongs to (nil for external peers).
  public func workload(in cluster: Cluster) -> Int? {
    switch self {
    case .workload(let w): return w
    case .pod(let p): return cluster.pods[p].workload
    case .external: return nil
    }
  }

  /// `ns/name` of the workload or pod, or the address or CIDR.
  public func name(in cluster: Cluster) -> String {
    switch self {
    case .workload(let w): return "\(cluster.workloads[w].namespace)/\(cluster.workloads[w].name)"
    case .pod(let p): return "\(cluster.pods[p].namespace)/\(cluster.pods[p].name)"
    case .external(let c): return c.flowText
    }
  }
}

/// A flow whose ends are known in the manifests.
public struct ResolvedFlow: Hashable, Sendable {
  public var source: FlowPeer
  public var destination: FlowPeer
  public var transport: TransportProtocol
  public var port: Int
  public var count: Int
  public var location: SourceLocation
  public var destinationNames: [String]

  public init(
    source: FlowPeer, destination: FlowPeer, transport: TransportProtocol, port: Int, count: Int,
    location: SourceLocation, destinationNames: [String] = []
  ) {
    self.source = source
    self.destination = destination
    self.transport = transport
    self.port = port
    self.count = count
    self.location = location
    self.destinationNames = destinationNames
  }

  /// `src -> dst PROTO/port` with names from the cluster.
  public func summary(in cluster: Cluster) -> String {
    "\(source.name(in: cluster)) -> \(destination.name(in: cluster)) \(transport.rawValue)/\(port)"
  }
}

/// Why an endpoint matches nothing.
struct Unresolved: Error, Hashable {
  var why: String
}

/// Resolves flow endpoints against the workloads, pods and Services of a cluster. A flow an end
/// of which matches nothing is reported with its location, never dropped silently.
public struct FlowResolver {
  public let cluster: Cluster
  let workloadsByName: [String: Int]
  let podsByName: [String: Int]
  let podsOfWorkload: [[Int]]
  let workloadsOfNamespace: [String: [Int]]

  public init(cluster: Cluster) {
    self.cluster = cluster
    var w: [String: Int] = [:]
    var byNs: [String: [Int]] = [:]
    for (i, wl) in cluster.workloads.enumerated() {
      let key = "\(wl.namespace)/\(wl.name)"
      if let other = w[key], cluster.workloads[other].kind <= wl.kind { continue }
      w[key] = i
    }
    for (i, wl) in cluster.workloads.enumerated() { byNs[wl.namespace, default: []].append(i) }
    var p: [String: Int] = [:]
    var of = Array(repeating: [Int](), count: cluster.workloads.count)
    for (i, pod) in cluster.pods.enumerated() {
      p["\(pod.namespace)/\(pod.name)"] = p["\(pod.namespace)/\(pod.name)"] ?? i
      if of.indices.contains(pod.workload) { of[pod.workload].append(i) }
    }
    workloadsByName = w
    podsByName = p
    podsOfWorkload = of
    workloadsOfNamespace = byNs
  }

  /// The pods of a workload.
  public func pods(of workload: Int) -> [Int] { podsOfWorkload[workload] }

  /// The cluster peers an endpoint stands for (several for a Service with several backend
  /// workloads), or a reason why none.
  func peers(_ end: FlowEndpoint) -> Result<[FlowPeer], Unresolved> {
    switch end {
    case .address(let cidr):
      return .success([.external(cidr)])
    case .named(let ns, let name):
      if let w = workloadsByName["\(ns)/\(name)"], !podsOfWorkload[w].isEmpty { return .success([.workload(w)]) }
      if let p = podsByName["\(ns)/\(name)"] { return .success([.pod(p)]) }
      if let service = cluster.services.first(where: { $0.namespace == ns && $0.name == name }),
        let selector = service.selector, !selector.isEmpty
      {
        let match = LabelSelector(matchLabels: selector)
        let backends = Set(
          cluster.pods.filter { $0.namespace == ns && match.matches($0.labels) }.map(\.workload)
        ).sorted()
        if !backends.isEmpty { return .success(backends.map { .workload($0) }) }
        return .failure(Unresolved(why: "\(ns)/\(name) is a Service that selects no pod of the manifests"))
      }
      return .failure(Unresolved(why: "\(ns)/\(name) matches no workload, pod or Service of the manifests"))
    case .hubble(let ns, let workload, let pod, let labels):
      if let workload, let w = workloadsByName["\(ns)/\(workload)"], !podsOfWorkload[w].isEmpty {
        return .success([.workload(w)])
      }
      // Older Cilium names the ReplicaSet (`name-<pod-template-hash>`): try its Deployment.
      if let workload, let dash = workload.lastIndex(of: "-"),
        Self.looksLikeTemplateHash(workload[dash...].dropFirst()),
        let w = workloadsByName["\(ns)/\(workload[..<dash])"], !podsOfWorkload[w].isEmpty
      {
        return .success([.workload(w)])
      }
      if let pod, let p = podsByName["\(ns)/\(pod)"] { return .success([.pod(p)]) }
      // Labels as Cilium reports them (a subset of the pod's: identity-relevant ones).
      var have: [String: String] = [:]
      for l in labels {
        guard let eq = l.firstIndex(of: "=") else { continue }
        let key = String(l[..<eq])
        if key.hasPrefix("io.kubernetes.") || key.hasPrefix("io.cilium.") { continue }
        have[key] = String(l[l.index(after: eq)...])
      }
      func agreement(_ w: Int) -> Int? {
        let want = cluster.workloads[w].podLabels
        var agree = 0
        for (k, v) in have {
          guard let mine = want[k] else { continue }
          if mine != v { return nil }
          agree += 1
        }
        return agree
      }
      let inNamespace = (workloadsOfNamespace[ns] ?? []).filter { !podsOfWorkload[$0].isEmpty }
      // The pod name starts with its workload's name: the longest such name whose labels agree.
      if let pod {
        let byName = inNamespace.filter { pod.hasPrefix(cluster.workloads[$0].name + "-") && agreement($0) != nil }
        if let best = byName.max(by: { cluster.workloads[$0].name.count < cluster.workloads[$1].name.count }) {
          return .success([.workload(best)])
        }
      }
      if !have.isEmpty {
        let scored = inNamespace.compactMap { w in agreement(w).map { (w, $0) } }.filter { $0.1 > 0 }
        let best = scored.map(\.1).max() ?? 0
        let top = scored.filter { $0.1 == best }.map(\.0)
        if top.count == 1 { return .success([.workload(top[0])]) }
        if top.count > 1 {
          let names = top.map { cluster.workloads[$0].name }.sorted().joined(separator: ", ")
          return .failure(Unresolved(why: "\(end) has labels that fit several workloads (\(names))"))
        }
      }
      return .failure(Unresolved(why: "\(end) matches no workload or pod of the manifests"))
    }
  }

  /// Whether a name suffix looks like a `pod-template-hash` (Kubernetes' safe alphabet).
  static func looksLikeTemplateHash(_ s: Substring) -> Bool {
    (5...10).contains(s.count) && s.allSatisfy { "bcdfghjklmnpqrstvwxz2456789".contains($0) }
  }

  /// The ports a workload serves: the target ports of the Services that select its pods, else
  /// the ports its pods declare.
  func servedPorts(_ peer: FlowPeer) -> [(TransportProtocol, Int)] {
    guard let w = peer.workload(in: cluster), let first = podsOfWorkload[w].first else { return [] }
    let pod = cluster.pods[first]
    var out = Set<[Int]>()
    for s in cluster.services where s.namespace == pod.namespace {
      guard let sel = s.selector, !sel.isEmpty, LabelSelector(matchLabels: sel).matches(pod.labels) else { continue }
      for sp in s.ports {
        switch sp.targetPort {
        case .number(let n): out.insert([TransportProtocol.allCases.firstIndex(of: sp.protocol)!, n])
        case .name(let name):
          if let d = pod.ports.first(where: { $0.name == name && $0.protocol == sp.protocol }) {
            out.insert([TransportProtocol.allCases.firstIndex(of: sp.protocol)!, d.port])
          }
        }
      }
    }
    if out.isEmpty {
      for d in pod.ports { out.insert([TransportProtocol.allCases.firstIndex(of: d.protocol)!, d.port]) }
    }
    return out.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) }.map { (TransportProtocol.allCases[$0[0]], $0[1]) }
  }

  /// Resolves every flow; the diagnostics (warnings) name each flow that could not be resolved.
  public func resolve(_ flows: [ObservedFlow]) -> (flows: [ResolvedFlow], diagnostics: [Diagnostic]) {
    var cache: [FlowEndpoint: Result<[FlowPeer], Unresolved>] = [:]
    func lookup(_ e: FlowEndpoint) -> Result<[FlowPeer], Unresolved> {
      if let hit = cache[e] { return hit }
      let r = peers(e)
      cache[e] = r
      return r
    }
    var out: [ResolvedFlow] = []
    var acc = FlowAccumulator()
    for flow in flows {
      let src: [FlowPeer]
      let dst: [FlowPeer]
      switch lookup(flow.source) {
      case .success(let s): src = s
      case .failure(let u):
        let why = u.why
        acc.warn(.unresolvedFlow, "flow \(flow.summary) not used: source \(why)", at: flow.location)
        continue
      }
      switch lookup(flow.destination) {
      case .success(let d): dst = d
      case .failure(let u):
        let why = u.why
        acc.warn(.unresolvedFlow, "flow \(flow.summary) not used: destination \(why)", at: flow.location)
        continue
      }
      for s in src {
        for d in dst {
          if case .external = s, case .external = d {
            acc.warn(
              .unresolvedFlow, "flow \(flow.summary) not used: neither end is in the cluster", at: flow.location)
            continue
          }
          var ports = [(flow.transport, flow.port)]
          if flow.port == 0 {
            ports = servedPorts(d)
            if ports.isEmpty {
              acc.warn(
                .unresolvedFlow,
                "flow \(flow.summary) not used: \(d.name(in: cluster)) declares no port and no Service port",
                at: flow.location)
              continue
            }
          }
          for (t, p) in ports {
            out.append(
              ResolvedFlow(
                source: s, destination: d, transport: t, port: p, count: flow.count, location: flow.location,
                destinationNames: flow.destinationNames))
          }
        }
      }
    }
    return (out, acc.finish(format: .ours).diagnostics)
  }
}
