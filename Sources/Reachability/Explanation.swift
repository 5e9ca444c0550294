import KubeModel

/// A NetworkPolicy that selects the pod of a direction without allowing the flow: netpol-analyzer's
/// "NetworkPolicy 'ns/name' selects X, but Y is not allowed by any Ingress rule".
public struct UnmatchedPolicy: Hashable, Comparable, Sendable {
  /// The selecting policy.
  public var policy: PolicyRef
  /// The policy has no rules in that direction (netpol-analyzer adds "(no rules defined)").
  public var noRulesDefined: Bool

  /// A selecting policy without a matching rule.
  public init(policy: PolicyRef, noRulesDefined: Bool) {
    self.policy = policy
    self.noRulesDefined = noRulesDefined
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

extension ReachabilityEngine {
  /// Why the flows from `src` to `dst` are allowed or denied, per part of the connection space.
  /// Walks the compiled rules of this pair only.
  public func explain(from src: Peer, to dst: Peer) -> PairExplanation {
    let base = c.classCount
    func index(_ p: Peer) -> [Int] {
      switch p {
      case .pod(let i): return [podClass(i)]
      case .external(let r): return externalIndices(overlapping: r).map { base + $0 }
      }
    }
    let srcIdx = index(src)
    let dstIdx = index(dst)
    var groups: [[DirectionExplanation]: [Int]] = [:]
    var order: [[DirectionExplanation]] = []
    for a in 0..<c.atoms.count {
      var egress = DirectionExplanation(
        direction: .egress, allowed: true, decidingTier: .systemDefault)
      var ingress = DirectionExplanation(
        direction: .ingress, allowed: true, decidingTier: .systemDefault)
      let selfTraffic: Bool = {
        if case .pod(let s) = src, case .pod(let d) = dst { return s == d }
        return false
      }()
      if case .external = src, case .external = dst {
        egress.allowed = false
        ingress.allowed = false
      } else if !selfTraffic {
        if case .pod = src {
          egress = worstOf(
            dstIdx.map { explainDirection(.egress, subject: srcIdx[0], peer: $0, atom: a) })
        }
        if case .pod = dst {
          ingress = worstOf(
            srcIdx.map { explainDirection(.ingress, subject: dstIdx[0], peer: $0, atom: a) })
        }
      }
      let key = [egress, ingress]
      if groups[key] == nil { order.append(key) }
      groups[key, default: []].append(a)
    }
    var segments: [ExplanationSegment] = []
    for key in order {
      let atoms = groups[key] ?? []
      var ports: [TransportProtocol: [PortRange]] = [:]
      for a in atoms { ports[c.atoms[a].proto, default: []].append(c.atoms[a].range) }
      segments.append(
        ExplanationSegment(
          connections: ConnectionSet(ports), allowed: key[0].allowed && key[1].allowed,
          egress: key[0],
          ingress: key[1]))
    }
    segments.sort { $0.allowed && !$1.allowed }
    return PairExplanation(source: src, destination: dst, segments: segments)
  }

  /// For a range spanning several external ranges: the first denying explanation, else the first.
  func worstOf(_ list: [DirectionExplanation]) -> DirectionExplanation {
    list.first { !$0.allowed } ?? list.first
      ?? DirectionExplanation(direction: .ingress, allowed: true, decidingTier: .systemDefault)
  }

  /// Whether a compiled rule admits peer index `peer` on atom `a`, seen from class `subject`.
  func ruleAdmits(_ r: CompiledRule, _ direction: Direction, subject: Int, peer: Int, atom a: Int)
    -> Bool
  {
    guard r.peers.contains(peer) else { return false }
    if AtomBits.test(r.numeric, a) { return true }
    let resolver = direction == .ingress ? subject : peer
    guard resolver < c.classCount else { return false }
    let named = c.classNamed[resolver]
    return r.names.contains { named[$0]?.contains(Int32(a)) ?? false }
  }

  /// One direction's tiers for one atom, with the rules that decide.
  func explainDirection(_ direction: Direction, subject: Int, peer: Int, atom a: Int)
    -> DirectionExplanation
  {
    let key =
      direction == .ingress
      ? c.ingressProfiles[Int(c.ingressProfileOf[subject])]
      : c.egressProfiles[Int(c.egressProfileOf[subject])]
    var out = DirectionExplanation(
      direction: direction, allowed: true, decidingTier: .systemDefault)
    anpLoop: for p in key.anps {
      for r in c.anps[Int(p)].rules(direction)
      where ruleAdmits(r, direction, subject: subject, peer: peer, atom: a) {
        out.adminRules.append(r.ref)
        switch r.action {
        case .allow, .deny:
          out.allowed = r.action == .allow
          out.decidingTier = .adminNetworkPolicy
          return out
        case .pass:
          break anpLoop
        }
      }
    }
    if !key.nps.isEmpty {
      out.decidingTier = .networkPolicy
      for p in key.nps {
        let policy = c.nps[Int(p)]
        let rules = policy.rules(direction)
        let admitting = rules.filter {
          ruleAdmits($0, direction, subject: subject, peer: peer, atom: a)
        }
        if admitting.isEmpty {
          out.unmatchedPolicies.append(
            UnmatchedPolicy(policy: policy.ref, noRulesDefined: rules.isEmpty))
        } else {
          out.allowingRules += admitting.map(\.ref)
        }
      }
      out.allowed = !out.allowingRules.isEmpty
      out.allowingRules.sort()
      out.unmatchedPolicies.sort()
      return out
    }
    if key.banp, let banp = c.banp {
      for r in banp.rules(direction) where r.action != .pass {
        if ruleAdmits(r, direction, subject: subject, peer: peer, atom: a) {
          out.baselineRule = r.ref
          out.allowed = r.action == .allow
          out.decidingTier = .baselineAdminNetworkPolicy
          return out
        }
      }
    }
    return out
  }
}
