import KubeModel

/// Label-selector helpers of exposure analysis: the canonical requirement form netpol-analyzer
/// compares representative peers with, and the way it prints selectors.
enum ExposureSelectors {
  /// The selector's requirements as `key=value`, `key in (a,b)`, `key notin (a,b)`, `key` and
  /// `!key` strings, sorted by key. An `In` with a single value reads as `key=value`, so
  /// `app In [x]` and `app: x` are the same requirement.
  static func requirements(_ selector: LabelSelector?) -> [String] {
    guard let selector else { return [] }
    var items: [(key: String, text: String)] = selector.matchLabels.map {
      ($0.key, "\($0.key)=\($0.value)")
    }
    for requirement in selector.matchExpressions {
      let values = requirement.values.sorted()
      let text: String
      switch requirement.operator {
      case .in:
        text =
          values.count == 1
          ? "\(requirement.key)=\(values[0])"
          : "\(requirement.key) in (\(values.joined(separator: ",")))"
      case .notIn: text = "\(requirement.key) notin (\(values.joined(separator: ",")))"
      case .exists: text = requirement.key
      case .doesNotExist: text = "!\(requirement.key)"
      }
      items.append((requirement.key, text))
    }
    return items.sorted { ($0.key, $0.text) < ($1.key, $1.text) }.map(\.text)
  }

  /// A unique key of the selector: selectors with the same requirements share it.
  static func key(_ selector: LabelSelector?) -> String {
    requirements(selector).joined(separator: "\u{1}")
  }

  /// `k1=v1,k2=v2` for the labels (sorted by key), then the expressions as Go prints a
  /// `LabelSelectorRequirement` (`{Key:k,Operator:In,Values:[a b],}`), sorted.
  static func text(_ selector: LabelSelector) -> String {
    var parts: [String] = []
    if !selector.matchLabels.isEmpty {
      parts.append(
        selector.matchLabels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
          separator: ","))
    }
    if !selector.matchExpressions.isEmpty {
      let expressions = selector.matchExpressions.map { requirement in
        "{Key:\(requirement.key),Operator:\(requirement.operator.rawValue),Values:[\(requirement.values.joined(separator: " "))],}"
      }.sorted()
      parts.append(expressions.joined(separator: ","))
    }
    return parts.joined(separator: ",")
  }
}
