import Dispatch
import Foundation
import KubeModel

/// The compiled reachability of one cluster snapshot: ANP, NetworkPolicy, BANP and default
/// tiers, egress at the source AND ingress at the destination.
///
/// Compile once (in `init`), then ask for pairs, all connections, or explanations. Pods that
/// no policy can tell apart share a class; work grows with classes, not pods.
public final class ReachabilityEngine: Sendable {
  /// The cluster the engine was compiled from.
  public let cluster: Cluster
  /// The options it was compiled with.
  public let options: EngineOptions
  let c: Compiled
  /// The mesh stage, when the mesh is on for this cluster.
  public let mesh: MeshStage?
  private let compileSeconds: Double
  /// Wall time of compiling the mesh stage (part of `init`).
  public let meshCompileSeconds: Double
  private let lastEvaluate = EvaluationClock()
  /// One-direction explanations already computed (they depend on the profile, the peer and the
  /// cell of atoms, not on the pair).
  let explanationMemo = ExplanationMemo()

  /// The hypothetical pods the engine answers for besides the cluster's (see
  /// `hypotheticalPeer(_:)`).
  public let hypotheticalPods: [HypotheticalPod]

  /// Compiles the cluster's policies. `hypotheticalPods` are pods that are not in the input
  /// but whose traffic is asked about (the ingress controller behind Ingress and Route
  /// objects): the compiled classes, peer bitsets and tier walk answer for each exactly as
  /// for a real pod with its namespace and labels, while `cluster` stays what was read.
  public init(cluster: Cluster, options: EngineOptions = .init(), hypotheticalPods: [HypotheticalPod] = []) {
    let start = Date()
    self.cluster = cluster
    self.options = options
    self.hypotheticalPods = hypotheticalPods
    let compiled = HypotheticalPod.compiledCluster(cluster, adding: hypotheticalPods)
    var compiler = Compiler(cluster: compiled, options: options)
    self.c = compiler.compile()
    let meshStart = Date()
    if compiler.meshEnabled {
      self.mesh = MeshStage(cluster: compiled, options: options.mesh, classMembers: c.classMembers)
    } else {
      self.mesh = nil
    }
    self.meshCompileSeconds = Date().timeIntervalSince(meshStart)
    self.compileSeconds = Date().timeIntervalSince(start)
  }

  /// Disjoint, sorted external address ranges covering IPv4 (and IPv6 when a policy names an
  /// IPv6 block), split at every CIDR and except boundary of every policy.
  public var externalRanges: [IPRange] { c.externals }

  /// Disjoint port ranges per protocol, split at every rule boundary and resolved named port.
  public var portAtoms: [(proto: TransportProtocol, range: PortRange)] { c.atoms }

  /// The number of pod classes.
  public var classCount: Int { c.classCount }

  /// The equivalence class of a pod: pods of one class have the same connections to and from
  /// everything. `pod` is an index into `cluster.pods`, or a hypothetical pod's index from
  /// `hypotheticalPeer(_:)`.
  public func podClass(_ pod: Int) -> Int { Int(c.classOfPod[pod]) }

  /// The pods of a class, ascending (hypothetical pods, numbered after the cluster's, last).
  public func pods(inClass cls: Int) -> [Int] { c.classMembers[cls].map(Int.init) }

  /// The peer that stands for `hypotheticalPods[index]` in every question to the engine:
  /// `.pod` of an index past the cluster's pods, which only the engine numbers.
  public func hypotheticalPeer(_ index: Int) -> Peer { .pod(hypotheticalPodIndex(index)) }

  /// The pod index of `hypotheticalPods[index]` in the engine's numbering: past the cluster's
  /// pods, valid for `podClass(_:)` and `.pod` peers, never for `cluster.pods`.
  public func hypotheticalPodIndex(_ index: Int) -> Int {
    precondition(hypotheticalPods.indices.contains(index), "no hypothetical pod \(index)")
    return cluster.pods.count + index
  }

  /// Whether a pod index names a hypothetical pod rather than one of `cluster.pods`.
  public func isHypothetical(_ pod: Int) -> Bool { pod >= cluster.pods.count }

  /// Whether the pod uses the host network (verdicts treat it as a normal pod; output may
  /// flag it, since CNIs differ). Hypothetical pods do not.
  public func isHostNetwork(_ pod: Int) -> Bool { !isHypothetical(pod) && cluster.pods[pod].hostNetwork }

  /// Sizes and timings.
  public var stats: EngineStats {
    EngineStats(
      pods: cluster.pods.count, classes: c.classCount,
      policies: cluster.networkPolicies.count + cluster.adminNetworkPolicies.count
        + cluster.baselineAdminNetworkPolicies.count,
      portAtoms: c.atoms.count, ipRanges: c.externals.count,
      profiles: c.ingressProfiles.count + c.egressProfiles.count,
      compileSeconds: compileSeconds, evaluateSeconds: lastEvaluate.seconds)
  }

  // MARK: the mesh stage

  /// The mesh verdict of connections the L3/L4 tiers allow between class-level peers (nil when
  /// the mesh is off). `service` narrows the DestinationRule and protocol lookup to the Service
  /// (an index into `Cluster.services`) the flow is addressed to.
  public func meshVerdict(
    from src: ClassPeer, to dst: ClassPeer, connections: ConnectionSet, service: Int? = nil
  ) -> MeshVerdict? {
    guard let mesh else { return nil }
    return MeshVerdict(
      parts: mesh.parts(from: src, to: dst, connections: connections, externals: c.externals, service: service))
  }

  /// The mesh verdict between two peers over the L3/L4 verdict `connections` (nil when the
  /// mesh is off). An external range is taken at its first engine range.
  public func meshVerdict(
    from src: Peer, to dst: Peer, connections: ConnectionSet, service: Int? = nil
  ) -> MeshVerdict? {
    func classPeer(_ p: Peer) -> ClassPeer? {
      switch p {
      case .pod(let i): return .podClass(podClass(i))
      case .external(let r): return externalIndices(overlapping: r).first.map { .external($0) }
      }
    }
    guard let s = classPeer(src), let d = classPeer(dst) else { return nil }
    return meshVerdict(from: s, to: d, connections: connections, service: service)
  }

  /// The mesh verdict of a class-level flow as an interned id (nil when the mesh is off), for
  /// callers that walk a `ClassConnectionTable`: `setKey` identifies the connections (the
  /// table's `connectionIndex`), so that equal profiles and sets are answered once.
  public func meshVerdictID(from src: ClassPeer, to dst: ClassPeer, connections: ConnectionSet, setKey: Int)
    -> Int32?
  {
    mesh?.verdictID(from: src, to: dst, connections: connections, setKey: setKey, externals: c.externals)
  }

  /// The mesh verdict ids of every row of a class-level table (nil when the mesh is off): the
  /// same as `meshVerdictID` row by row, in one pass.
  public func meshVerdictIDs(for table: ClassConnectionTable) -> [Int32]? {
    mesh?.verdictIDs(table: table, externals: c.externals)
  }

  /// The verdict behind an id from `meshVerdictID`.
  public func meshVerdict(id: Int32) -> MeshVerdict? { mesh?.verdict(id: id) }

  /// The dataplane of a pod (`none` when the mesh is off).
  public func meshDataplane(ofPod pod: Int) -> MeshDataplane {
    mesh?.dataplane(ofClass: podClass(pod)) ?? .none
  }

  // MARK: atoms to connection sets

  /// The connection set of an atom bitset.
  func connectionSet(_ atoms: [UInt64]) -> ConnectionSet {
    var ports: [TransportProtocol: [PortRange]] = [:]
    for (wi, word) in atoms.enumerated() {
      var x = word
      while x != 0 {
        let a = wi * 64 + x.trailingZeroBitCount
        x &= x &- 1
        if a < c.atoms.count { ports[c.atoms[a].proto, default: []].append(c.atoms[a].range) }
      }
    }
    return ConnectionSet(ports)
  }

  // MARK: class level

  /// Indices of the external ranges that overlap `range`.
  func externalIndices(overlapping range: IPRange) -> [Int] {
    c.externals.indices.filter {
      let e = c.externals[$0]
      return e.family == range.family && e.lower <= range.upper && e.upper >= range.lower
    }
  }

  /// The atoms allowed on the ingress side of class `dst` from peer index `src`.
  func ingressAtoms(dst: Int, from src: Int) -> [UInt64] {
    var w = [UInt64](repeating: 0, count: c.atomWords)
    for seg in c.ingressSegments[Int(c.ingressProfileOf[dst])] where seg.row.contains(src) {
      for i in 0..<w.count { w[i] |= seg.atoms[i] }
    }
    return w
  }

  /// The atoms allowed on the egress side of class `src` toward peer index `dst`.
  func egressAtoms(src: Int, to dst: Int) -> [UInt64] {
    var w = [UInt64](repeating: 0, count: c.atomWords)
    for seg in c.egressSegments[Int(c.egressProfileOf[src])] where seg.row.contains(dst) {
      for i in 0..<w.count { w[i] |= seg.atoms[i] }
    }
    return w
  }

  /// The verdict between two class-level peers (external to external: none).
  public func connections(from src: ClassPeer, to dst: ClassPeer) -> ConnectionSet {
    let base = c.classCount
    switch (src, dst) {
    case (.podClass(let s), .podClass(let d)):
      let a = ingressAtoms(dst: d, from: s)
      let b = egressAtoms(src: s, to: d)
      return connectionSet(zip(a, b).map { $0 & $1 })
    case (.podClass(let s), .external(let e)):
      return connectionSet(egressAtoms(src: s, to: base + e))
    case (.external(let e), .podClass(let d)):
      return connectionSet(ingressAtoms(dst: d, from: base + e))
    case (.external, .external):
      return .none
    }
  }

  /// The final verdict from one peer to another: pod to itself is everything; external to
  /// external is not analysed (none). An external range spanning several of
  /// `externalRanges` gets what all of them get.
  public func connections(from src: Peer, to dst: Peer) -> ConnectionSet {
    switch (src, dst) {
    case (.pod(let s), .pod(let d)):
      if s == d { return .all }
      return connections(from: .podClass(podClass(s)), to: .podClass(podClass(d)))
    case (.pod(let s), .external(let r)):
      return externalIndices(overlapping: r).map {
        connections(from: .podClass(podClass(s)), to: .external($0))
      }.reduce(ConnectionSet.all) { $0.intersection($1) }
    case (.external(let r), .pod(let d)):
      return externalIndices(overlapping: r).map {
        connections(from: .external($0), to: .podClass(podClass(d)))
      }.reduce(ConnectionSet.all) { $0.intersection($1) }
    case (.external, .external):
      return .none
    }
  }

  /// Every class pair (including a class to itself, meaning distinct pods of that class) and
  /// class/external pair with a non-empty verdict, sorted by source then destination.
  public func classConnections() -> [(src: ClassPeer, dst: ClassPeer, conns: ConnectionSet)] {
    let table = classConnectionTable()
    var out: [(src: ClassPeer, dst: ClassPeer, conns: ConnectionSet)] = []
    out.reserveCapacity(table.count)
    for i in 0..<table.count {
      out.append((table.source(i), table.destination(i), table.connections(i)))
    }
    return out
  }

  /// The same as `classConnections()`, packed: eight bytes per row, for large clusters.
  /// Peers take `peerBits` bits each and the connection-set index the rest of the 64-bit row.
  public func classConnectionTable() -> ClassConnectionTable {
    let start = Date()
    let n = c.classCount
    let chunks = max(1, min(16, n / 256))
    let results = ResultBox(count: chunks)
    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
      let lo = n * chunk / chunks
      let hi = n * (chunk + 1) / chunks
      results.set(chunk, evaluate(destinations: lo..<hi, sources: lo..<hi))
    }
    let peerBits = ClassConnectionTable.peerBits(universe: c.universe)
    let setBits = UInt64(64 - 2 * peerBits)
    precondition(setBits >= 8, "\(c.universe) peers leave too few bits for connection sets")
    var globalIndex: [[UInt64]: Int32] = [:]
    var sets: [ConnectionSet] = []
    var total = 0
    for part in results.parts { total += part.keys.count }
    var rows: [UInt64] = []
    rows.reserveCapacity(total)
    for part in results.parts {
      let remap = part.atomSets.map { atoms -> UInt64 in
        if let g = globalIndex[atoms] { return UInt64(g) }
        let g = Int32(sets.count)
        precondition(UInt64(g) < 1 << setBits, "more distinct connection sets than \(setBits) bits hold")
        globalIndex[atoms] = g
        sets.append(connectionSet(atoms))
        return UInt64(g)
      }
      for (key, id) in zip(part.keys, part.ids) { rows.append(key << setBits | remap[Int(id)]) }
    }
    rows.sort()
    lastEvaluate.seconds = Date().timeIntervalSince(start)
    return ClassConnectionTable(rows: rows, sets: sets, classCount: n, peerBits: peerBits)
  }

  /// Raw results for destination classes `destinations` (pod and external sources) and for
  /// source classes `sources` toward external ranges.
  func evaluate(destinations: Range<Int>, sources: Range<Int>) -> PartialResult {
    let n = c.classCount
    let universe = c.universe
    let peerBits = UInt64(ClassConnectionTable.peerBits(universe: universe))
    let w = c.atomWords
    var acc = [UInt64](repeating: 0, count: universe * w)
    var touched: [Int] = []
    var result = PartialResult()
    var local: [[UInt64]: Int32] = [:]
    var single: [UInt64: Int32] = [:]
    func emit(_ src: Int, _ dst: Int, _ atoms: [UInt64]) {
      let id: Int32
      if w == 1 {
        if let hit = single[atoms[0]] {
          id = hit
        } else {
          id = Int32(result.atomSets.count)
          single[atoms[0]] = id
          result.atomSets.append(atoms)
        }
      } else if let hit = local[atoms] {
        id = hit
      } else {
        id = Int32(result.atomSets.count)
        local[atoms] = id
        result.atomSets.append(atoms)
      }
      result.keys.append(UInt64(src) << peerBits | UInt64(dst))
      result.ids.append(id)
    }
    var atoms = [UInt64](repeating: 0, count: w)
    var egress = [UInt64](repeating: 0, count: w)
    for d in destinations {
      touched.removeAll(keepingCapacity: true)
      for seg in c.ingressSegments[Int(c.ingressProfileOf[d])] {
        seg.row.forEach(in: 0..<universe) { s in
          var fresh = true
          for i in 0..<w where acc[s * w + i] != 0 { fresh = false }
          if fresh { touched.append(s) }
          for i in 0..<w { acc[s * w + i] |= seg.atoms[i] }
        }
      }
      for s in touched {
        for i in 0..<w {
          atoms[i] = acc[s * w + i]
          acc[s * w + i] = 0
        }
        if s < n {
          for i in 0..<w { egress[i] = 0 }
          for seg in c.egressSegments[Int(c.egressProfileOf[s])] where seg.row.contains(d) {
            for i in 0..<w { egress[i] |= seg.atoms[i] }
          }
          var any = false
          for i in 0..<w {
            atoms[i] &= egress[i]
            if atoms[i] != 0 { any = true }
          }
          if !any { continue }
        }
        emit(s, d, atoms)
      }
    }
    for s in sources {
      touched.removeAll(keepingCapacity: true)
      for seg in c.egressSegments[Int(c.egressProfileOf[s])] {
        seg.row.forEach(in: n..<universe) { e in
          var fresh = true
          for i in 0..<w where acc[e * w + i] != 0 { fresh = false }
          if fresh { touched.append(e) }
          for i in 0..<w { acc[e * w + i] |= seg.atoms[i] }
        }
      }
      for e in touched {
        for i in 0..<w {
          atoms[i] = acc[e * w + i]
          acc[e * w + i] = 0
        }
        emit(s, e, atoms)
      }
    }
    return result
  }
}

/// Packed class-level connections: rows sorted by source then destination (classes before
/// external ranges), each pointing at one of a few distinct connection sets.
public struct ClassConnectionTable: RandomAccessCollection, Sendable {
  /// source, destination (`peerBits` bits each; a class, or classCount + external range) and
  /// the set index in the low bits.
  let rows: [UInt64]
  let sets: [ConnectionSet]
  let classCount: Int
  let peerBits: Int

  /// Bits per peer code: enough for the universe, at least 20 (leaving 24 for set indices).
  static func peerBits(universe: Int) -> Int {
    Swift.max(20, Int.bitWidth - universe.leadingZeroBitCount)
  }

  /// The first row index (0).
  public var startIndex: Int { 0 }
  /// One past the last row.
  public var endIndex: Int { rows.count }
  /// Row `i`.
  public subscript(i: Int) -> (src: ClassPeer, dst: ClassPeer, conns: ConnectionSet) {
    (source(i), destination(i), connections(i))
  }

  /// The distinct connection sets the rows use.
  public var connectionSets: [ConnectionSet] { sets }

  func peer(_ code: Int) -> ClassPeer {
    code < classCount ? .podClass(code) : .external(code - classCount)
  }

  var peerMask: UInt64 { (1 << UInt64(peerBits)) - 1 }
  var setBits: Int { 64 - 2 * peerBits }

  /// The source of row `i`.
  public func source(_ i: Int) -> ClassPeer {
    peer(Int(rows[i] >> UInt64(setBits + peerBits) & peerMask))
  }
  /// The destination of row `i`.
  public func destination(_ i: Int) -> ClassPeer {
    peer(Int(rows[i] >> UInt64(setBits) & peerMask))
  }
  /// The index into `connectionSets` of row `i`.
  public func connectionIndex(_ i: Int) -> Int { Int(rows[i] & ((1 << UInt64(setBits)) - 1)) }
  /// The connections of row `i`.
  public func connections(_ i: Int) -> ConnectionSet { sets[connectionIndex(i)] }
}

/// One chunk's raw rows: (source, destination) keys and local atom-set ids.
struct PartialResult {
  var keys: [UInt64] = []
  var ids: [Int32] = []
  var atomSets: [[UInt64]] = []
}

/// Per-chunk results of a parallel evaluation.
final class ResultBox: @unchecked Sendable {
  private let lock = NSLock()
  private(set) var parts: [PartialResult]

  init(count: Int) { parts = Array(repeating: PartialResult(), count: count) }

  func set(_ i: Int, _ value: PartialResult) {
    lock.lock()
    parts[i] = value
    lock.unlock()
  }
}

/// The duration of the last evaluation, shared across threads.
final class EvaluationClock: @unchecked Sendable {
  private let lock = NSLock()
  private var value = 0.0

  var seconds: Double {
    get {
      lock.lock()
      defer { lock.unlock() }
      return value
    }
    set {
      lock.lock()
      value = newValue
      lock.unlock()
    }
  }
}
