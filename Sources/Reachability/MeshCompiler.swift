import KubeModel

/// Per-pod mesh facts that must split equivalence classes: pods differing in any of them may
/// get different mesh outcomes. Interned by `MeshCompiler.podKeys`.
struct MeshPodKey: Hashable {
  var dataplane: MeshDataplane
  var waypoint: String?
  var serviceAccount: String
  /// Indices of the PeerAuthentications, AuthorizationPolicies and Services that select the pod.
  var peerAuthentications: [Int]
  var authorizationPolicies: [Int]
  var services: [Int]
  /// Container ports (named Service target ports resolve against them).
  var ports: [ContainerPort]
  /// Pod IPs, only when some AuthorizationPolicy names IP blocks.
  var ips: [IPAddress]
}

/// The mesh facts of one pod class, compiled once.
struct MeshClassInfo: Sendable {
  var dataplane: MeshDataplane
  var waypoint: String?
  var namespace: String
  var serviceAccount: String
  var ips: [IPAddress]
  /// TCP target port -> the (Service, Service port) pairs exposing it.
  var exposure: [Int: [ExposedPort]]
  /// Applicable PeerAuthentication indices by scope (nil: none).
  var workloadPeerAuthentication: Int?
  var namespacePeerAuthentication: Int?
  var meshPeerAuthentication: Int?
  /// AuthorizationPolicies enforced by the sidecar or ztunnel (selector scope), in order.
  var policies: [Int]
  /// AuthorizationPolicies attached to the waypoint (`targetRefs`), in order.
  var waypointPolicies: [Int]
  /// Ports where the outcome may change (sorted; each starts a new piece).
  var cuts: [Int]
  /// Interned client and server profiles: classes with equal profiles share mesh answers.
  var clientProfile: Int32 = 0
  var serverProfile: Int32 = 0
}

/// A Service port exposing a pod's target port.
struct ExposedPort: Hashable, Sendable {
  var service: Int
  var port: ServicePort
}

/// Computes the per-pod mesh keys (for the engine's class key) and, after classes are built,
/// the per-class mesh facts.
struct MeshCompiler {
  let cluster: Cluster
  let options: MeshOptions
  let nsLabels: [String: [String: String]]

  init(cluster: Cluster, options: MeshOptions) {
    self.cluster = cluster
    self.options = options
    self.nsLabels = cluster.namespaceLabelsByName()
  }

  func namespaceLabels(_ ns: String) -> [String: String] {
    nsLabels[ns] ?? [namespaceNameLabel: ns]
  }

  /// Whether any AuthorizationPolicy names IP blocks (then pod IPs split classes).
  var policiesNameIPs: Bool {
    cluster.authorizationPolicies.contains { p in
      (p.rules ?? []).contains { r in
        r.from.contains { $0.ipBlocks != nil || $0.notIpBlocks != nil }
          || r.when.contains { $0.key == "source.ip" }
      }
    }
  }

  /// The address blocks AuthorizationPolicies name, for the engine's external range cuts.
  var namedBlocks: [IPRange] {
    var out: [IPRange] = []
    for p in cluster.authorizationPolicies {
      for r in p.rules ?? [] {
        for s in r.from {
          for text in (s.ipBlocks ?? []) + (s.notIpBlocks ?? []) {
            if let range = Self.block(text) { out.append(range) }
          }
        }
        for c in r.when where c.key == "source.ip" {
          for text in (c.values ?? []) + (c.notValues ?? []) {
            if let range = Self.block(text) { out.append(range) }
          }
        }
      }
    }
    return out
  }

  /// A CIDR or a single address as a range.
  static func block(_ text: String) -> IPRange? {
    if let cidr = CIDR(text) { return cidr.range }
    if let ip = IPAddress(text) { return IPRange(family: ip.family, lower: ip.value, upper: ip.value) }
    return nil
  }

  /// Interned mesh keys per pod (equal keys: same mesh facts).
  func podKeys() -> [Int32] {
    var ids: [MeshPodKey: Int32] = [:]
    var cache: [PodShape: MeshPodKey] = [:]
    let withIPs = policiesNameIPs
    var out: [Int32] = []
    out.reserveCapacity(cluster.pods.count)
    for pod in cluster.pods {
      let shape = PodShape(
        namespace: pod.namespace, labels: pod.labels, annotations: pod.annotations,
        containers: pod.containers, serviceAccount: pod.serviceAccount, hostNetwork: pod.hostNetwork,
        ports: pod.ports)
      var key: MeshPodKey
      if let hit = cache[shape] {
        key = hit
      } else {
        key = computeKey(pod)
        cache[shape] = key
      }
      if withIPs { key.ips = pod.ips }
      if let id = ids[key] {
        out.append(id)
      } else {
        let id = Int32(ids.count)
        ids[key] = id
        out.append(id)
      }
    }
    return out
  }

  struct PodShape: Hashable {
    var namespace: String
    var labels: [String: String]
    var annotations: [String: String]
    var containers: [String]
    var serviceAccount: String
    var hostNetwork: Bool
    var ports: [ContainerPort]
  }

  func computeKey(_ pod: Pod) -> MeshPodKey {
    let ns = namespaceLabels(pod.namespace)
    let dataplane = MeshMembership.dataplane(of: pod, namespaceLabels: ns, options: options)
    let pas = cluster.peerAuthentications.indices.filter { i in
      let p = cluster.peerAuthentications[i]
      guard p.namespace == pod.namespace, let selector = p.selector else { return false }
      return selector.allSatisfy { pod.labels[$0.key] == $0.value }
    }
    let aps = cluster.authorizationPolicies.indices.filter { i in
      let p = cluster.authorizationPolicies[i]
      guard p.namespace == pod.namespace || p.namespace == options.rootNamespace,
        let selector = p.selector
      else { return false }
      return selector.allSatisfy { pod.labels[$0.key] == $0.value }
    }
    let services = cluster.services.indices.filter { i in
      let s = cluster.services[i]
      guard s.namespace == pod.namespace, let selector = s.selector, !selector.isEmpty else {
        return false
      }
      return selector.allSatisfy { pod.labels[$0.key] == $0.value }
    }
    return MeshPodKey(
      dataplane: dataplane,
      waypoint: dataplane == .ambient ? MeshMembership.waypoint(of: pod, namespaceLabels: ns) : nil,
      serviceAccount: pod.serviceAccount, peerAuthentications: pas, authorizationPolicies: aps,
      services: services, ports: pod.ports, ips: [])
  }

  // MARK: per class

  /// Oldest first: by creation timestamp (absent ones last), then by name.
  func oldest<T>(_ items: [T], created: (T) -> String?, name: (T) -> String) -> T? {
    items.min { a, b in
      let ca = created(a) ?? "~"
      let cb = created(b) ?? "~"
      return (ca, name(a)) < (cb, name(b))
    }
  }

  func oldestPeerAuthentication(_ indices: [Int]) -> Int? {
    oldest(indices, created: { cluster.peerAuthentications[$0].creationTimestamp }, name: { cluster.peerAuthentications[$0].name })
  }

  /// The mesh facts of a class, from its representative pod.
  func classInfo(_ pod: Pod) -> MeshClassInfo {
    let key = computeKey(pod)
    var exposure: [Int: [ExposedPort]] = [:]
    for s in key.services {
      for port in cluster.services[s].ports where port.protocol == .tcp {
        let target: Int?
        switch port.targetPort {
        case .number(let n): target = n
        case .name(let name): target = pod.ports.first { $0.name == name && $0.protocol == .tcp }?.port
        }
        if let target { exposure[target, default: []].append(ExposedPort(service: s, port: port)) }
      }
    }
    let root = options.rootNamespace
    let pas = cluster.peerAuthentications
    let meshWide = oldestPeerAuthentication(pas.indices.filter { pas[$0].namespace == root && pas[$0].selector == nil })
    let nsWide = oldestPeerAuthentication(
      pas.indices.filter { pas[$0].namespace == pod.namespace && pas[$0].selector == nil })
    let workload = oldestPeerAuthentication(key.peerAuthentications)
    let aps = cluster.authorizationPolicies
    let selectorPolicies = aps.indices.filter { i in
      let p = aps[i]
      guard p.targetRefs.isEmpty else { return false }
      guard p.namespace == pod.namespace || p.namespace == root else { return false }
      return p.selector == nil || key.authorizationPolicies.contains(i)
    }
    var waypointPolicies: [Int] = []
    if let waypoint = key.waypoint {
      let serviceNames = Set(key.services.map { cluster.services[$0].name })
      waypointPolicies = aps.indices.filter { i in
        let p = aps[i]
        guard p.namespace == pod.namespace else { return false }
        return p.targetRefs.contains { ref in
          (ref.kind == "Gateway" && ref.name == waypoint)
            || (ref.kind == "Service" && serviceNames.contains(ref.name))
        }
      }
    }
    var cuts = Set<Int>()
    for t in exposure.keys {
      cuts.insert(t)
      cuts.insert(t + 1)
    }
    if let w = workload {
      for port in pas[w].portModes.keys {
        cuts.insert(port)
        cuts.insert(port + 1)
      }
    }
    for i in selectorPolicies + waypointPolicies {
      for port in Self.policyPorts(aps[i]) {
        cuts.insert(port)
        cuts.insert(port + 1)
      }
    }
    return MeshClassInfo(
      dataplane: key.dataplane, waypoint: key.waypoint, namespace: pod.namespace,
      serviceAccount: pod.serviceAccount, ips: pod.ips, exposure: exposure,
      workloadPeerAuthentication: workload, namespacePeerAuthentication: nsWide,
      meshPeerAuthentication: meshWide, policies: selectorPolicies, waypointPolicies: waypointPolicies,
      cuts: cuts.filter { (1...65535).contains($0) }.sorted())
  }

  /// Every port number a policy's rules name (ports, notPorts, destination.port).
  static func policyPorts(_ p: AuthorizationPolicy) -> [Int] {
    var out: [Int] = []
    for r in p.rules ?? [] {
      for o in r.to {
        for text in (o.ports ?? []) + (o.notPorts ?? []) { if let n = Int(text) { out.append(n) } }
      }
      for c in r.when where c.key == "destination.port" {
        for text in (c.values ?? []) + (c.notValues ?? []) { if let n = Int(text) { out.append(n) } }
      }
    }
    return out
  }
}
