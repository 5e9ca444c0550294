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
/// selects the pod without allowing the flow, an Ingress/Route, or the system default.
public struct ExplainReason: Hashable, Comparable, Sendable {
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
  /// netpol-analyzer's sentence for this reason.
  public var text: String

  /// Creates a reason.
  public init(
    tier: String, policy: String, rule: String, location: SourceLocation?, effect: ExplainEffect,
    text: String
  ) {
    self.tier = tier
    self.policy = policy
    self.rule = rule
    self.location = location
    self.effect = effect
    self.text = text
  }

  /// The system default (nothing selects the pod in that direction, or no tier decided).
  public static let systemDefault = ExplainReason(
    tier: "SystemDefault", policy: "", rule: "", location: nil, effect: .allow,
    text: "the system default (Allow all)")

  /// Whether this is the system default.
  public var isSystemDefault: Bool { self == ExplainReason.systemDefault }

  /// The word that groups reasons into `<Kind> list:` blocks.
  public var kind: String { tier == "SystemDefault" ? "" : tier }

  /// Orders reasons by their sentence, as netpol-analyzer prints them.
  public static func < (lhs: ExplainReason, rhs: ExplainReason) -> Bool { lhs.text < rhs.text }
}

/// The verdict of one direction (egress at the source, or ingress at the destination) for a
/// part of the connection space, with its reasons sorted as netpol-analyzer prints them.
public struct DirectionVerdict: Hashable, Sendable {
  /// Whether the direction allows this part of the flow.
  public var allowed: Bool
  /// The reasons, sorted by sentence.
  public var reasons: [ExplainReason]

  /// Creates a verdict; the reasons are sorted.
  public init(allowed: Bool, reasons: [ExplainReason]) {
    self.allowed = allowed
    self.reasons = reasons.sorted()
  }

  /// Allowed by nothing but the system default.
  public static let systemDefault = DirectionVerdict(allowed: true, reasons: [.systemDefault])

  /// Whether only the system default decided.
  public var isSystemDefaultOnly: Bool { reasons.count == 1 && reasons[0].isSystemDefault }
}

/// Turns the engine's explanation of one direction (`ReachabilityEngine.explain`) into
/// netpol-analyzer's reasons. It reads the walk's result; it does not evaluate any rule.
enum ExplainReasons {
  /// netpol-analyzer's protocol order in explanations.
  static let protocolOrder: [TransportProtocol] = [.tcp, .udp, .sctp]

  static func verb(_ action: AdminPolicyAction) -> String {
    switch action {
    case .allow: "allows"
    case .deny: "denies"
    case .pass: "passes"
    }
  }

  static func effect(_ action: AdminPolicyAction) -> ExplainEffect {
    switch action {
    case .allow: .allow
    case .deny: .deny
    case .pass: .pass
    }
  }

  /// The reasons of one direction. `subjectName` is the pod end whose policies apply,
  /// `peerName` the other end; with `silentNetworkPolicyDenials` a NetworkPolicy denial keeps
  /// no NetworkPolicy reasons (`ReachabilityEngine.networkPolicyDenialsUnreported`).
  static func verdict(
    _ e: DirectionExplanation, subjectName: String, peerName: String,
    silentNetworkPolicyDenials: Bool
  ) -> DirectionVerdict {
    let dirName = e.direction.rawValue
    var reasons: [ExplainReason] = e.adminRules.map { r in
      ExplainReason(
        tier: r.kind, policy: r.policy, rule: r.ruleName, location: r.location,
        effect: effect(r.action),
        text: "AdminNetworkPolicy '\(r.policy)' \(verb(r.action)) connections by \(dirName) rule \(r.ruleName)"
      )
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
              location: r.location, effect: .allow,
              text:
                "NetworkPolicy '\(r.policy)' allows connections by \(dirName) rule #\(r.ruleIndex + 1)"
            ))
        }
      } else if !silentNetworkPolicyDenials {
        for u in e.unmatchedPolicies {
          reasons.append(unmatched(u, dirName: dirName, subjectName: subjectName, peerName: peerName))
        }
      }
    case .baselineAdminNetworkPolicy:
      if let r = e.baselineRule {
        reasons.append(
          ExplainReason(
            tier: r.kind, policy: r.policy, rule: r.ruleName, location: r.location,
            effect: effect(r.action),
            text:
              "BaselineAdminNetworkPolicy '\(r.policy)' \(verb(r.action)) connections by \(dirName) rule \(r.ruleName)"
          ))
      }
    case .systemDefault:
      reasons.append(.systemDefault)
    }
    return DirectionVerdict(allowed: e.allowed, reasons: reasons)
  }

  static func unmatched(
    _ u: UnmatchedPolicy, dirName: String, subjectName: String, peerName: String
  ) -> ExplainReason {
    let full = u.policy.policy
    if u.noRulesDefined {
      return ExplainReason(
        tier: "NetworkPolicy", policy: full, rule: "", location: u.policy.location,
        effect: .noMatch,
        text:
          "NetworkPolicy '\(full)' selects \(subjectName), but \(peerName) is not allowed by any \(dirName) rule (no rules defined)"
      )
    }
    guard let rule = u.peerRule else {
      return ExplainReason(
        tier: "NetworkPolicy", policy: full, rule: "", location: u.policy.location,
        effect: .noMatch,
        text:
          "NetworkPolicy '\(full)' selects \(subjectName), but \(peerName) is not allowed by any \(dirName) rule"
      )
    }
    let k = rule.ruleIndex + 1
    let why =
      u.namedPortsUnresolved
      ? "named ports of the rule have no match in the configuration of the destination peer"
      : "the protocols and ports do not match"
    return ExplainReason(
      tier: "NetworkPolicy", policy: full, rule: "#\(k)", location: rule.location,
      effect: .noMatch,
      text:
        "NetworkPolicy '\(full)' selects \(subjectName), and \(dirName) rule #\(k) selects \(peerName), but \(why)"
    )
  }
}
