import Analysis
import KubeModel

/// netpol-analyzer's `--explain` text: pairs with specific reasons, then pairs that only the
/// system default allows.
public struct ExplainTextRenderer: Sendable {
  public init() {}

  static let pairSeparator = String(repeating: "-", count: 160) + "\n"
  static let specificHeader = "Specific connections and their reasons"
  static let systemDefaultHeader = "All Connections due to the system default (Allow all)"

  /// The whole explanation as UTF-8 text.
  public func render(_ report: ExplainReport) -> [UInt8] {
    Array(text(report).utf8)
  }

  /// The whole explanation.
  public func text(_ report: ExplainReport) -> String {
    var out = ""
    let specific = report.specificPairs
    if !specific.isEmpty {
      out += Self.header(Self.specificHeader)
      for pair in specific { out += Self.pairSeparator + Self.pairText(pair) + "\n" }
    }
    let defaults = report.systemDefaultPairs
    if !defaults.isEmpty {
      out += Self.header(Self.systemDefaultHeader)
      for pair in defaults { out += "\(pair.source.name) => \(pair.destination.name)\n" }
    }
    return out
  }

  static func header(_ title: String) -> String {
    let bar = String(repeating: "#", count: title.count + 4)
    return "\n\(bar)\n# \(title) #\n\(bar)\n"
  }

  /// One pair: `Connections between A => B:` and its allowed and denied groups.
  static func pairText(_ pair: ExplainedPair) -> String {
    var out = "Connections between \(pair.source.name) => \(pair.destination.name):\n\n"
    let allowed = pair.allowed
    if !allowed.isEmpty {
      out += "Allowed connections:\n"
      out += allowed.map(groupText).joined(separator: "\n")
    }
    let denied = pair.denied
    if !denied.isEmpty {
      if !allowed.isEmpty { out += "\n" }
      out += "Denied connections:\n"
      out += denied.map(groupText).joined(separator: "\n")
    }
    return out
  }

  static func groupText(_ group: ExplainGroup) -> String {
    let verdict = group.allowed ? "Allowed" : "Denied"
    if group.isSystemDefaultOnly {
      return "\t\(verdict) \(group.connectionsText) due to the system default (Allow all)\n"
    }
    var out = "\t\(verdict) \(group.connectionsText) due to the following policies and rules:\n"
    out += directionText("Egress", group.egress)
    out += directionText("Ingress", group.ingress)
    return out
  }

  static func directionText(_ name: String, _ verdict: DirectionVerdict) -> String {
    let state = verdict.allowed ? "Allowed" : "Denied"
    if verdict.isSystemDefaultOnly {
      return "\t\t\(name) (\(state)) due to the system default (Allow all)\n"
    }
    var out = "\t\t\(name) (\(state))\n"
    var i = 0
    let reasons = verdict.reasons
    while i < reasons.count {
      var j = i + 1
      while j < reasons.count && !reasons[i].kind.isEmpty && reasons[j].kind == reasons[i].kind {
        j += 1
      }
      if j - i > 1 {
        out += "\t\t\t\(reasons[i].kind) list:\n"
        for reason in reasons[i..<j] { out += "\t\t\t\t- \(reason.text)\n" }
        out += "\n"
      } else {
        out += "\t\t\t\(reasons[i].text)\n"
      }
      i = j
    }
    return out
  }
}
