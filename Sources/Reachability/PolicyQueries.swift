import KubeModel

/// The policies that select a class in one direction, as the compiled tiers see it.
public struct ClassIsolation: Hashable, Sendable {
  /// AdminNetworkPolicies with rules in this direction whose subject holds the class, in
  /// priority order.
  public var adminPolicies: [PolicyRef]
  /// NetworkPolicies that isolate the class in this direction.
  public var networkPolicies: [PolicyRef]
  /// The BaselineAdminNetworkPolicy, when it has rules in this direction and selects the class.
  public var baseline: PolicyRef?

  /// True when some NetworkPolicy isolates the class (traffic not allowed by a rule is denied).
  public var isIsolated: Bool { !networkPolicies.isEmpty }
  /// True when no tier has anything to say: every flow of this direction is allowed by the
  /// system default.
  public var isUnprotected: Bool { adminPolicies.isEmpty && networkPolicies.isEmpty && baseline == nil }
}

/// A policy whose removal changes no verdict (see `ReachabilityEngine.policiesChangingNothing()`).
public struct RedundantPolicy: Hashable, Comparable, Sendable {
  /// The policy.
  public var policy: PolicyRef
  /// Other policies of the same tier that select the same pods in the compared profiles: the
  /// ones that cover it, sorted.
  public var coveredBy: [PolicyRef]

  public static func < (lhs: RedundantPolicy, rhs: RedundantPolicy) -> Bool { lhs.policy < rhs.policy }
}

extension ReachabilityEngine {
  /// The policies that select class `cls` in `direction`, per tier.
  public func isolation(ofClass cls: Int, direction: Direction) -> ClassIsolation {
    let key =
      direction == .ingress
      ? c.ingressProfiles[Int(c.ingressProfileOf[cls])] : c.egressProfiles[Int(c.egressProfileOf[cls])]
    return ClassIsolation(
      adminPolicies: key.anps.map { c.anps[Int($0)].ref }, networkPolicies: key.nps.map { c.nps[Int($0)].ref },
      baseline: key.banp ? c.banp?.ref : nil)
  }

  /// The policies that select pod `pod` in `direction`, as the walk applies them, by index into
  /// the cluster's lists: admin policies with rules in that direction (evaluation order), the
  /// NetworkPolicies that isolate it (input order), and whether the baseline applies.
  public func selectingPolicyIndices(pod: Int, direction: Direction) -> (
    admin: [Int], networkPolicies: [Int], baseline: Bool
  ) {
    let cls = podClass(pod)
    let key =
      direction == .ingress
      ? c.ingressProfiles[Int(c.ingressProfileOf[cls])]
      : c.egressProfiles[Int(c.egressProfileOf[cls])]
    return (key.anps.map { c.anpSource[Int($0)] }, key.nps.map(Int.init), key.banp)
  }

  /// The classes a NetworkPolicy (by index into `Cluster.networkPolicies`) selects.
  public func subjectClasses(networkPolicy index: Int) -> [Int] { c.nps[index].subject.map(Int.init) }

  /// The classes an AdminNetworkPolicy (by index into `Cluster.adminNetworkPolicies`) selects.
  public func subjectClasses(adminNetworkPolicy index: Int) -> [Int] {
    guard let compiled = c.anpSource.firstIndex(of: index) else { return [] }
    return c.anps[compiled].subject.map(Int.init)
  }

  /// The classes the BaselineAdminNetworkPolicy selects (empty without one).
  public var baselineSubjectClasses: [Int] { c.banp?.subject.map(Int.init) ?? [] }

  /// The classes that a NetworkPolicy rule's peers select (external ranges left out). Empty for
  /// a direction the policy does not isolate.
  public func peerClasses(networkPolicy index: Int, direction: Direction, rule: Int) -> [Int] {
    let rules = c.nps[index].rules(direction)
    guard rule < rules.count else { return [] }
    var out: [Int] = []
    rules[rule].peers.forEach(in: 0..<c.classCount) { out.append($0) }
    return out
  }

  /// The classes that a rule of an AdminNetworkPolicy (by index into
  /// `Cluster.adminNetworkPolicies`) selects as peers (external ranges and nodes left out).
  public func peerClasses(adminNetworkPolicy index: Int, direction: Direction, rule: Int) -> [Int] {
    guard let compiled = c.anpSource.firstIndex(of: index) else { return [] }
    return Self.classes(of: c.anps[compiled].rules(direction), rule: rule, count: c.classCount)
  }

  /// The classes that a rule of the BaselineAdminNetworkPolicy selects as peers.
  public func baselinePeerClasses(direction: Direction, rule: Int) -> [Int] {
    guard let banp = c.banp else { return [] }
    return Self.classes(of: banp.rules(direction), rule: rule, count: c.classCount)
  }

  private static func classes(of rules: [CompiledRule], rule: Int, count: Int) -> [Int] {
    guard rule < rules.count else { return [] }
    var out: [Int] = []
    rules[rule].peers.forEach(in: 0..<count) { out.append($0) }
    return out
  }

  /// Whether the pods of a class declare a container port of that name (and protocol; nil: any
  /// protocol). Only names some policy uses are known to the engine.
  public func declaresNamedPort(class cls: Int, name: String, protocol proto: TransportProtocol?) -> Bool {
    c.classNamed[cls][NameKey(name: name, proto: proto)] != nil
  }

  /// The policies (NetworkPolicies, AdminNetworkPolicies, the baseline) that select at least
  /// one class and whose removal would leave every verdict of every class unchanged.
  ///
  /// Not one engine run per policy: a policy only enters the profiles (sets of classes with the
  /// same selecting policies) of the classes it selects, so only those profiles are recomputed,
  /// each with the policy left out, by the same `SegmentBuilder` that compiled them. For a
  /// NetworkPolicy that is not the profile's only isolating one, only the segments where one of
  /// its rules contributes peers are recomputed (NetworkPolicy rules only add, so elsewhere
  /// nothing can change), and the first difference ends the search for that policy.
  public func policiesChangingNothing() -> [RedundantPolicy] {
    var out: [RedundantPolicy] = []
    // Per direction and profile: its only class when it has one class of one pod, else -1.
    // A row difference at that class alone is no difference: a pod's traffic to itself is
    // always allowed, so the class-to-itself entry of a one-pod class is never a real pair.
    var lonely: [Direction: [Int]] = [:]
    for direction in Direction.allCases {
      let (profileOf, keys, _) = profileTables(direction)
      var only = [Int](repeating: -2, count: keys.count)
      for cls in 0..<c.classCount {
        let k = Int(profileOf[cls])
        only[k] = only[k] == -2 && c.classMembers[cls].count == 1 ? cls : -1
      }
      lonely[direction] = only
    }
    for (i, policy) in c.nps.enumerated() where !policy.subject.isEmpty {
      var covering = Set<Int32>()
      var redundant = true
      for direction in Direction.allCases where policy.isolates(direction) {
        let (profileOf, keys, segments) = profileTables(direction)
        var seen = Set<Int32>()
        for cls in policy.subject where seen.insert(profileOf[Int(cls)]).inserted {
          let k = Int(profileOf[Int(cls)])
          let key = keys[k]
          var without = key
          without.nps.removeAll { $0 == Int32(i) }
          covering.formUnion(without.nps)
          let builder = SegmentBuilder(c: c, direction: direction)
          let same: Bool
          let ignore = lonely[direction]?[k] ?? -1
          if without.nps.isEmpty {
            same = sameRows(segments[k], builder.segments(for: without).segments, ignoring: ignore)
          } else {
            same = sameRowsWithout(
              policy: policy, key: key, without: without, existing: segments[k], builder: builder, ignoring: ignore)
          }
          if !same {
            redundant = false
            break
          }
        }
        if !redundant { break }
      }
      if redundant {
        out.append(
          RedundantPolicy(policy: policy.ref, coveredBy: covering.map { c.nps[Int($0)].ref }.sorted()))
      }
    }
    for (j, policy) in c.anps.enumerated() where !policy.subject.isEmpty {
      var redundant = true
      for direction in Direction.allCases where !policy.rules(direction).isEmpty {
        let (profileOf, keys, segments) = profileTables(direction)
        var seen = Set<Int32>()
        let builder = SegmentBuilder(c: c, direction: direction)
        for cls in policy.subject where seen.insert(profileOf[Int(cls)]).inserted {
          let k = Int(profileOf[Int(cls)])
          var without = keys[k]
          without.anps.removeAll { $0 == Int32(j) }
          if !sameRows(segments[k], builder.segments(for: without).segments, ignoring: lonely[direction]?[k] ?? -1) {
            redundant = false
            break
          }
        }
        if !redundant { break }
      }
      if redundant { out.append(RedundantPolicy(policy: policy.ref, coveredBy: [])) }
    }
    if let banp = c.banp, !banp.subject.isEmpty {
      var redundant = true
      for direction in Direction.allCases where !banp.rules(direction).isEmpty && redundant {
        let (profileOf, keys, segments) = profileTables(direction)
        var seen = Set<Int32>()
        let builder = SegmentBuilder(c: c, direction: direction)
        for cls in banp.subject where seen.insert(profileOf[Int(cls)]).inserted {
          let k = Int(profileOf[Int(cls)])
          var without = keys[k]
          without.banp = false
          if !sameRows(segments[k], builder.segments(for: without).segments, ignoring: lonely[direction]?[k] ?? -1) {
            redundant = false
            break
          }
        }
      }
      if redundant { out.append(RedundantPolicy(policy: banp.ref, coveredBy: [])) }
    }
    return out.sorted()
  }

  private func profileTables(_ direction: Direction) -> ([Int32], [ProfileKey], [[Segment]]) {
    direction == .ingress
      ? (c.ingressProfileOf, c.ingressProfiles, c.ingressSegments)
      : (c.egressProfileOf, c.egressProfiles, c.egressSegments)
  }

  /// With `policy` (a NetworkPolicy) left out of a profile that stays isolated: whether every
  /// segment where the policy's rules contribute keeps its row.
  private func sameRowsWithout(
    policy: CompiledPolicy, key: ProfileKey, without: ProfileKey, existing: [Segment], builder: SegmentBuilder,
    ignoring: Int
  ) -> Bool {
    let named = builder.subjectNamed(key)
    let (anp, np, banp) = builder.rules(without)
    let own = policy.rules(builder.direction)
    for segment in existing {
      guard let atom = Self.firstAtom(segment.atoms) else { continue }
      if own.allSatisfy({ builder.contribution($0, atom: atom, subjectNamed: named).isEmpty }) { continue }
      let row = builder.row(anp: anp, np: np, banp: banp, isolated: true, atom: atom, named: named)
      if !sameSet(row, segment.row, ignoring: ignoring) { return false }
    }
    return true
  }

  static func firstAtom(_ words: [UInt64]) -> Int? {
    for (i, w) in words.enumerated() where w != 0 { return i * 64 + w.trailingZeroBitCount }
    return nil
  }

  /// Whether two segment lists give every atom the same row (an atom in no segment: empty),
  /// apart from peer `ignoring`.
  func sameRows(_ a: [Segment], _ b: [Segment], ignoring: Int) -> Bool {
    let atoms = c.atoms.count
    let empty = Segment(atoms: [], row: .empty)
    func table(_ list: [Segment]) -> [Int] {
      var t = [Int](repeating: -1, count: atoms)
      for (s, segment) in list.enumerated() {
        for (wi, word) in segment.atoms.enumerated() {
          var x = word
          while x != 0 {
            let atom = wi * 64 + x.trailingZeroBitCount
            x &= x &- 1
            if atom < atoms { t[atom] = s }
          }
        }
      }
      return t
    }
    let ta = table(a)
    let tb = table(b)
    var checked: [Int: Int] = [:]
    for atom in 0..<atoms {
      let (x, y) = (ta[atom], tb[atom])
      if x < 0 && y < 0 { continue }
      if x >= 0 && checked[x] == y { continue }
      guard sameSet((x < 0 ? empty : a[x]).row, (y < 0 ? empty : b[y]).row, ignoring: ignoring) else { return false }
      if x >= 0 { checked[x] = y }
    }
    return true
  }

  /// Set equality across shapes, apart from member `ignoring` (-1: none).
  func sameSet(_ x: PeerSet, _ y: PeerSet, ignoring: Int) -> Bool {
    if x == y { return true }
    let words = (c.universe + 63) / 64
    var a = [UInt64](repeating: 0, count: words)
    var b = [UInt64](repeating: 0, count: words)
    x.write(into: &a)
    y.write(into: &b)
    if c.universe % 64 != 0 {
      let mask: UInt64 = (1 << UInt64(c.universe % 64)) - 1
      a[words - 1] &= mask
      b[words - 1] &= mask
    }
    if ignoring >= 0 {
      let bit: UInt64 = 1 << UInt64(ignoring & 63)
      a[ignoring >> 6] &= ~bit
      b[ignoring >> 6] &= ~bit
    }
    return a == b
  }
}
