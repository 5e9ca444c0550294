import KubeModel

/// A value the tier walk can combine: a set of peers, of connections, or one flow (`Bool`).
public protocol TierSet {
  /// The empty set.
  static var nothing: Self { get }
  /// Members of either set.
  func union(_ other: Self) -> Self
  /// Members of this set that are not in `other`.
  func subtracting(_ other: Self) -> Self
  /// Whether the set is empty.
  var isNothing: Bool { get }
}

/// THE tier walk of one direction, written once (SEMANTICS.md section 2): admin policies in
/// evaluation order, rules in order, the first matching rule decides (Allow, Deny, or Pass to
/// the NetworkPolicy tier); then, when a NetworkPolicy isolates the subject, the union of its
/// NetworkPolicies' rules decides what the admin tier left open; otherwise the baseline's
/// first matching Allow or Deny; whatever is left is allowed.
///
/// The engine's segments walk it over peer sets, its explanations over one flow (`Bool`), and
/// exposure over connection sets: one order, one reading.
public enum TierWalk {
  /// The result of a walk, with the part each tier and rule decided.
  public struct Outcome<V: TierSet> {
    /// What the direction allows.
    public var allowed: V
    /// Per admin rule (in the order given): the part it matched first. For a Pass rule, the
    /// part it handed to the next tier.
    public var admin: [V]
    /// Per baseline rule (in the order given): the part it matched first among the baseline's
    /// rules (meaningful only where no admin rule decided and no NetworkPolicy isolates).
    public var baseline: [V]
  }

  /// Walks the tiers. `admin` and `baseline` are the rules with what each matches (before any
  /// tier); `networkPolicies` the parts each rule of the isolating NetworkPolicies admits, nil
  /// when none isolates the subject; `everything` the whole space.
  public static func walk<V: TierSet>(
    everything: V, admin: [(action: AdminPolicyAction, hit: V)], networkPolicies: [V]?,
    baseline: [(action: AdminPolicyAction, hit: V)]
  ) -> Outcome<V> {
    var decided = V.nothing
    var allowed = V.nothing
    var denied = V.nothing
    var adminParts: [V] = []
    adminParts.reserveCapacity(admin.count)
    for (action, hit) in admin {
      let fresh = hit.isNothing ? hit : hit.subtracting(decided)
      adminParts.append(fresh)
      if fresh.isNothing { continue }
      decided = decided.union(fresh)
      switch action {
      case .allow: allowed = allowed.union(fresh)
      case .deny: denied = denied.union(fresh)
      case .pass: break
      }
    }
    if let networkPolicies {
      let permitted = networkPolicies.reduce(V.nothing) { $0.union($1) }
      return Outcome(
        allowed: allowed.union(permitted.subtracting(denied)), admin: adminParts, baseline: [])
    }
    var baselineDecided = V.nothing
    var baselineDenied = V.nothing
    var baselineParts: [V] = []
    baselineParts.reserveCapacity(baseline.count)
    for (action, hit) in baseline {
      // A Pass rule is not a baseline action: it matches nothing.
      guard action != .pass, !hit.isNothing else {
        baselineParts.append(.nothing)
        continue
      }
      let fresh = hit.subtracting(baselineDecided)
      baselineParts.append(fresh)
      baselineDecided = baselineDecided.union(fresh)
      if action == .deny { baselineDenied = baselineDenied.union(fresh) }
    }
    return Outcome(
      allowed: allowed.union(everything.subtracting(denied).subtracting(baselineDenied)),
      admin: adminParts, baseline: baselineParts)
  }
}

extension Bool: TierSet {
  public static var nothing: Bool { false }
  public func union(_ other: Bool) -> Bool { self || other }
  public func subtracting(_ other: Bool) -> Bool { self && !other }
  public var isNothing: Bool { !self }
}

/// A set of peer indices as bitset words (the universe's width).
struct PeerBits: TierSet {
  var words: [UInt64]

  static var nothing: PeerBits { PeerBits(words: []) }

  func union(_ other: PeerBits) -> PeerBits {
    if other.words.isEmpty { return self }
    if words.isEmpty { return other }
    var out = words
    for i in 0..<out.count { out[i] |= other.words[i] }
    return PeerBits(words: out)
  }

  func subtracting(_ other: PeerBits) -> PeerBits {
    if other.words.isEmpty || words.isEmpty { return self }
    var out = words
    for i in 0..<out.count { out[i] &= ~other.words[i] }
    return PeerBits(words: out)
  }

  var isNothing: Bool { words.allSatisfy { $0 == 0 } }
}
