import Foundation
import KubeModel

/// A NetworkPolicy that selects the pod of a direction without allowing the flow: netpol-analyzer's
/// "NetworkPolicy 'ns/name' selects X, but Y is not allowed by any Ingress rule".
public struct UnmatchedPolicy: Hashable, Comparable, Sendable {
  /// The selecting policy.
  public var policy: PolicyRef
  /// The policy has no rules in that direction (netpol-analyzer adds "(no rules defined)").
  public var noRulesDefined: Bool
  /// The first rule of the policy whose peers include the other end (its ports do not admit
  /// the flow), if any.
  public var peerRule: RuleRef?
  /// With `peerRule`: every port of that rule is a name the destination does not declare.
  public var namedPortsUnresolved: Bool

  /// A selecting policy without a matching rule.
  public init(
    policy: PolicyRef, noRulesDefined: Bool, peerRule: RuleRef? = nil,
    namedPortsUnresolved: Bool = false
  ) {
    self.policy = policy
    self.noRulesDefined = noRulesDefined
    self.peerRule = peerRule
    self.namedPortsUnresolved = namedPortsUnresolved
  }

  public static func < (lhs: UnmatchedPolicy, rhs: UnmatchedPolicy) -> Bool {
    lhs.policy < rhs.policy
  }
}

/// Why one direction (egress at the source or ingress at the destination) allows or denies a
/// part of the connection space.
public struct DirectionExplanation: Hashable, Sendable {
  /// Egress (at the source) or ingress (at the destination).
  public var direction: Direction
  /// The verdict of this direction.
  public var allowed: Bool
  /// The tier whose answer stands (`systemDefault` when nothing decided, including a pod that
  /// no policy isolates and external endpoints, which are not analysed).
  public var decidingTier: Tier
  /// The admin rule that ended the ANP tier, if any: an Allow or Deny rule that decided, or a
  /// Pass rule that handed the flow to the NetworkPolicy tier (at most one element).
  public var adminRules: [RuleRef]
  /// When the NetworkPolicy tier decided and allowed: every rule of a selecting policy that
  /// admits the flow, sorted by policy then rule index.
  public var allowingRules: [RuleRef]
  /// When the NetworkPolicy tier decided: the selecting policies none of whose rules admits
  /// the flow (when it denied: all selecting policies), sorted by name.
  public var unmatchedPolicies: [UnmatchedPolicy]
  /// When the baseline decided by a rule: that rule.
  public var baselineRule: RuleRef?

  /// An explanation; empty lists by default.
  public init(
    direction: Direction, allowed: Bool, decidingTier: Tier, adminRules: [RuleRef] = [],
    allowingRules: [RuleRef] = [], unmatchedPolicies: [UnmatchedPolicy] = [],
    baselineRule: RuleRef? = nil
  ) {
    self.direction = direction
    self.allowed = allowed
    self.decidingTier = decidingTier
    self.adminRules = adminRules
    self.allowingRules = allowingRules
    self.unmatchedPolicies = unmatchedPolicies
    self.baselineRule = baselineRule
  }

  /// Allowed because nothing applies ("due to the system default (Allow all)").
  public var isSystemDefault: Bool { decidingTier == .systemDefault && adminRules.isEmpty }
}

/// One part of a pair's connection space with the same verdict for the same reasons.
public struct ExplanationSegment: Hashable, Sendable {
  /// The connections of this part (disjoint from the other segments of the pair).
  public var connections: ConnectionSet
  /// Egress at the source AND ingress at the destination.
  public var allowed: Bool
  /// Egress at the source (system default for an external source).
  public var egress: DirectionExplanation
  /// Ingress at the destination (system default for an external destination).
  public var ingress: DirectionExplanation
}

/// The explained verdict of one pair: the whole connection space (every protocol and port)
/// split into segments; allowed segments first, then denied, each in port order.
public struct PairExplanation: Hashable, Sendable {
  /// The source asked about.
  public var source: Peer
  /// The destination asked about.
  public var destination: Peer
  /// Disjoint parts covering every protocol and port.
  public var segments: [ExplanationSegment]

  /// The union of the allowed segments (equals `connections(from:to:)`).
  public var allowedConnections: ConnectionSet {
    segments.filter(\.allowed).reduce(ConnectionSet.none) { $0.union($1.connections) }
  }
}

/// One part of a pair's connection space with its two one-direction explanations as interned
/// ids (`ReachabilityEngine.directionExplanation(_:)`): equal explanations share one id, so
/// parts of many pairs can be grouped and rendered by id.
public struct InternedSegment: Hashable, Sendable {
  /// The connections of this part (disjoint from the other segments of the pair).
  public var connections: ConnectionSet
  /// Egress at the source AND ingress at the destination.
  public var allowed: Bool
  /// The id of the egress explanation (at the source).
  public var egress: Int32
  /// The id of the ingress explanation (at the destination).
  public var ingress: Int32
}

/// A pair's explanation as interned segments. Pairs with the same `key` have the same segments
/// (nil: restricted to a connection space, not shared).
public struct InternedExplanation: Sendable {
  /// Equal for pairs whose segments are equal by construction (same profiles and explanations).
  public var key: Int32?
  /// Disjoint parts, allowed first.
  public var segments: [InternedSegment]
}

/// One-direction explanations, interned: equal explanations get one id. Per (direction, subject
/// profile, peer) the ids of every cell of atoms, and per pair of profiles the cells' pairs with
/// their connections, shared by every pair that asks the same question.
final class ExplanationMemo: @unchecked Sendable {
  /// What a one-direction explanation depends on besides the cell: the direction, the subject's
  /// profile, which of the profile's rules select the peer (bits in rule order) and the peer's
  /// named ports (egress resolves named ports at the peer; -1 for an external peer or ingress).
  struct Key: Hashable {
    var direction: Direction
    var profile: Int32
    var peerNamedSignature: Int32
    var rulesSelectingPeer: [UInt64]
  }
  /// The atoms of one pair of cells (egress cell at the source, ingress cell at the destination).
  struct CellPair {
    var egressCell: Int32
    var ingressCell: Int32
    var connections: ConnectionSet
  }
  private let lock = NSLock()
  private var table: [DirectionExplanation] = []
  private var allowedByID: [Bool] = []
  private var ids: [DirectionExplanation: Int32] = [:]
  private var vectors: [Key: [Int32]] = [:]
  private var cellPairs: [Int64: [CellPair]] = [:]
  private var unreported: [Key: Bool] = [:]
  private var profileRules: [Int64: [PeerSet]] = [:]
  /// Vector ids and unreported flags by (direction, profile, peer index): the fast path before
  /// the key of what they depend on is built.
  private var vectorByPeer: [Int64: Int32] = [:]
  private var unreportedByPeer: [Int64: Bool] = [:]

  /// The value of `key` in one of the tables, computed outside the lock when missing.
  private func memoised<K: Hashable, V>(
    _ table: ReferenceWritableKeyPath<ExplanationMemo, [K: V]>, _ key: K, _ make: () -> V
  ) -> V {
    lock.lock()
    let hit = self[keyPath: table][key]
    lock.unlock()
    if let hit { return hit }
    let value = make()
    lock.lock()
    self[keyPath: table][key] = value
    lock.unlock()
    return value
  }

  func vectorByPeer(_ key: Int64, _ make: () -> Int32) -> Int32 { memoised(\.vectorByPeer, key, make) }
  func unreportedByPeer(_ key: Int64, _ make: () -> Bool) -> Bool { memoised(\.unreportedByPeer, key, make) }

  /// Per-cell id vectors, interned: `vectorIDs[key]` and `vectorTable[id]`.
  private var vectorIDs: [Key: Int32] = [:]
  private var vectorIndex: [[Int32]: Int32] = [:]
  private var vectorTable: [[Int32]] = []
  /// Merged segments per (egress profile, ingress profile, egress vector, ingress vector).
  private var segmentIDs: [SegmentsKey: Int32] = [:]
  private var segmentTable: [[InternedSegment]] = []

  struct SegmentsKey: Hashable {
    var egressProfile: Int32
    var ingressProfile: Int32
    var egressVector: Int32
    var ingressVector: Int32
  }

  /// The id of a per-cell vector of explanation ids.
  func internVector(_ ids: [Int32]) -> Int32 {
    lock.lock()
    defer { lock.unlock() }
    return internVectorLocked(ids)
  }

  private func internVectorLocked(_ ids: [Int32]) -> Int32 {
    if let id = vectorIndex[ids] { return id }
    let id = Int32(vectorTable.count)
    vectorTable.append(ids)
    vectorIndex[ids] = id
    return id
  }

  /// The explanation ids per cell of a vector id.
  func vectorCells(_ id: Int32) -> [Int32] {
    lock.lock()
    defer { lock.unlock() }
    return vectorTable[Int(id)]
  }

  /// The merged segments of `key` with their list id, computed outside the lock when missing.
  func segments(_ key: SegmentsKey, _ make: () -> [InternedSegment]) -> (id: Int32, segments: [InternedSegment]) {
    lock.lock()
    if let id = segmentIDs[key] {
      defer { lock.unlock() }
      return (id, segmentTable[Int(id)])
    }
    lock.unlock()
    let value = make()
    lock.lock()
    defer { lock.unlock() }
    if let id = segmentIDs[key] { return (id, segmentTable[Int(id)]) }
    let id = Int32(segmentTable.count)
    segmentTable.append(value)
    segmentIDs[key] = id
    return (id, value)
  }

  /// The peer sets of every rule of a profile in one direction (admin rules in evaluation
  /// order, NetworkPolicy rules, baseline rules), computed outside the lock when missing.
  func profileRules(_ key: Int64, _ make: () -> [PeerSet]) -> [PeerSet] {
    memoised(\.profileRules, key, make)
  }

  /// The id of an explanation (a new one when it was not seen).
  func intern(_ explanation: DirectionExplanation) -> Int32 {
    lock.lock()
    defer { lock.unlock() }
    return internLocked(explanation)
  }

  private func internLocked(_ explanation: DirectionExplanation) -> Int32 {
    if let id = ids[explanation] { return id }
    let id = Int32(table.count)
    table.append(explanation)
    allowedByID.append(explanation.allowed)
    ids[explanation] = id
    return id
  }

  /// The explanation of an id.
  func explanation(_ id: Int32) -> DirectionExplanation {
    lock.lock()
    defer { lock.unlock() }
    return table[Int(id)]
  }

  /// Whether the explanation of an id allows.
  func allowed(_ id: Int32) -> Bool {
    lock.lock()
    defer { lock.unlock() }
    return allowedByID[Int(id)]
  }

  /// The vector id (explanation ids per cell) for `key`, computed outside the lock when missing.
  func vector(_ key: Key, _ make: () -> [DirectionExplanation]) -> Int32 {
    lock.lock()
    let hit = vectorIDs[key]
    lock.unlock()
    if let hit { return hit }
    let explanations = make()
    lock.lock()
    defer { lock.unlock() }
    let id = internVectorLocked(explanations.map(internLocked))
    vectorIDs[key] = id
    return id
  }

  /// The cell pairs of a pair of profiles, computed outside the lock when missing.
  func cellPairs(_ key: Int64, _ make: () -> [CellPair]) -> [CellPair] {
    memoised(\.cellPairs, key, make)
  }

  func flag(_ key: Key, _ make: () -> Bool) -> Bool {
    memoised(\.unreported, key, make)
  }

}

extension ReachabilityEngine {
  /// Why the flows from `src` to `dst` are allowed or denied, per part of the connection space.
  ///
  /// This is THE tier walk with reasons: it reads the same compiled rules, classes, port atoms
  /// and tier order as `connections(from:to:)` and `classConnectionTable()`, so
  /// `allowedConnections` always equals `connections(from:to:)` (under the engine's
  /// `EngineOptions`). A pod to itself is exempt (allowed, system default); two different pods
  /// are never exempt, even replicas of one workload. An external range spanning several of
  /// `externalRanges` is explained by its first denying part. External to external: denied.
  public func explain(from src: Peer, to dst: Peer) -> PairExplanation {
    explain(from: src, to: dst, within: nil)
  }

  /// `explain(from:to:)` restricted to the connections `space` (nil: every protocol and port);
  /// the segments cover exactly `space`.
  public func explain(from src: Peer, to dst: Peer, within space: ConnectionSet?) -> PairExplanation {
    let segments = explainInterned(from: src, to: dst, within: space).segments.map { seg in
      ExplanationSegment(
        connections: seg.connections, allowed: seg.allowed,
        egress: directionExplanation(seg.egress), ingress: directionExplanation(seg.ingress))
    }
    return PairExplanation(source: src, destination: dst, segments: segments)
  }

  /// The one-direction explanation behind an id of `explainInterned`.
  public func directionExplanation(_ id: Int32) -> DirectionExplanation {
    explanationMemo.explanation(id)
  }

  /// `explain(from:to:within:)` with each direction's explanation as an interned id: parts with
  /// equal explanations are merged, allowed parts first. Cheap per pair: explanations are
  /// computed once per (direction, profile, rules selecting the peer, cell), and the merged
  /// segments once per pair of profiles and explanations.
  public func explainInterned(from src: Peer, to dst: Peer, within space: ConnectionSet?)
    -> InternedExplanation
  {
    let base = c.classCount
    func index(_ p: Peer) -> [Int] {
      switch p {
      case .pod(let i): return [podClass(i)]
      case .external(let r): return externalIndices(overlapping: r).map { base + $0 }
      }
    }
    let srcIdx = index(src)
    let dstIdx = index(dst)
    let dstClass: Int? = {
      if case .pod(let d) = dst { return podClass(d) }
      return nil
    }()
    let selfTraffic: Bool = {
      if case .pod(let s) = src, case .pod(let d) = dst { return s == d }
      return false
    }()
    let bothExternal: Bool = {
      if case .external = src, case .external = dst { return true }
      return false
    }()
    let egressProfile: Int32 = {
      if case .pod(let s) = src { return c.egressProfileOf[podClass(s)] }
      return -1
    }()
    let ingressProfile: Int32 = {
      if case .pod(let d) = dst { return c.ingressProfileOf[podClass(d)] }
      return -1
    }()
    // Per cell: a vector of explanation ids; -1: not evaluated, allowed (an external end, a pod
    // to itself); -2: not evaluated, denied (external to external).
    let unevaluated: Int32 = bothExternal ? -2 : -1
    var egressVector = unevaluated
    var ingressVector = unevaluated
    if !selfTraffic && !bothExternal {
      if egressProfile >= 0 {
        egressVector = worstPerCell(
          .egress, profile: egressProfile, subject: srcIdx[0], peers: dstIdx, destinationClass: dstClass)
      }
      if ingressProfile >= 0 {
        ingressVector = worstPerCell(
          .ingress, profile: ingressProfile, subject: dstIdx[0], peers: srcIdx, destinationClass: dstClass)
      }
    }
    let key = ExplanationMemo.SegmentsKey(
      egressProfile: egressProfile, ingressProfile: ingressProfile, egressVector: egressVector,
      ingressVector: ingressVector)
    let (id, all) = explanationMemo.segments(key) {
      mergedSegments(key)
    }
    guard let space else { return InternedExplanation(key: id, segments: all) }
    let restricted: [InternedSegment] = all.compactMap { seg in
      var part = seg
      part.connections = seg.connections.intersection(space)
      return part.connections == .none ? nil : part
    }
    return InternedExplanation(key: nil, segments: restricted)
  }

  /// The segments of a pair of profiles and explanation vectors: the cells' pairs merged by
  /// their pair of explanation ids, allowed first.
  private func mergedSegments(_ key: ExplanationMemo.SegmentsKey) -> [InternedSegment] {
    func fixed(_ direction: Direction, _ vector: Int32) -> Int32 {
      explanationMemo.intern(
        DirectionExplanation(direction: direction, allowed: vector != -2, decidingTier: .systemDefault))
    }
    let egressCells = key.egressVector >= 0 ? explanationMemo.vectorCells(key.egressVector) : nil
    let ingressCells = key.ingressVector >= 0 ? explanationMemo.vectorCells(key.ingressVector) : nil
    let egressFixed = fixed(.egress, key.egressVector)
    let ingressFixed = fixed(.ingress, key.ingressVector)
    let pairs = explanationMemo.cellPairs(
      Int64(key.egressProfile) << 32 | Int64(UInt32(bitPattern: key.ingressProfile))
    ) {
      cellPairs(egressProfile: key.egressProfile, ingressProfile: key.ingressProfile)
    }
    var segments: [InternedSegment] = []
    for pair in pairs {
      let egress = egressCells?[Int(pair.egressCell)] ?? egressFixed
      let ingress = ingressCells?[Int(pair.ingressCell)] ?? ingressFixed
      if let i = segments.firstIndex(where: { $0.egress == egress && $0.ingress == ingress }) {
        segments[i].connections = segments[i].connections.union(pair.connections)
      } else {
        segments.append(
          InternedSegment(
            connections: pair.connections,
            allowed: explanationMemo.allowed(egress) && explanationMemo.allowed(ingress),
            egress: egress, ingress: ingress))
      }
    }
    segments.sort { $0.allowed && !$1.allowed }
    return segments
  }

  /// Per cell of `profile`: the vector id of the explanations toward `peers` (several external
  /// ranges: per cell the first denying one; none: allowed by the system default).
  private func worstPerCell(
    _ direction: Direction, profile: Int32, subject: Int, peers: [Int], destinationClass: Int?
  ) -> Int32 {
    func cellCount() -> Int {
      let cells = direction == .ingress ? c.ingressCells[Int(profile)] : c.egressCells[Int(profile)]
      return Int((cells.max() ?? -1) + 1)
    }
    let vectors = peers.map { peer in
      explanationMemo.vectorByPeer(Self.peerKey(direction, profile, peer)) {
        explanationMemo.vector(explanationKey(direction, profile: profile, peer: peer)) {
          let cells = direction == .ingress ? c.ingressCells[Int(profile)] : c.egressCells[Int(profile)]
          let cellCount = cellCount()
          var firstAtom = [Int](repeating: -1, count: cellCount)
          for (a, cell) in cells.enumerated() where firstAtom[Int(cell)] < 0 { firstAtom[Int(cell)] = a }
          return firstAtom.map { a in
            explainDirection(direction, subject: subject, peer: peer, destinationClass: destinationClass, atom: a)
          }
        }
      }
    }
    guard let first = vectors.first else {
      let open = explanationMemo.intern(
        DirectionExplanation(direction: direction, allowed: true, decidingTier: .systemDefault))
      return explanationMemo.internVector([Int32](repeating: open, count: cellCount()))
    }
    if vectors.count == 1 { return first }
    let cellsOf = vectors.map(explanationMemo.vectorCells)
    return explanationMemo.internVector(
      (0..<cellCount()).map { cell in
        cellsOf.first { !explanationMemo.allowed($0[cell]) }?[cell] ?? cellsOf[0][cell]
      })
  }

  /// The key of (direction, profile, peer index) in the memo's fast tables.
  static func peerKey(_ direction: Direction, _ profile: Int32, _ peer: Int) -> Int64 {
    Int64(profile) << 33 | Int64(peer) << 1 | (direction == .ingress ? 1 : 0)
  }

  /// The memo key of the explanations of `profile` toward `peer`: two peers that the same rules
  /// of the profile select, with the same named ports, get the same explanations.
  func explanationKey(_ direction: Direction, profile: Int32, peer: Int) -> ExplanationMemo.Key {
    let rules = explanationMemo.profileRules(Int64(profile) << 1 | (direction == .ingress ? 1 : 0)) {
      let key = direction == .ingress ? c.ingressProfiles[Int(profile)] : c.egressProfiles[Int(profile)]
      var out = key.anps.flatMap { c.anps[Int($0)].rules(direction).map(\.peers) }
      out += key.nps.flatMap { c.nps[Int($0)].rules(direction).map(\.peers) }
      if key.banp, let banp = c.banp { out += banp.rules(direction).map(\.peers) }
      return out
    }
    var bits = [UInt64](repeating: 0, count: (rules.count + 63) / 64)
    for (i, set) in rules.enumerated() where set.contains(peer) { bits[i >> 6] |= 1 << UInt64(i & 63) }
    let named: Int32 = direction == .egress && peer < c.classCount ? c.classNamedSignature[peer] : -1
    return ExplanationMemo.Key(
      direction: direction, profile: profile, peerNamedSignature: named, rulesSelectingPeer: bits)
  }

  /// The cells' pairs of an egress profile and an ingress profile (-1: an external end, one
  /// cell), with the atoms of each pair as connections, in atom order of first appearance.
  private func cellPairs(egressProfile: Int32, ingressProfile: Int32) -> [ExplanationMemo.CellPair] {
    let egressCells = egressProfile >= 0 ? c.egressCells[Int(egressProfile)] : nil
    let ingressCells = ingressProfile >= 0 ? c.ingressCells[Int(ingressProfile)] : nil
    var slot: [Int64: Int] = [:]
    var keys: [(Int32, Int32)] = []
    var ports: [[TransportProtocol: [PortRange]]] = []
    for a in 0..<c.atoms.count {
      let e = egressCells?[a] ?? 0
      let i = ingressCells?[a] ?? 0
      let key = Int64(e) << 32 | Int64(i)
      let k: Int
      if let known = slot[key] {
        k = known
      } else {
        k = keys.count
        slot[key] = k
        keys.append((e, i))
        ports.append([:])
      }
      ports[k][c.atoms[a].proto, default: []].append(c.atoms[a].range)
    }
    return zip(keys, ports).map { key, ports in
      ExplanationMemo.CellPair(egressCell: key.0, ingressCell: key.1, connections: ConnectionSet(ports))
    }
  }

  /// The policies that select pod `pod` for `direction`, tier by tier: admin policies (in
  /// evaluation order) with rules of that direction, the NetworkPolicies that isolate it (input
  /// order), the baseline when it has rules of that direction.
  public func selectingPolicies(pod: Int, direction: Direction) -> [PolicyRef] {
    let cls = podClass(pod)
    let key =
      direction == .ingress
      ? c.ingressProfiles[Int(c.ingressProfileOf[cls])]
      : c.egressProfiles[Int(c.egressProfileOf[cls])]
    var out = key.anps.map { c.anps[Int($0)].ref }
    out += key.nps.map { c.nps[Int($0)].ref }
    if key.banp, let banp = c.banp { out.append(banp.ref) }
    return out
  }

  /// netpol-analyzer drops the NetworkPolicy reasons of a direction when an admin rule with a
  /// port restriction matches the peer there and the NetworkPolicies isolating the subject admit
  /// the peer on no port at all. True when that holds for `direction` at `subject` (the pod whose
  /// policies apply) with `peer` at the other end. Read from the compiled rules.
  public func networkPolicyDenialsUnreported(direction: Direction, subject: Int, peer: Peer)
    -> Bool
  {
    let cls = podClass(subject)
    let profile = direction == .ingress ? c.ingressProfileOf[cls] : c.egressProfileOf[cls]
    if case .pod(let p) = peer {
      let peerClass = podClass(p)
      return explanationMemo.unreportedByPeer(Self.peerKey(direction, profile, peerClass)) {
        let key =
          direction == .ingress ? c.ingressProfiles[Int(profile)] : c.egressProfiles[Int(profile)]
        guard !key.nps.isEmpty else { return false }
        return explanationMemo.flag(explanationKey(direction, profile: profile, peer: peerClass)) {
          networkPolicyDenialsUnreported(direction, subject: cls, key: key, peers: [peerClass])
        }
      }
    }
    let key =
      direction == .ingress ? c.ingressProfiles[Int(profile)] : c.egressProfiles[Int(profile)]
    guard !key.nps.isEmpty else { return false }
    let peers: [Int] = {
      switch peer {
      case .pod(let p): return [podClass(p)]
      case .external(let r): return externalIndices(overlapping: r).map { c.classCount + $0 }
      }
    }()
    if peers.count == 1 {
      return explanationMemo.unreportedByPeer(Self.peerKey(direction, profile, peers[0])) {
        explanationMemo.flag(explanationKey(direction, profile: profile, peer: peers[0])) {
          networkPolicyDenialsUnreported(direction, subject: cls, key: key, peers: peers)
        }
      }
    }
    return networkPolicyDenialsUnreported(direction, subject: cls, key: key, peers: peers)
  }

  func networkPolicyDenialsUnreported(
    _ direction: Direction, subject cls: Int, key: ProfileKey, peers: [Int]
  ) -> Bool {
    let adminHit = key.anps.contains { p in
      c.anps[Int(p)].rules(direction).contains { r in
        r.restrictsPorts && peers.contains(where: r.peers.contains)
      }
    }
    guard adminHit else { return false }
    return !key.nps.contains { p in
      c.nps[Int(p)].rules(direction).contains { r in
        peers.contains { peer in
          (0..<c.atoms.count).contains { ruleAdmits(r, direction, subject: cls, peer: peer, atom: $0) }
        }
      }
    }
  }

  /// For a range spanning several external ranges: the first denying explanation, else the
  /// first. An address of a family no policy names (no external range of the engine) is
  /// allowed by the system default, as `connections(from:to:)` answers.
  func worstOf(_ list: [DirectionExplanation], _ direction: Direction) -> DirectionExplanation {
    list.first { !$0.allowed } ?? list.first
      ?? DirectionExplanation(direction: direction, allowed: true, decidingTier: .systemDefault)
  }

  /// Whether a compiled rule admits peer index `peer` on atom `a`, seen from class `subject`.
  func ruleAdmits(_ r: CompiledRule, _ direction: Direction, subject: Int, peer: Int, atom a: Int)
    -> Bool
  {
    guard r.peers.contains(peer) else { return false }
    return portsAdmit(r, direction, subject: subject, peer: peer, atom: a)
  }

  /// Whether the ports of a compiled rule admit atom `a` (named ports resolved at the destination).
  func portsAdmit(_ r: CompiledRule, _ direction: Direction, subject: Int, peer: Int, atom a: Int)
    -> Bool
  {
    if AtomBits.test(r.numeric, a) { return true }
    let resolver = direction == .ingress ? subject : peer
    guard resolver < c.classCount else { return false }
    let named = c.classNamed[resolver]
    return r.names.contains { named[$0]?.contains(Int32(a)) ?? false }
  }

  /// Whether every port of a rule is a name that destination class `dst` (nil: external) does not
  /// declare.
  func namedPortsUnresolved(_ r: CompiledRule, destinationClass dst: Int?) -> Bool {
    guard r.restrictsPorts, !r.names.isEmpty, r.numeric.allSatisfy({ $0 == 0 }) else {
      return false
    }
    guard let dst else { return true }
    return !r.names.contains { c.classNamed[dst][$0] != nil }
  }

  /// One direction's tiers for one atom, with the rules that decide. The same tier order as
  /// `SegmentBuilder.row`: admin policies by priority (first matching rule; Pass goes to the
  /// NetworkPolicy tier, or to the baseline when no NetworkPolicy isolates the subject),
  /// NetworkPolicies (union), the baseline (first matching Allow/Deny), then allow.
  func explainDirection(
    _ direction: Direction, subject: Int, peer: Int, destinationClass: Int?, atom a: Int
  ) -> DirectionExplanation {
    let key =
      direction == .ingress
      ? c.ingressProfiles[Int(c.ingressProfileOf[subject])]
      : c.egressProfiles[Int(c.egressProfileOf[subject])]
    let admin = key.anps.flatMap { c.anps[Int($0)].rules(direction) }
    let nps = key.nps.map { c.nps[Int($0)] }
    let baseline = key.banp ? (c.banp?.rules(direction) ?? []) : []
    func admits(_ r: CompiledRule) -> Bool {
      ruleAdmits(r, direction, subject: subject, peer: peer, atom: a)
    }
    let npHits = nps.map { $0.rules(direction).map(admits) }
    let outcome = TierWalk.walk(
      everything: true, admin: admin.map { ($0.action, admits($0)) },
      networkPolicies: key.nps.isEmpty ? nil : npHits.flatMap { $0 },
      baseline: baseline.map { ($0.action, admits($0)) })
    var out = DirectionExplanation(
      direction: direction, allowed: outcome.allowed, decidingTier: .systemDefault)
    if let i = outcome.admin.firstIndex(of: true) {
      out.adminRules = [admin[i].ref]
      if admin[i].action != .pass {
        out.decidingTier = .adminNetworkPolicy
        return out
      }
    }
    if !key.nps.isEmpty {
      out.decidingTier = .networkPolicy
      for (policy, hits) in zip(nps, npHits) {
        let rules = policy.rules(direction)
        if hits.contains(true) {
          out.allowingRules += zip(rules, hits).filter(\.1).map(\.0.ref)
        } else {
          let peerRule = rules.first { $0.peers.contains(peer) }
          out.unmatchedPolicies.append(
            UnmatchedPolicy(
              policy: policy.ref, noRulesDefined: rules.isEmpty, peerRule: peerRule?.ref,
              namedPortsUnresolved: peerRule.map {
                namedPortsUnresolved($0, destinationClass: destinationClass)
              } ?? false))
        }
      }
      out.allowingRules.sort()
      out.unmatchedPolicies.sort()
      return out
    }
    if let i = outcome.baseline.firstIndex(of: true) {
      out.baselineRule = baseline[i].ref
      out.decidingTier = .baselineAdminNetworkPolicy
    }
    return out
  }
}
