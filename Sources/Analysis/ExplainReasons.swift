import KubeModel
import Reachability

/// What a reason did to the flow it explains.
public enum ExplainEffect: String, Hashable, Sendable, Codable {
  /// The rule (or the system default) allowed the flow.
  case allow
  /// The rule denied the flow.
  case deny
  /// An admin rule passed the flow on to the NetworkPolicy tier.
  case pass
  /// A policy selects the pod but none of its rules allows the flow.
  case noMatch = "no-match"
}

/// One reason for the verdict of one direction of a flow: a rule that matched, a policy that
/// selects the pod without allowing the flow, an Ingress/Route, or the system default. A value:
/// its sentence is written by Formats (`ExplainSentences`).
public struct ExplainReason: Hashable, Sendable {
  /// What the reason says, with the names it needs.
  public enum Detail: Hashable, Sendable {
    /// Nothing selects the pod in that direction, or no tier decided.
    case systemDefault
    /// A pod's traffic to itself.
    case podToItself
    /// An admin (or baseline) rule matched and allowed, denied or passed (`effect`).
    case adminRule(Direction)
    /// A NetworkPolicy rule (`rule`, `#n`) allows the flow.
    case networkPolicyAllows(Direction)
    /// A NetworkPolicy selects the subject (the end whose policies apply in that direction)
    /// but none of its rules admits the peer (the other end); `noRules` when it has no rules in
    /// that direction. The sentence names both ends: renderers take them from the pair.
    case networkPolicyAdmitsNoRule(Direction, noRules: Bool)
    /// A NetworkPolicy rule (`rule`) selects the peer but its ports do not admit the flow;
    /// `namedPortsUnresolved` when its named ports have no match at the destination.
    case networkPolicyPortsDiffer(Direction, namedPortsUnresolved: Bool)
    /// An Ingress/Route forwards the flow through a Service (`rule`).
    case forwardAllows
    /// An Ingress/Route forwards to the Service (`rule`) but not on these ports.
    case forwardPortsDiffer
  }

  /// `AdminNetworkPolicy`, `NetworkPolicy`, `BaselineAdminNetworkPolicy`, `Ingress`, `Route`, or
  /// `SystemDefault`.
  public var tier: String
  /// `ns/name` of a NetworkPolicy, Ingress or Route, the name of an admin policy, empty for the
  /// system default.
  public var policy: String
  /// The rule: `#n` for NetworkPolicy rules, the rule name for admin rules, the Service for
  /// Ingress/Route objects; empty when no rule is involved.
  public var rule: String
  /// Where the rule (or, without a rule, the policy) is written.
  public var location: SourceLocation?
  /// Whether the reason allowed, denied, passed or failed to match the flow.
  public var effect: ExplainEffect
  /// What the reason says.
  public var detail: Detail

  /// Creates a reason.
  public init(
    tier: String, policy: String, rule: String, location: SourceLocation?, effect: ExplainEffect,
    detail: Detail
  ) {
    self.tier = tier
    self.policy = policy
    self.rule = rule
    self.location = location
    self.effect = effect
    self.detail = detail
  }

  /// The system default (nothing selects the pod in that direction, or no tier decided).
  public static let systemDefault = ExplainReason(
    tier: "SystemDefault", policy: "", rule: "", location: nil, effect: .allow,
    detail: .systemDefault)

  /// Whether this is the system default.
  public var isSystemDefault: Bool { self == ExplainReason.systemDefault }

  /// The word that groups reasons into `<Kind> list:` blocks.
  public var kind: String { tier == "SystemDefault" ? "" : tier }
}

/// The verdict of one direction (egress at the source, or ingress at the destination) for a
/// part of the connection space, with its reasons (in the order the walk found them; renderers
/// order them as they print them). Its reasons name no pair, so many pairs share one verdict
/// value (stored once; copies share it), and renderers can cache per verdict.
public struct DirectionVerdict: Hashable, Sendable {
  final class Storage: Sendable {
    let allowed: Bool
    let reasons: [ExplainReason]
    let isSystemDefaultOnly: Bool

    init(allowed: Bool, reasons: [ExplainReason]) {
      self.allowed = allowed
      self.reasons = reasons
      self.isSystemDefaultOnly = reasons.count == 1 && reasons[0].isSystemDefault
    }
  }
  private let storage: Storage

  /// Creates a verdict.
  public init(allowed: Bool, reasons: [ExplainReason]) {
    storage = Storage(allowed: allowed, reasons: reasons)
  }

  /// Whether the direction allows this part of the flow.
  public var allowed: Bool { storage.allowed }
  /// The reasons.
  public var reasons: [ExplainReason] { storage.reasons }

  /// Allowed by nothing but the system default.
  public static let systemDefault = DirectionVerdict(allowed: true, reasons: [.systemDefault])

  /// Whether only the system default decided.
  public var isSystemDefaultOnly: Bool { storage.isSystemDefaultOnly }

  /// The same for every copy of this value (not for equal values built apart): a key for
  /// caches of work derived from a verdict.
  public var identity: ObjectIdentifier { ObjectIdentifier(storage) }

  public static func == (lhs: DirectionVerdict, rhs: DirectionVerdict) -> Bool {
    lhs.storage === rhs.storage
      || (lhs.storage.allowed == rhs.storage.allowed && lhs.storage.reasons == rhs.storage.reasons)
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(storage.allowed)
    hasher.combine(storage.reasons)
  }
}

/// Turns the engine's explanation of one direction (`ReachabilityEngine.explain`) into
/// netpol-analyzer's reasons. It reads the walk's result; it does not evaluate any rule.
enum ExplainReasons {
  /// netpol-analyzer's protocol order in explanations.
  static let protocolOrder: [TransportProtocol] = [.tcp, .udp, .sctp]

  static func effect(_ action: AdminPolicyAction) -> ExplainEffect {
    switch action {
    case .allow: .allow
    case .deny: .deny
    case .pass: .pass
    }
  }

  /// The reasons of one direction; with `silentNetworkPolicyDenials` a NetworkPolicy denial
  /// keeps no NetworkPolicy reasons (`ReachabilityEngine.networkPolicyDenialsUnreported`).
  static func verdict(_ e: DirectionExplanation, silentNetworkPolicyDenials: Bool) -> DirectionVerdict {
    let direction = e.direction
    var reasons: [ExplainReason] = e.adminRules.map { r in
      ExplainReason(
        tier: r.kind, policy: r.policy, rule: r.ruleName, location: r.location,
        effect: effect(r.action), detail: .adminRule(direction))
    }
    switch e.decidingTier {
    case .adminNetworkPolicy:
      break
    case .networkPolicy:
      if e.allowed {
        var seen = Set<String>()
        for r in e.allowingRules where seen.insert(r.policy).inserted {
          reasons.append(
            ExplainReason(
              tier: "NetworkPolicy", policy: r.policy, rule: "#\(r.ruleIndex + 1)",
              location: r.location, effect: .allow, detail: .networkPolicyAllows(direction)))
        }
      } else if !silentNetworkPolicyDenials {
        for u in e.unmatchedPolicies {
          reasons.append(unmatched(u, direction: direction))
        }
      }
    case .baselineAdminNetworkPolicy:
      if let r = e.baselineRule {
        reasons.append(
          ExplainReason(
            tier: r.kind, policy: r.policy, rule: r.ruleName, location: r.location,
            effect: effect(r.action), detail: .adminRule(direction)))
      }
    case .systemDefault:
      reasons.append(.systemDefault)
    }
    return DirectionVerdict(allowed: e.allowed, reasons: reasons)
  }

  static func unmatched(_ u: UnmatchedPolicy, direction: Direction) -> ExplainReason {
    guard let rule = u.peerRule, !u.noRulesDefined else {
      return ExplainReason(
        tier: "NetworkPolicy", policy: u.policy.policy, rule: "", location: u.policy.location,
        effect: .noMatch,
        detail: .networkPolicyAdmitsNoRule(direction, noRules: u.noRulesDefined))
    }
    return ExplainReason(
      tier: "NetworkPolicy", policy: u.policy.policy, rule: "#\(rule.ruleIndex + 1)",
      location: rule.location, effect: .noMatch,
      detail: .networkPolicyPortsDiffer(direction, namedPortsUnresolved: u.namedPortsUnresolved))
  }
}

/// Verdicts already built from the engine's interned explanations, so that every pair with the
/// same explanation shares one verdict value.
final class ExplainVerdicts {
  private var known: [Int64: DirectionVerdict] = [:]
  /// The grouped parts per shared explanation key and silent flags (`explainPair`).
  var groups: [Int64: [ExplainGroup]] = [:]

  /// The verdict of explanation `id` (with or without NetworkPolicy denials reported).
  func verdict(_ engine: ReachabilityEngine, _ id: Int32, silent: Bool) -> DirectionVerdict {
    let key = Int64(id) << 1 | (silent ? 1 : 0)
    if let hit = known[key] { return hit }
    let value = ExplainReasons.verdict(engine.directionExplanation(id), silentNetworkPolicyDenials: silent)
    known[key] = value
    return value
  }
}
