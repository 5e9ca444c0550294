import Foundation
import KubeModel

/// Three-valued match of an AuthorizationPolicy rule against a flow.
enum Tri: Hashable {
  case yes, no, maybe

  static func all(_ items: [Tri]) -> Tri {
    if items.contains(.no) { return .no }
    return items.contains(.maybe) ? .maybe : .yes
  }

  static func any(_ items: [Tri]) -> Tri {
    if items.contains(.yes) { return .yes }
    return items.contains(.maybe) ? .maybe : .no
  }
}

/// The waypoint of traffic addressed to one Service, with the policies it enforces for it
/// (empty when it does not handle service traffic) and the ports they name.
struct ServiceWaypoint: Sendable {
  var route: WaypointRoute
  var policies: [Int]
  var cuts: [Int]
}

/// The source of a flow as the mesh sees it.
struct MeshClient: Hashable {
  var dataplane: MeshDataplane
  var namespace: String?
  var serviceAccount: String?
  var ips: [IPAddress]
  /// An external range (index into the engine's ranges), when the source is outside.
  var external: IPRange?
}

/// The mesh stage of the walk: transport (PeerAuthentication, DestinationRule, auto mTLS,
/// ambient HBONE) and AuthorizationPolicy, after the L3/L4 tiers. Compiled per class; answers
/// are cached per (client profile, server profile, connections, Service), so work grows with
/// distinct profiles, not with pod pairs.
public final class MeshStage: @unchecked Sendable {
  let cluster: Cluster
  let options: MeshOptions
  let classes: [MeshClassInfo]
  /// One representative client and server class per profile.
  let clients: [MeshClient]
  let serverRepresentative: [Int]
  /// Per client profile: its transport-only profile (dataplane and DestinationRule namespace),
  /// which is all that servers without AuthorizationPolicies see of a client.
  let clientTransport: [Int32]
  let transportProfileCount: Int32
  /// Per server profile: whether any AuthorizationPolicy applies (then identity matters).
  let serverHasPolicies: [Bool]
  /// Per client profile: dataplane, namespace index and matched identity patterns.
  let clientNamespace: [Int32]
  let clientMatches: [[Int32]]
  /// Per server profile: namespaces holding DestinationRules that name its Services, and the
  /// id of the identity patterns its policies read.
  let serverRuleNamespaces: [[Int32]]
  let serverPatternSet: [Int32]
  let patternSets: [Set<Int32>]
  let policiesNameIPs: Bool
  /// Coarse keys: a client reduced to what one server profile can tell apart.
  private var reducedIdentity: [UInt64: Int32] = [:]
  private var identityIDs: [[Int32]: Int32] = [:]
  private var coarse: [CoarseKey: Int32] = [:]

  struct CoarseKey: Hashable {
    /// Dataplane (3: external), the client's namespace + 1 when it holds a rule the server's
    /// Services see (else 0), and the client's identity as the server's policies see it.
    var dataplane: Int8
    var namespace: Int32
    var identity: Int32
    var server: Int32
    var set: Int32
  }
  let ruleIndex: DestinationRuleIndex
  /// Per Service (index into `Cluster.services`): the waypoint that traffic addressed to the
  /// Service would use, with the policies it enforces for it (nil: no `istio.io/use-waypoint`
  /// on the Service or its namespace, or an opt-out).
  let serviceWaypoints: [ServiceWaypoint?]
  private let lock = NSLock()
  private var cache: [CacheKey: [MeshPart]] = [:]
  /// Interned verdicts, and a cache keyed by (client profile, server profile, set key).
  private var verdicts: [MeshVerdict] = []
  private var verdictIDs: [MeshVerdict: Int32] = [:]
  private var fast: [UInt64: Int32] = [:]
  /// Per (client profile, server profile, first port of a piece): its outcome.
  private var pieceOutcomes: [UInt64: Outcome] = [:]

  struct CacheKey: Hashable {
    var client: Int32
    var server: Int32
    var service: Int
    var connections: ConnectionSet
  }

  init(cluster: Cluster, options: MeshOptions, classMembers: [[Int32]]) {
    self.cluster = cluster
    self.options = options
    let compiler = MeshCompiler(cluster: cluster, options: options)
    let namesIPs = compiler.policiesNameIPs
    let patterns = IdentityPatterns(cluster: cluster)
    let drNamespaces = Set(cluster.destinationRules.map(\.namespace))
    let ruleIndex = DestinationRuleIndex(cluster: cluster)
    self.ruleIndex = ruleIndex
    self.serviceWaypoints = cluster.services.indices.map { i in
      let svc = cluster.services[i]
      guard
        let route = MeshMembership.serviceRoute(
          of: svc, namespaceLabels: compiler.namespaceLabels(svc.namespace), gateways: compiler.gateways)
      else { return nil }
      // A waypoint enforces the policies attached to it (targetRefs kind Gateway) and, for
      // traffic addressed to a Service, those attached to that Service.
      let policies =
        route.handlesService
        ? (compiler.gatewayPolicies(route) + compiler.servicePolicies(i)).sorted() : []
      var cuts = Set<Int>()
      for p in policies {
        for port in MeshCompiler.policyPorts(cluster.authorizationPolicies[p]) where (1...65535).contains(port) {
          cuts.insert(port)
          if port < 65535 { cuts.insert(port + 1) }
        }
      }
      return ServiceWaypoint(route: route, policies: policies, cuts: cuts.sorted())
    }
    var infos: [MeshClassInfo] = []
    var clientIDs: [ClientProfile: Int32] = [:]
    var clients: [MeshClient] = []
    var serverIDs: [ServerProfile: Int32] = [:]
    var serverRepresentative: [Int] = []
    var transportIDs: [ClientProfile: Int32] = [:]
    var clientTransport: [Int32] = []
    var serverHasPolicies: [Bool] = []
    var namespaceIDs: [String: Int32] = [:]
    func nsID(_ name: String) -> Int32 {
      if let id = namespaceIDs[name] { return id }
      let id = Int32(namespaceIDs.count)
      namespaceIDs[name] = id
      return id
    }
    var clientNamespace: [Int32] = []
    var clientMatches: [[Int32]] = []
    var serverRuleNamespaces: [[Int32]] = []
    var serverPatternSet: [Int32] = []
    var patternSetIDs: [Set<Int32>: Int32] = [:]
    var patternSets: [Set<Int32>] = []
    let policyPatterns = cluster.authorizationPolicies.map { patterns.ids(of: $0) }
    for (cls, members) in classMembers.enumerated() {
      let pod = cluster.pods[Int(members[0])]
      var info = compiler.classInfo(pod)
      let client = MeshClient(
        dataplane: info.dataplane, namespace: pod.namespace, serviceAccount: pod.serviceAccount,
        ips: namesIPs ? pod.ips : [], external: nil)
      let clientKey = ClientProfile(
        dataplane: info.dataplane,
        ruleNamespace: drNamespaces.contains(pod.namespace) ? pod.namespace : "",
        matches: patterns.matches(namespace: pod.namespace, serviceAccount: pod.serviceAccount),
        ips: client.ips)
      if let id = clientIDs[clientKey] {
        info.clientProfile = id
      } else {
        info.clientProfile = Int32(clients.count)
        clientIDs[clientKey] = info.clientProfile
        clients.append(client)
        clientNamespace.append(nsID(pod.namespace))
        clientMatches.append(clientKey.matches)
        let transportKey = ClientProfile(
          dataplane: clientKey.dataplane, ruleNamespace: clientKey.ruleNamespace, matches: [], ips: [])
        if let t = transportIDs[transportKey] {
          clientTransport.append(t)
        } else {
          let t = Int32(transportIDs.count)
          transportIDs[transportKey] = t
          clientTransport.append(t)
        }
      }
      let server = ServerProfile(info: info, cluster: cluster, rules: ruleIndex)
      if let id = serverIDs[server] {
        info.serverProfile = id
      } else {
        info.serverProfile = Int32(serverRepresentative.count)
        serverIDs[server] = info.serverProfile
        serverRepresentative.append(cls)
        serverHasPolicies.append(!info.policies.isEmpty || !info.waypointPolicies.isEmpty)
        var ruleNamespaces = Set<Int32>()
        for list in server.exposure.values {
          for e in list {
            for i in e.rules.keys { ruleNamespaces.insert(nsID(cluster.destinationRules[i].namespace)) }
          }
        }
        serverRuleNamespaces.append(ruleNamespaces.sorted())
        var used = Set<Int32>()
        for i in info.policies + info.waypointPolicies {
          used.formUnion(policyPatterns[i])
        }
        if let id = patternSetIDs[used] {
          serverPatternSet.append(id)
        } else {
          let id = Int32(patternSets.count)
          patternSetIDs[used] = id
          patternSets.append(used)
          serverPatternSet.append(id)
        }
      }
      infos.append(info)
    }
    self.classes = infos
    self.clients = clients
    self.clientTransport = clientTransport
    self.transportProfileCount = Int32(transportIDs.count)
    self.serverHasPolicies = serverHasPolicies
    self.clientNamespace = clientNamespace
    self.clientMatches = clientMatches
    self.serverRuleNamespaces = serverRuleNamespaces
    self.serverPatternSet = serverPatternSet
    self.patternSets = patternSets
    self.policiesNameIPs = namesIPs
    self.serverRepresentative = serverRepresentative
  }

  /// What makes two classes equal as clients: the dataplane, the namespace where it holds
  /// DestinationRules, which identity patterns of the policies match it, and its IPs (only
  /// when policies name IP blocks).
  struct ClientProfile: Hashable {
    var dataplane: MeshDataplane
    var ruleNamespace: String
    var matches: [Int32]
    var ips: [IPAddress]
  }

  /// What makes two classes equal as servers: everything the evaluation reads of them, with
  /// Services reduced to what DestinationRule lookup and protocol detection see.
  struct ServerProfile: Hashable {
    struct Exposure: Hashable {
      var servicePort: Int
      var protocolClass: MeshPortProtocol?
      /// Matching DestinationRules with their host rank.
      var rules: [Int: Int]
      /// The Service's namespace when a matching rule lives there, else empty.
      var ruleNamespace: String
      /// The Service itself, only when several Service ports expose the port (reasons name them).
      var service: Int
    }
    var dataplane: MeshDataplane
    /// The waypoint named for workload traffic (its name, namespace and traffic type).
    var waypoint: WaypointRoute?
    var exposure: [Int: [Exposure]]
    var pa: [Int?]
    var policies: [Int]
    var waypointPolicies: [Int]

    init(info: MeshClassInfo, cluster: Cluster, rules index: DestinationRuleIndex) {
      dataplane = info.dataplane
      waypoint = info.waypoint
      pa = [info.workloadPeerAuthentication, info.namespacePeerAuthentication, info.meshPeerAuthentication]
      policies = info.policies
      waypointPolicies = info.waypointPolicies
      var exposure: [Int: [Exposure]] = [:]
      for (port, list) in info.exposure {
        exposure[port] = list.map { e in
          let svc = cluster.services[e.service]
          let rules = index.rules(forService: e.service)
          let inOwn = rules.keys.contains { cluster.destinationRules[$0].namespace == svc.namespace }
          return Exposure(
            servicePort: e.port.port, protocolClass: MeshMembership.portProtocol(e.port), rules: rules,
            ruleNamespace: inOwn ? svc.namespace : "", service: list.count > 1 ? e.service : -1)
        }
      }
      self.exposure = exposure
    }
  }

  /// The dataplane of a class.
  public func dataplane(ofClass cls: Int) -> MeshDataplane { classes[cls].dataplane }

  /// The number of distinct client and server profiles.
  public var profileCounts: (clients: Int, servers: Int) {
    (clients.count, serverRepresentative.count)
  }

  // MARK: flows

  /// The mesh outcome of connections (already allowed by the L3/L4 tiers) from one peer to
  /// another. `service` (an index into `Cluster.services`) narrows the DestinationRule and
  /// protocol lookup to the Service the flow is addressed to.
  func parts(
    from src: ClassPeer, to dst: ClassPeer, connections: ConnectionSet, externals: [IPRange],
    service: Int? = nil
  ) -> [MeshPart] {
    if connections.isEmpty { return [] }
    switch (src, dst) {
    case (.podClass, .podClass), (.external, .podClass):
      guard case .podClass(let d) = dst else { return [] }
      let (fullID, client) = self.client(src, externals: externals)
      // A flow addressed to a Service may go through the Service's waypoint, whose policies
      // read the client's identity: keyed by the full client profile.
      let clientID = service == nil ? Int32(effectiveClient(src, server: classes[d].serverProfile)) : fullID
      let key = CacheKey(
        client: clientID, server: classes[d].serverProfile, service: service ?? -1, connections: connections)
      if let hit = cached(key) { return hit }
      // Without a Service, the profile's representative answers for every class of the
      // profile; a named Service is looked up on the class itself.
      let server = service == nil ? classes[serverRepresentative[Int(classes[d].serverProfile)]] : classes[d]
      let pairKey: UInt64? =
        service == nil ? UInt64(clientID) << 42 | UInt64(classes[d].serverProfile) << 22 : nil
      let result = evaluate(
        client: client, server: server, connections: connections, service: service, pairKey: pairKey)
      store(key, result)
      return result
    case (.podClass(let s), .external):
      // Traffic leaving the mesh: a proxy on the source sends it as it is.
      let t: MeshTransport = classes[s].dataplane == .none ? .none : .plaintext
      return split(connections) { proto, _ in
        if proto != .tcp || t == .none { return Self.untouched }
        return Outcome(
          transport: t, authorization: .notApplicable,
          reasons: [
            MeshReason(
              part: "transport", text: "the destination is outside the mesh; the source's proxy sends plaintext")
          ])
      }
    case (.external, .external):
      return []
    }
  }

  /// Flag of effective client ids that stand for a transport-only profile.
  static let transportFlag = 1 << 21

  /// The client id that decides a flow to a server profile: the full profile when the server
  /// enforces AuthorizationPolicies, else the transport-only profile (every external range
  /// shares one).
  func effectiveClient(_ peer: ClassPeer, server: Int32) -> Int {
    if serverHasPolicies[Int(server)] {
      switch peer {
      case .podClass(let s): return Int(classes[s].clientProfile)
      case .external(let e): return clients.count + e
      }
    }
    switch peer {
    case .podClass(let s): return Self.transportFlag | Int(clientTransport[Int(classes[s].clientProfile)])
    case .external: return Self.transportFlag | Int(transportProfileCount)
    }
  }

  /// The client profile id (external ranges after the pod profiles) and its representative.
  func client(_ peer: ClassPeer, externals: [IPRange]) -> (Int32, MeshClient) {
    switch peer {
    case .podClass(let s):
      let id = classes[s].clientProfile
      return (id, clients[Int(id)])
    case .external(let e):
      return (
        Int32(clients.count + e),
        MeshClient(dataplane: .none, namespace: nil, serviceAccount: nil, ips: [], external: externals[e])
      )
    }
  }

  /// The interned verdict of a class-level flow whose connections are identified by
  /// `setKey` (for example a `ClassConnectionTable` set index): the same key must always come
  /// with the same connections.
  func verdictID(
    from src: ClassPeer, to dst: ClassPeer, connections: ConnectionSet, setKey: Int, externals: [IPRange]
  ) -> Int32 {
    let clientID: Int
    let serverID: Int
    switch dst {
    case .podClass(let d):
      serverID = Int(classes[d].serverProfile)
      clientID = effectiveClient(src, server: classes[d].serverProfile)
    case .external(let e):
      serverID = serverRepresentative.count + e
      switch src {
      case .podClass(let s): clientID = Int(classes[s].clientProfile)
      case .external(let x): clientID = clients.count + x
      }
    }
    let key = UInt64(clientID) << 42 | UInt64(serverID) << 22 | UInt64(setKey)
    lock.lock()
    // Flows to pods: the coarse key alone; flows to external ranges: the exact key.
    var coarseKey: CoarseKey? = nil
    if case .podClass(let d) = dst {
      let k = self.coarseKey(src, server: classes[d].serverProfile, setKey: setKey)
      if let hit = coarse[k] {
        lock.unlock()
        return hit
      }
      coarseKey = k
    } else if let hit = fast[key] {
      lock.unlock()
      return hit
    }
    lock.unlock()
    let verdict = MeshVerdict(parts: parts(from: src, to: dst, connections: connections, externals: externals))
    lock.lock()
    defer { lock.unlock() }
    let id: Int32
    if let known = verdictIDs[verdict] {
      id = known
    } else {
      id = Int32(verdicts.count)
      verdicts.append(verdict)
      verdictIDs[verdict] = id
    }
    if let coarseKey { coarse[coarseKey] = id } else { fast[key] = id }
    return id
  }

  /// The verdict ids of every row of a class-level table, in one pass without hashing per row.
  ///
  /// A row's verdict is a function of (client stamp, destination slot, set index): the client
  /// stamp is the source's client profile (external sources after the profiles), the slot the
  /// destination's server profile (external ranges after the profiles). Both `verdictID` keys
  /// (the coarse one for flows to pods, the exact one for flows to external ranges) are
  /// functions of that triple. The table's per-source blocks are visited grouped by client
  /// stamp, and a dense array over slots remembers the last (stamp, set, id) seen: a row is
  /// answered by an array read, and only a triple met for the first time in its group goes
  /// through `verdictID` (its hashed caches and, the first time ever, the evaluation).
  func verdictIDs(table: ClassConnectionTable, externals: [IPRange]) -> [Int32] {
    let count = table.count
    var out = [Int32](repeating: 0, count: count)
    if count == 0 { return out }
    let rows = table.rows
    let peerBits = UInt64(table.peerBits)
    let setBits = UInt64(table.setBits)
    let peerMask = table.peerMask
    let setMask: UInt64 = (1 << setBits) - 1
    let classCount = table.classCount
    let serverCount = serverRepresentative.count
    // Per-source blocks of rows (rows are sorted by source), with their client stamps.
    var blockStarts: [Int] = []
    var blockStamps: [Int32] = []
    var previous: UInt64 = .max
    var lastDestination = 0
    for i in 0..<count {
      lastDestination = max(lastDestination, Int(rows[i] >> setBits & peerMask))
      let code = rows[i] >> (setBits + peerBits) & peerMask
      if code != previous {
        previous = code
        blockStarts.append(i)
        let c = Int(code)
        blockStamps.append(c < classCount ? classes[c].clientProfile : Int32(clients.count + c - classCount))
      }
    }
    blockStarts.append(count)
    let order = (0..<blockStamps.count).sorted {
      (blockStamps[$0], $0) < (blockStamps[$1], $1)
    }
    let serverOf = classes.map(\.serverProfile)
    let slots = max(serverCount + externals.count, serverCount + lastDestination + 1 - classCount)
    var memoStamp = [Int32](repeating: -1, count: slots)
    var memoSet = [Int32](repeating: -1, count: slots)
    var memoID = [Int32](repeating: 0, count: slots)
    for b in order {
      let stamp = blockStamps[b]
      for i in blockStarts[b]..<blockStarts[b + 1] {
        let row = rows[i]
        let dstCode = Int(row >> setBits & peerMask)
        let set = Int32(truncatingIfNeeded: row & setMask)
        let slot = dstCode < classCount ? Int(serverOf[dstCode]) : serverCount + dstCode - classCount
        if memoStamp[slot] == stamp && memoSet[slot] == set {
          out[i] = memoID[slot]
          continue
        }
        let id = verdictID(
          from: table.source(i), to: table.destination(i), connections: table.connections(i), setKey: Int(set),
          externals: externals)
        memoStamp[slot] = stamp
        memoSet[slot] = set
        memoID[slot] = id
        out[i] = id
      }
    }
    return out
  }

  /// The client as one server profile sees it (call with the lock held): its dataplane, its
  /// namespace only when that namespace holds a DestinationRule naming the server's Services,
  /// and its identity patterns only those the server's policies read (the whole profile when
  /// policies name IP blocks, or for external sources of a server with policies).
  private func coarseKey(_ src: ClassPeer, server: Int32, setKey: Int) -> CoarseKey {
    let s = Int(server)
    switch src {
    case .external(let e):
      let identity: Int32 = serverHasPolicies[s] ? Int32(1 + e) : 0
      return CoarseKey(dataplane: 3, namespace: 0, identity: identity, server: server, set: Int32(setKey))
    case .podClass(let c):
      let profile = Int(classes[c].clientProfile)
      let dataplane: Int8
      switch clients[profile].dataplane {
      case .none: dataplane = 0
      case .sidecar: dataplane = 1
      case .ambient: dataplane = 2
      }
      let ns = clientNamespace[profile]
      let namespace: Int32 = serverRuleNamespaces[s].contains(ns) ? ns + 1 : 0
      var identity: Int32 = 0
      if serverHasPolicies[s] {
        if policiesNameIPs {
          identity = -1 - Int32(profile)
        } else {
          let pairKey = UInt64(profile) << 32 | UInt64(UInt32(serverPatternSet[s]))
          if let known = reducedIdentity[pairKey] {
            identity = known
          } else {
            let used = patternSets[Int(serverPatternSet[s])]
            let reduced = clientMatches[profile].filter { used.contains($0) }
            let id: Int32
            if let known = identityIDs[reduced] {
              id = known
            } else {
              id = Int32(identityIDs.count + 1)
              identityIDs[reduced] = id
            }
            reducedIdentity[pairKey] = id
            identity = id
          }
          // The namespace is part of the identity when a policy reads namespaces; the pattern
          // ids cover that, as namespace patterns are numbered with the principal ones.
        }
      }
      return CoarseKey(
        dataplane: dataplane, namespace: namespace, identity: identity, server: server, set: Int32(setKey))
    }
  }

  /// An interned verdict.
  func verdict(id: Int32) -> MeshVerdict {
    lock.lock()
    defer { lock.unlock() }
    return verdicts[Int(id)]
  }

  private func cached(_ key: CacheKey) -> [MeshPart]? {
    lock.lock()
    defer { lock.unlock() }
    return cache[key]
  }

  private func store(_ key: CacheKey, _ value: [MeshPart]) {
    lock.lock()
    cache[key] = value
    lock.unlock()
  }

  struct Outcome: Hashable {
    var transport: MeshTransport
    var authorization: MeshAuthorization
    var reasons: [MeshReason]
  }

  static let untouched = Outcome(transport: .none, authorization: .notApplicable, reasons: [])

  /// Splits connections into pieces by `cuts` (TCP only), asks `outcome` for each piece's
  /// first port, and merges neighbours with equal outcomes.
  func split(
    _ connections: ConnectionSet, cuts: [Int] = [], _ outcome: (TransportProtocol, Int) -> Outcome
  ) -> [MeshPart] {
    // Few distinct outcomes per flow: grouped by comparison, not hashing.
    var groups: [(outcome: Outcome, ports: [TransportProtocol: [PortRange]])] = []
    for proto in connections.protocols {
      for range in connections.ranges[proto] ?? [] {
        var pieces: [PortRange] = []
        if proto == .tcp {
          var lo = range.lower
          for cut in cuts where cut > lo && cut <= range.upper {
            pieces.append(PortRange(lo, cut - 1))
            lo = cut
          }
          pieces.append(PortRange(lo, range.upper))
        } else {
          pieces = [range]
        }
        for piece in pieces {
          let o = outcome(proto, piece.lower)
          if let g = groups.firstIndex(where: { $0.outcome == o }) {
            groups[g].ports[proto, default: []].append(piece)
          } else {
            groups.append((o, [proto: [piece]]))
          }
        }
      }
    }
    var parts = groups.map { g in
      MeshPart(
        connections: ConnectionSet(g.ports), transport: g.outcome.transport,
        authorization: g.outcome.authorization, reasons: g.outcome.reasons)
    }
    if !connections.namedPorts.isEmpty {
      parts.append(
        MeshPart(
          connections: ConnectionSet([:], namedPorts: connections.namedPorts), transport: .none,
          authorization: .notApplicable, reasons: []))
    }
    parts.sort { Self.firstPort($0.connections) < Self.firstPort($1.connections) }
    return parts
  }

  static func firstPort(_ c: ConnectionSet) -> String {
    guard let proto = c.protocols.first else { return "" }
    let lower = c.ranges[proto]?.first?.lower ?? 0
    return "\(proto.rawValue) \(String(repeating: "0", count: 5 - String(lower).count))\(lower)"
  }

  func evaluate(
    client: MeshClient, server: MeshClassInfo, connections: ConnectionSet, service: Int?, pairKey: UInt64? = nil
  ) -> [MeshPart] {
    var cuts = server.cuts
    if let service, server.dataplane == .ambient, let w = serviceWaypoints[service], !w.cuts.isEmpty {
      cuts = Array(Set(cuts).union(w.cuts)).sorted()
    }
    return split(connections, cuts: cuts) { proto, port in
      if proto == .tcp, let pairKey {
        let key = pairKey | UInt64(port)
        lock.lock()
        let hit = pieceOutcomes[key]
        lock.unlock()
        if let hit { return hit }
        let o = outcome(client: client, server: server, port: port, service: service)
        lock.lock()
        pieceOutcomes[key] = o
        lock.unlock()
        return o
      }
      if proto != .tcp {
        if client.dataplane == .none && server.dataplane == .none { return Self.untouched }
        return Outcome(
          transport: .none, authorization: .notApplicable,
          reasons: [
            MeshReason(part: "transport", text: "Istio captures TCP only; \(proto.rawValue) passes outside the mesh")
          ])
      }
      return outcome(client: client, server: server, port: port, service: service)
    }
  }

  // MARK: one port

  func ref(_ p: PeerAuthentication) -> MeshObjectRef {
    MeshObjectRef(kind: "PeerAuthentication", namespace: p.namespace, name: p.name, location: p.location)
  }

  func ref(_ d: DestinationRule) -> MeshObjectRef {
    MeshObjectRef(kind: "DestinationRule", namespace: d.namespace, name: d.name, location: d.location)
  }

  func ref(_ a: AuthorizationPolicy) -> MeshObjectRef {
    MeshObjectRef(kind: "AuthorizationPolicy", namespace: a.namespace, name: a.name, location: a.location)
  }

  /// The Service ports a flow to `port` of the server goes through.
  func exposing(_ server: MeshClassInfo, port: Int, service: Int?) -> [ExposedPort] {
    let all = server.exposure[port] ?? []
    guard let service else { return all }
    return all.filter { $0.service == service }
  }

  /// The server's effective mTLS mode at a port, with its reason.
  func serverMode(_ server: MeshClassInfo, port: Int, exposed: Bool) -> (MutualTLSMode, MeshReason) {
    let ambient = server.dataplane == .ambient
    func usable(_ mode: MutualTLSMode?) -> MutualTLSMode? {
      guard let mode, mode != .unset else { return nil }
      return ambient && mode == .disable ? nil : mode
    }
    if let w = server.workloadPeerAuthentication {
      let pa = cluster.peerAuthentications[w]
      if let entry = pa.portModes[port], exposed {
        if let mode = usable(entry) {
          return (
            mode,
            MeshReason(part: "transport", text: "\(mode.rawValue) for port \(port) (portLevelMtls)", object: ref(pa))
          )
        }
      }
      if let mode = usable(pa.mode) {
        return (mode, MeshReason(part: "transport", text: "workload policy sets \(mode.rawValue)", object: ref(pa)))
      }
    }
    if let n = server.namespacePeerAuthentication, let mode = usable(cluster.peerAuthentications[n].mode) {
      let pa = cluster.peerAuthentications[n]
      let scope = pa.namespace == options.rootNamespace ? "mesh-wide" : "namespace-wide"
      return (mode, MeshReason(part: "transport", text: "\(scope) policy sets \(mode.rawValue)", object: ref(pa)))
    }
    if let m = server.meshPeerAuthentication, let mode = usable(cluster.peerAuthentications[m].mode) {
      let pa = cluster.peerAuthentications[m]
      return (mode, MeshReason(part: "transport", text: "mesh-wide policy sets \(mode.rawValue)", object: ref(pa)))
    }
    return (
      .permissive, MeshReason(part: "transport", text: "no PeerAuthentication sets a mode: PERMISSIVE (mesh default)")
    )
  }

  /// The DestinationRule that applies to a client namespace and a Service: client namespace,
  /// then the Service's namespace, then the root namespace; the most specific host wins, then
  /// the oldest.
  func destinationRule(clientNamespace: String, service index: Int) -> DestinationRule? {
    let service = cluster.services[index]
    let matching = ruleIndex.rules(forService: index)
    var seen = Set<String>()
    for ns in [clientNamespace, service.namespace, options.rootNamespace] where seen.insert(ns).inserted {
      let candidates = matching.compactMap { i, rank -> (DestinationRule, Int)? in
        let dr = cluster.destinationRules[i]
        return dr.namespace == ns ? (dr, rank) : nil
      }
      if let best = candidates.min(by: { a, b in
        (-a.1, a.0.creationTimestamp ?? "~", a.0.name) < (-b.1, b.0.creationTimestamp ?? "~", b.0.name)
      }) {
        return best.0
      }
    }
    return nil
  }

  /// How specifically a DestinationRule host names a Service FQDN (larger is more specific);
  /// nil when it does not. Short names resolve in the rule's namespace.
  static func hostRank(_ host: String, namespace: String, fqdn: String) -> Int? {
    if host == "*" { return 0 }
    if host.hasPrefix("*") {
      let suffix = host.dropFirst()
      return fqdn.hasSuffix(suffix) ? suffix.count : nil
    }
    let parts = host.split(separator: ".")
    let full: String
    switch parts.count {
    case 1: full = "\(host).\(namespace).svc.cluster.local"
    case 2: full = "\(host).svc.cluster.local"
    case 3 where parts[2] == "svc": full = "\(host).cluster.local"
    default: full = host
    }
    return full == fqdn ? 1000 : nil
  }

  /// The client's TLS towards a Service port: the DestinationRule's mode (port level first)
  /// and the rule, or nil for auto mTLS.
  func clientTLS(clientNamespace: String, via: ExposedPort) -> (ClientTLSMode, DestinationRule)? {
    guard let dr = destinationRule(clientNamespace: clientNamespace, service: via.service)
    else { return nil }
    if let entry = dr.portTLSModes[via.port.port], let mode = entry { return (mode, dr) }
    if let mode = dr.tlsMode { return (mode, dr) }
    return nil
  }

  /// Transport and authorization of one TCP port.
  func outcome(client: MeshClient, server: MeshClassInfo, port: Int, service: Int?) -> Outcome {
    if client.dataplane == .none && server.dataplane == .none { return Self.untouched }
    var reasons: [MeshReason] = []
    let via = exposing(server, port: port, service: service).sorted {
      let a = cluster.services[$0.service]
      let b = cluster.services[$1.service]
      return (a.namespace, a.name, $0.port.port) < (b.namespace, b.name, $1.port.port)
    }
    let serverInMesh = server.dataplane != .none
    var mode = MutualTLSMode.disable
    if serverInMesh {
      let (m, reason) = serverMode(server, port: port, exposed: !(server.exposure[port] ?? []).isEmpty)
      mode = m
      reasons.append(reason)
      if let w = server.workloadPeerAuthentication, cluster.peerAuthentications[w].portModes[port] != nil,
        (server.exposure[port] ?? []).isEmpty
      {
        reasons.append(
          MeshReason(
            part: "transport",
            text: "portLevelMtls for port \(port) applies only to ports a Service exposes; ignored",
            object: ref(cluster.peerAuthentications[w])))
      }
    } else {
      reasons.append(
        MeshReason(part: "transport", text: "the destination has no sidecar and is not in the ambient mesh"))
    }
    // What the client sends: mesh mTLS (explicit or auto), or plaintext.
    enum Send {
      case mtls(explicit: Bool)
      case plaintext
    }
    var send = Send.plaintext
    switch client.dataplane {
    case .none:
      reasons.append(
        MeshReason(
          part: "transport",
          text: client.external != nil
            ? "the source is outside the cluster: plaintext"
            : "the source has no sidecar and is not in the ambient mesh: plaintext"))
    case .ambient:
      if serverInMesh && !(server.dataplane == .sidecar && mode == .disable) {
        send = .mtls(explicit: false)
        reasons.append(
          MeshReason(part: "transport", text: "ztunnel carries ambient traffic to mesh workloads over HBONE (mTLS)"))
      } else {
        reasons.append(MeshReason(part: "transport", text: "ztunnel sends plaintext to a workload outside the mesh"))
      }
    case .sidecar:
      var explicit: (ClientTLSMode, DestinationRule)? = nil
      if let first = via.first, let ns = client.namespace {
        explicit = clientTLS(clientNamespace: ns, via: first)
        if via.count > 1 {
          let names = via.map {
            "\(cluster.services[$0.service].namespace)/\(cluster.services[$0.service].name):\($0.port.port)"
          }
          reasons.append(
            MeshReason(
              part: "transport",
              text:
                "several Service ports expose this port (\(names.joined(separator: ", "))); the first is used for the DestinationRule lookup"
            ))
        }
      }
      if let (tls, dr) = explicit {
        switch tls {
        case .istioMutual:
          send = .mtls(explicit: true)
          reasons.append(MeshReason(part: "transport", text: "client TLS mode ISTIO_MUTUAL", object: ref(dr)))
        case .disable:
          reasons.append(MeshReason(part: "transport", text: "client TLS mode DISABLE: plaintext", object: ref(dr)))
        case .simple, .mutual:
          reasons.append(
            MeshReason(
              part: "transport",
              text: "client TLS mode \(tls.rawValue) originates TLS with user certificates, not mesh mTLS",
              object: ref(dr)))
        }
      } else if serverInMesh && mode != .disable {
        send = .mtls(explicit: false)
        reasons.append(MeshReason(part: "transport", text: "auto mTLS: the destination is in the mesh"))
      } else {
        reasons.append(
          MeshReason(
            part: "transport",
            text: serverInMesh
              ? "auto mTLS: the destination disables mTLS on this port: plaintext"
              : "auto mTLS: the destination has no sidecar: plaintext"))
      }
    }
    let transport: MeshTransport
    switch send {
    case .mtls:
      transport = serverInMesh && mode != .disable ? .mtls : .failed
    case .plaintext:
      transport = serverInMesh && mode == .strict ? .rejected : .plaintext
    }
    if !transport.passes {
      return Outcome(transport: transport, authorization: .notApplicable, reasons: reasons)
    }
    guard serverInMesh else {
      return Outcome(transport: transport, authorization: .notApplicable, reasons: reasons)
    }
    let protocolClass = portProtocol(via)
    let (authz, authzReasons) = authorize(
      client: client, server: server, port: port, mtls: transport == .mtls, protocolClass: protocolClass,
      service: service)
    return Outcome(transport: transport, authorization: authz, reasons: reasons + authzReasons)
  }

  /// The port's protocol from the Service ports exposing it (nil: unknown or disagreeing).
  func portProtocol(_ via: [ExposedPort]) -> MeshPortProtocol? {
    let kinds = Set(via.map { MeshMembership.portProtocol($0.port) })
    guard kinds.count == 1, let only = kinds.first else { return nil }
    return only
  }

  // MARK: authorization

  enum Enforcer { case sidecar, ztunnel, waypoint }

  /// The waypoint a flow to an ambient server goes through, by the flow's original addressing
  /// (istio.io ambient/usage/waypoint, "Waypoint traffic types": "Traffic type concerns the
  /// original addressing"):
  /// - addressed to the pod's IP (`service == nil`: every matrix flow, `analyze`, `explain A B`):
  ///   workload traffic, through the pod's waypoint only when it handles workload traffic;
  /// - addressed to a Service (`explain A svc:ns/name`): service traffic, through the Service's
  ///   waypoint only when it handles service traffic.
  /// Returns the waypoint used (with its policies) and the reason saying which one and why.
  func waypointPath(server: MeshClassInfo, service: Int?) -> (used: (WaypointRoute, [Int])?, reason: MeshReason?) {
    guard server.dataplane == .ambient else { return (nil, nil) }
    let route: WaypointRoute
    let policies: [Int]
    let addressed: String
    let handles: Bool
    if let service {
      guard let w = serviceWaypoints[service] else { return (nil, nil) }
      route = w.route
      policies = w.policies
      let svc = cluster.services[service]
      addressed = "traffic addressed to Service \(svc.namespace)/\(svc.name)"
      handles = route.handlesService
    } else {
      guard let w = server.waypoint else { return (nil, nil) }
      route = w
      policies = server.waypointPolicies
      addressed = "pod-addressed traffic"
      handles = route.handlesWorkload
    }
    let gateway = route.gateway.map { cluster.waypoints[$0] }
    let object = gateway.map {
      MeshObjectRef(kind: "Gateway", namespace: $0.namespace, name: $0.name, location: $0.location)
    }
    let label = "\(IstioLabel.useWaypoint) on the \(route.enrolledBy.rawValue)"
    let resourceNamespace = service.map { cluster.services[$0].namespace } ?? server.namespace
    let kind =
      gateway == nil
      ? "handles \(route.trafficType.phrase) (assumed: its Gateway is not in the input)"
      : !route.attached
        ? "does not accept resources of namespace \(resourceNamespace) (allowedRoutes of its HBONE listener)"
        : "handles \(route.trafficType.phrase)"
    if handles {
      return (
        (route, policies),
        MeshReason(
          part: "authorization",
          text: "\(addressed) goes through waypoint \(route.qualifiedName) (\(label); it \(kind))", object: object)
      )
    }
    return (
      nil,
      MeshReason(
        part: "authorization",
        text: "waypoint \(route.qualifiedName) (\(label)) \(kind); \(addressed) goes to the destination ztunnel",
        object: object)
    )
  }

  func authorize(
    client: MeshClient, server: MeshClassInfo, port: Int, mtls: Bool, protocolClass: MeshPortProtocol?,
    service: Int? = nil
  ) -> (MeshAuthorization, [MeshReason]) {
    var groups: [(Enforcer, [Int])] = []
    var waypoint: WaypointRoute? = nil
    var reasons: [MeshReason] = []
    switch server.dataplane {
    case .sidecar: groups.append((.sidecar, server.policies))
    case .ambient:
      let (used, reason) = waypointPath(server: server, service: service)
      if let reason { reasons.append(reason) }
      if let (route, policies) = used {
        waypoint = route
        groups.append((.waypoint, policies))
      }
      groups.append((.ztunnel, server.policies))
    case .none: return (.notApplicable, [])
    }
    var result = MeshAuthorization.allowed
    for (enforcer, policies) in groups {
      // Behind a waypoint the destination ztunnel receives the connection from the waypoint over
      // HBONE, so its (selector-attached) policies see the waypoint's identity: the Gateway's
      // service account in the waypoint's namespace (istio.io ambient/usage/l4-policy). Only the
      // waypoint's own (targetRefs) policies see the original client.
      let behindWaypoint = enforcer == .ztunnel && waypoint != nil
      let seen =
        behindWaypoint
        ? MeshClient(
          dataplane: .ambient, namespace: waypoint!.namespace, serviceAccount: waypoint!.name, ips: [], external: nil)
        : client
      let (r, rs) = decide(
        client: seen, port: port, mtls: behindWaypoint ? true : mtls, protocolClass: protocolClass, enforcer: enforcer,
        policies: policies)
      if behindWaypoint && !policies.isEmpty && r != .allowed {
        reasons.append(
          MeshReason(
            part: "authorization",
            text:
              "ztunnel policies see the waypoint's identity \(MeshMembership.principal(namespace: waypoint!.namespace, serviceAccount: waypoint!.name)), not the client's",
            object: nil))
      }
      reasons += rs
      if r == .denied { return (.denied, reasons) }
      if r == .dependsOnL7 { result = .dependsOnL7 }
    }
    return (result, reasons)
  }

  func decide(
    client: MeshClient, port: Int, mtls: Bool, protocolClass: MeshPortProtocol?, enforcer: Enforcer,
    policies: [Int]
  ) -> (MeshAuthorization, [MeshReason]) {
    let place: String
    switch enforcer {
    case .sidecar: place = "sidecar"
    case .ztunnel: place = "ztunnel"
    case .waypoint: place = "waypoint"
    }
    var reasons: [MeshReason] = []
    var denyMaybe: AuthorizationPolicy? = nil
    var allowPolicies = 0
    var allowMaybe: AuthorizationPolicy? = nil
    var allowed: AuthorizationPolicy? = nil
    let aps = policies.map { cluster.authorizationPolicies[$0] }
    // CUSTOM first: reported, not decided.
    for p in aps where p.action == .custom {
      reasons.append(
        MeshReason(
          part: "authorization",
          text: "CUSTOM policy delegates to provider \(p.provider ?? "(none)") at the \(place); not decided here",
          object: ref(p)))
    }
    for p in aps where p.action == .deny || (enforcer == .ztunnel && p.action == .allow && Self.hasL7(p)) {
      let converted = p.action == .allow
      let m = policyMatch(
        p, client: client, port: port, mtls: mtls, protocolClass: protocolClass, deny: true,
        ignoreL7: enforcer == .ztunnel)
      if converted && m != .no {
        reasons.append(
          MeshReason(
            part: "authorization",
            text: "ALLOW policy with HTTP-only fields enforced by ztunnel fails safe as DENY, and matches",
            object: ref(p)))
        return (.denied, reasons)
      }
      if m == .yes {
        reasons.append(MeshReason(part: "authorization", text: "DENY policy matches at the \(place)", object: ref(p)))
        return (.denied, reasons)
      }
      if m == .maybe && denyMaybe == nil { denyMaybe = p }
    }
    for p in aps where p.action == .allow && !(enforcer == .ztunnel && Self.hasL7(p)) {
      allowPolicies += 1
      let m = policyMatch(
        p, client: client, port: port, mtls: mtls, protocolClass: protocolClass, deny: false, ignoreL7: false)
      if m == .yes && allowed == nil { allowed = p }
      if m == .maybe && allowMaybe == nil { allowMaybe = p }
    }
    if let p = denyMaybe {
      reasons.append(
        MeshReason(
          part: "authorization",
          text: "DENY policy matches only if its HTTP-only fields do (HTTP port at the \(place))", object: ref(p)))
      return (.dependsOnL7, reasons)
    }
    if allowPolicies == 0 {
      if reasons.isEmpty {
        reasons.append(
          MeshReason(part: "authorization", text: "no ALLOW or DENY policy applies at the \(place): allowed"))
      }
      return (.allowed, reasons)
    }
    if let p = allowed {
      reasons.append(MeshReason(part: "authorization", text: "ALLOW policy matches at the \(place)", object: ref(p)))
      return (.allowed, reasons)
    }
    if let p = allowMaybe {
      reasons.append(
        MeshReason(
          part: "authorization",
          text: "ALLOW policy matches only if its HTTP-only fields do (HTTP port at the \(place))", object: ref(p)))
      return (.dependsOnL7, reasons)
    }
    let first = aps.first { $0.action == .allow }!
    let identity = mtls ? "" : " (plaintext carries no identity)"
    reasons.append(
      MeshReason(
        part: "authorization", text: "ALLOW policies apply at the \(place) and none matches\(identity)",
        object: ref(first)))
    return (.denied, reasons)
  }

  static func hasL7(_ p: AuthorizationPolicy) -> Bool {
    (p.rules ?? []).contains(where: \.usesHTTPFields)
  }

  /// Whether a policy matches the flow: any rule matches (`rules` absent: none does).
  func policyMatch(
    _ p: AuthorizationPolicy, client: MeshClient, port: Int, mtls: Bool, protocolClass: MeshPortProtocol?,
    deny: Bool, ignoreL7: Bool
  ) -> Tri {
    // An HTTP-only field: on TCP ports ALLOW never matches and DENY ignores it; on HTTP or
    // unknown ports it makes the match depend on L7; ztunnel ignores it (fail-safe DENY).
    let l7: Tri
    if ignoreL7 {
      l7 = .yes
    } else if protocolClass == .tcp {
      l7 = deny ? .yes : .no
    } else {
      l7 = .maybe
    }
    return Tri.any(
      (p.rules ?? []).map { rule in
        let from: Tri =
          rule.from.isEmpty ? .yes : Tri.any(rule.from.map { sourceMatch($0, client: client, mtls: mtls, l7: l7) })
        let to: Tri = rule.to.isEmpty ? .yes : Tri.any(rule.to.map { operationMatch($0, port: port, l7: l7) })
        let when = Tri.all(rule.when.map { conditionMatch($0, client: client, port: port, mtls: mtls, l7: l7) })
        return Tri.all([from, to, when])
      })
  }

  func sourceMatch(_ s: AuthorizationSource, client: MeshClient, mtls: Bool, l7: Tri) -> Tri {
    var parts: [Tri] = []
    let principal =
      mtls
      ? client.serviceAccount.flatMap { sa in
        client.namespace.map { MeshMembership.principal(namespace: $0, serviceAccount: sa) }
      } : nil
    let namespace = mtls ? client.namespace : nil
    if let list = s.principals { parts.append(principal.map { IstioPattern.matchesAny(list, $0) ? .yes : .no } ?? .no) }
    if let list = s.notPrincipals {
      parts.append(principal.map { IstioPattern.matchesAny(list, $0) ? .no : .yes } ?? .no)
    }
    if let list = s.namespaces { parts.append(namespace.map { IstioPattern.matchesAny(list, $0) ? .yes : .no } ?? .no) }
    if let list = s.notNamespaces {
      parts.append(namespace.map { IstioPattern.matchesAny(list, $0) ? .no : .yes } ?? .no)
    }
    if let list = AuthorizationSource.principals(ofServiceAccounts: s.serviceAccounts) {
      parts.append(principal.map { list.contains($0) ? .yes : .no } ?? .no)
    }
    if let list = AuthorizationSource.principals(ofServiceAccounts: s.notServiceAccounts) {
      parts.append(principal.map { list.contains($0) ? .no : .yes } ?? .no)
    }
    // The trust domain is the principal's first segment (`cluster.local` for every identity here).
    let trustDomain = principal.map { String($0.prefix { $0 != "/" }) }
    if let list = s.trustDomains {
      parts.append(trustDomain.map { IstioPattern.matchesAny(list, $0) ? .yes : .no } ?? .no)
    }
    if let list = s.notTrustDomains {
      parts.append(trustDomain.map { IstioPattern.matchesAny(list, $0) ? .no : .yes } ?? .no)
    }
    if let list = s.ipBlocks { parts.append(ipMatch(list, client) ? .yes : .no) }
    if let list = s.notIpBlocks { parts.append(ipMatch(list, client) ? .no : .yes) }
    if s.usesHTTPFields { parts.append(l7) }
    return Tri.all(parts)
  }

  /// Whether the client's address lies in one of the blocks (external ranges are cut at every
  /// block, so they are inside or outside as a whole; pods without a known IP match none).
  func ipMatch(_ blocks: [String], _ client: MeshClient) -> Bool {
    let ranges = blocks.compactMap(MeshCompiler.block)
    if let r = client.external { return ranges.contains { $0.contains(r) } }
    return client.ips.contains { ip in ranges.contains { $0.contains(ip) } }
  }

  func operationMatch(_ o: AuthorizationOperation, port: Int, l7: Tri) -> Tri {
    var parts: [Tri] = []
    if let list = o.ports { parts.append(list.contains(String(port)) ? .yes : .no) }
    if let list = o.notPorts { parts.append(list.contains(String(port)) ? .no : .yes) }
    if o.usesHTTPFields { parts.append(l7) }
    return Tri.all(parts)
  }

  func conditionMatch(_ c: AuthorizationCondition, client: MeshClient, port: Int, mtls: Bool, l7: Tri) -> Tri {
    func check(_ value: String?, _ match: (String, String) -> Bool) -> Tri {
      guard let value else { return .no }
      if let values = c.values, !values.contains(where: { match($0, value) }) { return .no }
      if let not = c.notValues, not.contains(where: { match($0, value) }) { return .no }
      return .yes
    }
    switch c.key {
    case "source.principal":
      let principal =
        mtls
        ? client.serviceAccount.flatMap { sa in
          client.namespace.map { MeshMembership.principal(namespace: $0, serviceAccount: sa) }
        } : nil
      return check(principal, IstioPattern.matches)
    case "source.namespace":
      return check(mtls ? client.namespace : nil, IstioPattern.matches)
    case "destination.port":
      return check(String(port), ==)
    case "source.ip":
      var parts: [Tri] = []
      if let values = c.values { parts.append(ipMatch(values, client) ? .yes : .no) }
      if let not = c.notValues { parts.append(ipMatch(not, client) ? .no : .yes) }
      return Tri.all(parts)
    default:
      return l7
    }
  }
}
