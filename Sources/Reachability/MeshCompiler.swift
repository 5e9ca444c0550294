import Foundation
import KubeModel

/// Per-pod mesh facts that must split equivalence classes: pods differing in any of them may
/// get different mesh outcomes. Interned by `MeshCompiler.podKeys`.
struct MeshPodKey: Hashable {
  var dataplane: MeshDataplane
  /// Ambient only: the waypoint pod-addressed traffic would use (used or not, for reasons).
  var waypoint: WaypointRoute?
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
  /// Ambient only: the waypoint named for traffic addressed to the pod's IP (workload traffic),
  /// whether or not it handles that traffic (`handlesWorkload`).
  var waypoint: WaypointRoute?
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
  /// AuthorizationPolicies attached (`targetRefs` kind Gateway) to the waypoint of workload
  /// traffic, in order; empty when it does not handle workload traffic. Policies attached to a
  /// Service apply only to traffic addressed to that Service (`MeshStage.serviceWaypoints`).
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
  /// Indices by namespace, so that per-pod work does not scan every object.
  let servicesByNamespace: [String: [Int]]
  let peerAuthenticationsByNamespace: [String: [Int]]
  let authorizationPoliciesByNamespace: [String: [Int]]
  let gateways: WaypointIndex

  init(cluster: Cluster, options: MeshOptions) {
    self.cluster = cluster
    self.options = options
    self.nsLabels = cluster.namespaceLabelsByName()
    var services: [String: [Int]] = [:]
    for (i, s) in cluster.services.enumerated() { services[s.namespace, default: []].append(i) }
    var pas: [String: [Int]] = [:]
    for (i, p) in cluster.peerAuthentications.enumerated() { pas[p.namespace, default: []].append(i) }
    var aps: [String: [Int]] = [:]
    for (i, p) in cluster.authorizationPolicies.enumerated() { aps[p.namespace, default: []].append(i) }
    servicesByNamespace = services
    peerAuthenticationsByNamespace = pas
    authorizationPoliciesByNamespace = aps
    gateways = WaypointIndex(cluster: cluster)
  }

  /// The AuthorizationPolicies attached to a waypoint Gateway: `targetRefs` of kind Gateway
  /// naming it, in its namespace (targetRefs name objects of the policy's own namespace).
  func gatewayPolicies(_ route: WaypointRoute) -> [Int] {
    (authorizationPoliciesByNamespace[route.namespace] ?? []).filter { i in
      cluster.authorizationPolicies[i].targetRefs.contains { $0.kind == "Gateway" && $0.name == route.name }
    }
  }

  /// The AuthorizationPolicies attached to a Service (`targetRefs` of kind Service naming it).
  func servicePolicies(_ index: Int) -> [Int] {
    let svc = cluster.services[index]
    return (authorizationPoliciesByNamespace[svc.namespace] ?? []).filter { i in
      cluster.authorizationPolicies[i].targetRefs.contains { $0.kind == "Service" && $0.name == svc.name }
    }
  }

  func namespaceLabels(_ ns: String) -> [String: String] {
    nsLabels[ns] ?? [namespaceNameLabel: ns]
  }

  /// Whether any AuthorizationPolicy names IP blocks (then pod IPs split classes).
  var policiesNameIPs: Bool { Self.policiesNameIPs(cluster) }

  static func policiesNameIPs(_ cluster: Cluster) -> Bool {
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
    let pas = (peerAuthenticationsByNamespace[pod.namespace] ?? []).filter { i in
      guard let selector = cluster.peerAuthentications[i].selector else { return false }
      return selector.allSatisfy { pod.labels[$0.key] == $0.value }
    }
    var apCandidates = authorizationPoliciesByNamespace[pod.namespace] ?? []
    if pod.namespace != options.rootNamespace {
      apCandidates += authorizationPoliciesByNamespace[options.rootNamespace] ?? []
    }
    let aps = apCandidates.sorted().filter { i in
      guard let selector = cluster.authorizationPolicies[i].selector else { return false }
      return selector.allSatisfy { pod.labels[$0.key] == $0.value }
    }
    let services = (servicesByNamespace[pod.namespace] ?? []).filter { i in
      guard let selector = cluster.services[i].selector, !selector.isEmpty else { return false }
      return selector.allSatisfy { pod.labels[$0.key] == $0.value }
    }
    return MeshPodKey(
      dataplane: dataplane,
      waypoint: dataplane == .ambient
        ? MeshMembership.workloadRoute(of: pod, namespaceLabels: ns, gateways: gateways) : nil,
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
    oldest(
      indices, created: { cluster.peerAuthentications[$0].creationTimestamp },
      name: { cluster.peerAuthentications[$0].name })
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
    let meshWide = oldestPeerAuthentication(
      (peerAuthenticationsByNamespace[root] ?? []).filter { pas[$0].selector == nil })
    let nsWide = oldestPeerAuthentication(
      (peerAuthenticationsByNamespace[pod.namespace] ?? []).filter { pas[$0].selector == nil })
    let workload = oldestPeerAuthentication(key.peerAuthentications)
    let aps = cluster.authorizationPolicies
    var apCandidates = authorizationPoliciesByNamespace[pod.namespace] ?? []
    if pod.namespace != root { apCandidates += authorizationPoliciesByNamespace[root] ?? [] }
    apCandidates.sort()
    let selectorPolicies = apCandidates.filter { i in
      let p = aps[i]
      guard p.targetRefs.isEmpty else { return false }
      return p.selector == nil || key.authorizationPolicies.contains(i)
    }
    var waypointPolicies: [Int] = []
    if let route = key.waypoint, route.handlesWorkload {
      waypointPolicies = gatewayPolicies(route)
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

/// The identity patterns of every AuthorizationPolicy (principals and namespaces, with their
/// negations and `when` conditions), numbered, so that a client's identity reduces to the
/// set of patterns it matches. Exact patterns are looked up, wildcards scanned.
struct IdentityPatterns {
  var exactPrincipals: [String: [Int32]] = [:]
  var wildcardPrincipals: [(String, Int32)] = []
  var exactNamespaces: [String: [Int32]] = [:]
  var wildcardNamespaces: [(String, Int32)] = []

  init(cluster: Cluster) {
    var principals = Set<String>()
    var namespaces = Set<String>()
    for p in cluster.authorizationPolicies {
      for r in p.rules ?? [] {
        for s in r.from {
          principals.formUnion((s.principals ?? []) + (s.notPrincipals ?? []))
          principals.formUnion(AuthorizationSource.principals(ofServiceAccounts: s.serviceAccounts) ?? [])
          principals.formUnion(AuthorizationSource.principals(ofServiceAccounts: s.notServiceAccounts) ?? [])
          namespaces.formUnion((s.namespaces ?? []) + (s.notNamespaces ?? []))
        }
        for c in r.when {
          if c.key == "source.principal" { principals.formUnion((c.values ?? []) + (c.notValues ?? [])) }
          if c.key == "source.namespace" { namespaces.formUnion((c.values ?? []) + (c.notValues ?? [])) }
        }
      }
    }
    var next: Int32 = 0
    for pattern in principals.sorted() {
      if pattern.contains("*") {
        wildcardPrincipals.append((pattern, next))
      } else {
        exactPrincipals[pattern, default: []].append(next)
      }
      next += 1
    }
    for pattern in namespaces.sorted() {
      if pattern.contains("*") {
        wildcardNamespaces.append((pattern, next))
      } else {
        exactNamespaces[pattern, default: []].append(next)
      }
      next += 1
    }
  }

  /// The pattern ids one policy reads.
  func ids(of policy: AuthorizationPolicy) -> Set<Int32> {
    var out = Set<Int32>()
    func add(_ list: [String]?, principals: Bool) {
      for p in list ?? [] {
        if principals {
          if let ids = exactPrincipals[p] { out.formUnion(ids) }
          for (w, id) in wildcardPrincipals where w == p { out.insert(id) }
        } else {
          if let ids = exactNamespaces[p] { out.formUnion(ids) }
          for (w, id) in wildcardNamespaces where w == p { out.insert(id) }
        }
      }
    }
    for r in policy.rules ?? [] {
      for s in r.from {
        add(s.principals, principals: true)
        add(s.notPrincipals, principals: true)
        add(AuthorizationSource.principals(ofServiceAccounts: s.serviceAccounts), principals: true)
        add(AuthorizationSource.principals(ofServiceAccounts: s.notServiceAccounts), principals: true)
        add(s.namespaces, principals: false)
        add(s.notNamespaces, principals: false)
      }
      for c in r.when {
        if c.key == "source.principal" {
          add(c.values, principals: true)
          add(c.notValues, principals: true)
        }
        if c.key == "source.namespace" {
          add(c.values, principals: false)
          add(c.notValues, principals: false)
        }
      }
    }
    return out
  }

  /// The patterns an identity matches, sorted.
  func matches(namespace: String, serviceAccount: String) -> [Int32] {
    let principal = MeshMembership.principal(namespace: namespace, serviceAccount: serviceAccount)
    var out = (exactPrincipals[principal] ?? []) + (exactNamespaces[namespace] ?? [])
    for (p, id) in wildcardPrincipals where IstioPattern.matches(p, principal) { out.append(id) }
    for (p, id) in wildcardNamespaces where IstioPattern.matches(p, namespace) { out.append(id) }
    return out.sorted()
  }
}

/// DestinationRules by the Service FQDN they name: exact hosts looked up, wildcard hosts
/// scanned; the answer per Service is computed once.
final class DestinationRuleIndex: @unchecked Sendable {
  let cluster: Cluster
  var exact: [String: [Int]] = [:]
  var wildcard: [Int] = []
  private var perService: [Int: [Int: Int]] = [:]
  private let lock = NSLock()

  init(cluster: Cluster) {
    self.cluster = cluster
    for (i, dr) in cluster.destinationRules.enumerated() {
      if dr.host.hasPrefix("*") {
        wildcard.append(i)
      } else if let fqdn = Self.fqdn(dr.host, namespace: dr.namespace) {
        exact[fqdn, default: []].append(i)
      }
    }
  }

  /// The FQDN a non-wildcard host names (short names resolve in the rule's namespace).
  static func fqdn(_ host: String, namespace: String) -> String? {
    let parts = host.split(separator: ".")
    switch parts.count {
    case 0: return nil
    case 1: return "\(host).\(namespace).svc.cluster.local"
    case 2: return "\(host).svc.cluster.local"
    case 3 where parts[2] == "svc": return "\(host).cluster.local"
    default: return host
    }
  }

  /// The rules naming a Service, with their host rank (larger: more specific).
  func rules(forService index: Int) -> [Int: Int] {
    lock.lock()
    if let hit = perService[index] {
      lock.unlock()
      return hit
    }
    lock.unlock()
    let svc = cluster.services[index]
    let fqdn = "\(svc.name).\(svc.namespace).svc.cluster.local"
    var out: [Int: Int] = [:]
    for i in exact[fqdn] ?? [] { out[i] = 1000 }
    for i in wildcard {
      let dr = cluster.destinationRules[i]
      if let rank = MeshStage.hostRank(dr.host, namespace: dr.namespace, fqdn: fqdn) { out[i] = rank }
    }
    lock.lock()
    perService[index] = out
    lock.unlock()
    return out
  }
}
