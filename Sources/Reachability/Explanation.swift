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

/// One-direction explanations by (direction, subject profile, peer, cell of atoms), shared by
/// every pair that asks the same question.
final class ExplanationMemo: @unchecked Sendable {
  struct Key: Hashable {
    var direction: Direction
    var profile: Int32
    var peer: Int32
    var cell: Int32
  }
  private let lock = NSLock()
  private var known: [Key: DirectionExplanation] = [:]
  private var unreported: [Key: Bool] = [:]

  func value(_ key: Key, _ make: () -> DirectionExplanation) -> DirectionExplanation {
    memoised(\.known, key, make)
  }

  func flag(_ key: Key, _ make: () -> Bool) -> Bool { memoised(\.unreported, key, make) }

  /// The value of `key` in one of the tables, computed (outside the lock) when missing.
  private func memoised<V>(
    _ table: ReferenceWritableKeyPath<ExplanationMemo, [Key: V]>, _ key: Key, _ make: () -> V
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
    // Atoms that both profiles' rules treat alike share one explanation: explain one atom
    // per pair of cells.
    let egressCells: [Int32]? = {
      if case .pod(let s) = src { return c.egressCells[Int(c.egressProfileOf[podClass(s)])] }
      return nil
    }()
    let ingressCells: [Int32]? = {
      if case .pod(let d) = dst { return c.ingressCells[Int(c.ingressProfileOf[podClass(d)])] }
      return nil
    }()
    func explainAtom(_ a: Int) -> [DirectionExplanation] {
      var egress = DirectionExplanation(
        direction: .egress, allowed: true, decidingTier: .systemDefault)
      var ingress = DirectionExplanation(
        direction: .ingress, allowed: true, decidingTier: .systemDefault)
      if case .external = src, case .external = dst {
        egress.allowed = false
        ingress.allowed = false
      } else if !selfTraffic {
        if case .pod = src {
          egress = worstOf(
            dstIdx.map { peer in
              explanationMemo.value(
                .init(
                  direction: .egress, profile: c.egressProfileOf[srcIdx[0]], peer: Int32(peer),
                  cell: egressCells?[a] ?? 0)
              ) {
                explainDirection(
                  .egress, subject: srcIdx[0], peer: peer, destinationClass: dstClass, atom: a)
              }
            }, .egress)
        }
        if case .pod = dst {
          ingress = worstOf(
            srcIdx.map { peer in
              explanationMemo.value(
                .init(
                  direction: .ingress, profile: c.ingressProfileOf[dstIdx[0]], peer: Int32(peer),
                  cell: ingressCells?[a] ?? 0)
              ) {
                explainDirection(
                  .ingress, subject: dstIdx[0], peer: peer, destinationClass: dstClass, atom: a)
              }
            }, .ingress)
        }
      }
      return [egress, ingress]
    }
    var atomsOfCell: [Int64: [Int]] = [:]
    var cellOrder: [Int64] = []
    for a in 0..<c.atoms.count {
      if let space,
        !(space.ranges[c.atoms[a].proto] ?? []).contains(where: {
          $0.lower <= c.atoms[a].range.upper && c.atoms[a].range.lower <= $0.upper
        })
      {
        continue
      }
      let cell = Int64(egressCells?[a] ?? 0) << 32 | Int64(ingressCells?[a] ?? 0)
      if atomsOfCell[cell] == nil { cellOrder.append(cell) }
      atomsOfCell[cell, default: []].append(a)
    }
    // Few cells per pair: equal explanations are found by comparison, not hashing.
    var order: [[DirectionExplanation]] = []
    var atomsOfKey: [[Int]] = []
    for cell in cellOrder {
      let atoms = atomsOfCell[cell] ?? []
      guard let first = atoms.first else { continue }
      let key = explainAtom(first)
      if let i = order.firstIndex(of: key) {
        atomsOfKey[i] += atoms
      } else {
        order.append(key)
        atomsOfKey.append(atoms)
      }
    }
    var segments: [ExplanationSegment] = []
    for (key, atoms) in zip(order, atomsOfKey) {
      var ports: [TransportProtocol: [PortRange]] = [:]
      for a in atoms { ports[c.atoms[a].proto, default: []].append(c.atoms[a].range) }
      var connections = ConnectionSet(ports)
      if let space { connections = connections.intersection(space) }
      segments.append(
        ExplanationSegment(
          connections: connections, allowed: key[0].allowed && key[1].allowed,
          egress: key[0], ingress: key[1]))
    }
    segments.sort { $0.allowed && !$1.allowed }
    return PairExplanation(source: src, destination: dst, segments: segments)
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
      return explanationMemo.flag(
        .init(direction: direction, profile: profile, peer: Int32(peers[0]), cell: -1)
      ) { networkPolicyDenialsUnreported(direction, subject: cls, key: key, peers: peers) }
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
