import Analysis
import KubeModel
import Reachability

/// The sentences of explanation reasons, as netpol-analyzer words them, and their printed order.
public enum ExplainSentences {
  /// The sentence of one reason of a direction whose policies apply at `subject`, with `peer`
  /// at the other end (egress: the source and the destination; ingress: the reverse).
  public static func text(_ reason: ExplainReason, subject: String, peer: String) -> String {
    switch reason.detail {
    case .systemDefault:
      return "the system default (Allow all)"
    case .podToItself:
      return "a pod's traffic to itself is always allowed"
    case .adminRule(let direction):
      let verb: String
      switch reason.effect {
      case .allow: verb = "allows"
      case .deny: verb = "denies"
      case .pass, .noMatch: verb = "passes"
      }
      let kind = reason.tier == "BaselineAdminNetworkPolicy" ? reason.tier : "AdminNetworkPolicy"
      return
        "\(kind) '\(reason.policy)' \(verb) connections by \(direction.rawValue) rule \(reason.rule)"
    case .networkPolicyAllows(let direction):
      return
        "NetworkPolicy '\(reason.policy)' allows connections by \(direction.rawValue) rule \(reason.rule)"
    case .networkPolicyAdmitsNoRule(let direction, let noRules):
      return
        "NetworkPolicy '\(reason.policy)' selects \(subject), but \(peer) is not allowed by any \(direction.rawValue) rule"
        + (noRules ? " (no rules defined)" : "")
    case .networkPolicyPortsDiffer(let direction, let unresolved):
      let why =
        unresolved
        ? "named ports of the rule have no match in the configuration of the destination peer"
        : "the protocols and ports do not match"
      return
        "NetworkPolicy '\(reason.policy)' selects \(subject), and \(direction.rawValue) rule \(reason.rule) selects \(peer), but \(why)"
    case .forwardAllows:
      return
        "\(reason.tier) '\(reason.policy)' allows ingress connections through service \(reason.rule)"
    case .forwardPortsDiffer:
      return
        "\(reason.tier) '\(reason.policy)' allows ingress to service \(reason.rule), but the protocols and ports do not match"
    }
  }

  /// The reasons with their sentences, in printed order (by sentence, as netpol-analyzer sorts).
  public static func sorted(_ reasons: [ExplainReason], subject: String, peer: String)
    -> [(reason: ExplainReason, text: String)]
  {
    reasons.map { ($0, text($0, subject: subject, peer: peer)) }.sorted { $0.text < $1.text }
  }
}
