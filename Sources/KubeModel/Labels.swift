/// The label key Kubernetes puts on every namespace, holding its name.
public let namespaceNameLabel = "kubernetes.io/metadata.name"

/// A label selector's operator.
public enum SelectorOperator: String, Hashable, Sendable, CaseIterable {
  case `in` = "In"
  case notIn = "NotIn"
  case exists = "Exists"
  case doesNotExist = "DoesNotExist"
}

/// One `matchExpressions` entry.
public struct LabelRequirement: Hashable, Sendable {
  public var key: String
  public var `operator`: SelectorOperator
  public var values: [String]

  public init(key: String, operator: SelectorOperator, values: [String] = []) {
    self.key = key
    self.operator = `operator`
    self.values = values
  }

  public func matches(_ labels: [String: String]) -> Bool {
    switch self.operator {
    case .in: return labels[key].map { values.contains($0) } ?? false
    case .notIn: return labels[key].map { !values.contains($0) } ?? true
    case .exists: return labels[key] != nil
    case .doesNotExist: return labels[key] == nil
    }
  }
}

/// A Kubernetes label selector: `matchLabels` ANDed with every `matchExpressions` entry.
/// The empty selector matches everything.
public struct LabelSelector: Hashable, Sendable {
  public var matchLabels: [String: String]
  public var matchExpressions: [LabelRequirement]

  public init(matchLabels: [String: String] = [:], matchExpressions: [LabelRequirement] = []) {
    self.matchLabels = matchLabels
    self.matchExpressions = matchExpressions
  }

  /// The selector `{}`, which matches every object.
  public static let everything = LabelSelector()

  public var isEmpty: Bool { matchLabels.isEmpty && matchExpressions.isEmpty }

  /// Every label key the selector looks at.
  public var keys: Set<String> {
    Set(matchLabels.keys).union(matchExpressions.map(\.key))
  }

  public func matches(_ labels: [String: String]) -> Bool {
    for (key, value) in matchLabels where labels[key] != value { return false }
    return matchExpressions.allSatisfy { $0.matches(labels) }
  }
}

/// Validation of label keys and values by the Kubernetes rules.
public enum LabelSyntax {
  /// A qualified name: an optional DNS-subdomain prefix and `/`, then a name of at most 63
  /// characters of alphanumerics, `-`, `_` and `.`, starting and ending with an alphanumeric.
  public static func isValidKey(_ key: String) -> Bool {
    let parts = key.split(separator: "/", omittingEmptySubsequences: false)
    switch parts.count {
    case 1: return isValidName(parts[0])
    case 2: return isValidDNSSubdomain(parts[0]) && isValidName(parts[1])
    default: return false
    }
  }

  /// A label value: empty, or a name as in a key.
  public static func isValidValue(_ value: String) -> Bool {
    value.isEmpty || isValidName(Substring(value))
  }

  private static func isAlphanumeric(_ c: UInt8) -> Bool {
    (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
  }

  private static func isValidName(_ name: Substring) -> Bool {
    let bytes = Array(name.utf8)
    guard !bytes.isEmpty, bytes.count <= 63 else { return false }
    guard isAlphanumeric(bytes.first!), isAlphanumeric(bytes.last!) else { return false }
    return bytes.allSatisfy { isAlphanumeric($0) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E }
  }

  private static func isValidDNSSubdomain(_ name: Substring) -> Bool {
    guard !name.isEmpty, name.utf8.count <= 253 else { return false }
    return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
      let bytes = Array(label.utf8)
      guard !bytes.isEmpty, bytes.count <= 63 else { return false }
      let lowerAlnum = { (c: UInt8) in (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7A) }
      return lowerAlnum(bytes.first!) && lowerAlnum(bytes.last!)
        && bytes.allSatisfy { lowerAlnum($0) || $0 == 0x2D }
    }
  }
}
