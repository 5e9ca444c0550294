import KubeModel

/// Typed access to the fields of one document, recording a located diagnostic for every value of
/// the wrong type. One context serves a whole load; `file` and `document` follow the reader.
final class DecodeContext {
  var file: String = ""
  var document: Int = 0
  /// Report a note for every skipped object.
  var verbose = false
  /// Unknown fields in policies are warnings instead of errors.
  var lenient = false
  /// The namespace of namespaced objects that name none (`-n`).
  var defaultNamespace = "default"
  /// Objects decoded so far (documents that held a Kubernetes object of any kind).
  private(set) var objectCount = 0

  func countObject() { objectCount += 1 }
  private(set) var diagnostics: [Diagnostic] = []
  /// Number of error diagnostics so far (lets a decoder tell whether a part of it failed).
  private(set) var errorCount = 0

  /// Label keys and values already validated: manifests repeat the same few many times.
  private var labelKeyValidity: [String: Bool] = [:]
  private var labelValueValidity: [String: Bool] = [:]
  private static let validityCacheLimit = 1 << 16

  /// `LabelSyntax.isValidKey`, remembered.
  func isValidLabelKey(_ key: String) -> Bool {
    if let known = labelKeyValidity[key] { return known }
    let valid = LabelSyntax.isValidKey(key)
    if labelKeyValidity.count < DecodeContext.validityCacheLimit { labelKeyValidity[key] = valid }
    return valid
  }

  /// `LabelSyntax.isValidValue`, remembered.
  func isValidLabelValue(_ value: String) -> Bool {
    if let known = labelValueValidity[value] { return known }
    let valid = LabelSyntax.isValidValue(value)
    if labelValueValidity.count < DecodeContext.validityCacheLimit {
      labelValueValidity[value] = valid
    }
    return valid
  }

  func location(_ node: YNode) -> SourceLocation {
    SourceLocation(file: file, document: document, line: node.line, column: node.column)
  }

  func error(_ code: DiagnosticCode, _ message: String, at node: YNode) {
    append(.error(code, message, at: location(node)))
  }

  func warning(_ code: DiagnosticCode, _ message: String, at node: YNode) {
    diagnostics.append(.warning(code, message, at: location(node)))
  }

  func append(_ diagnostic: Diagnostic) {
    if diagnostic.severity == .error { errorCount += 1 }
    diagnostics.append(diagnostic)
  }

  private func typeError(_ node: YNode, _ field: String, _ expected: String) {
    let found: String
    switch node.kind {
    case .mapping: found = "a mapping"
    case .sequence: found = "a list"
    case .scalar: found = "'\(node.text.prefix(40))'"
    }
    error(.invalidType, "\(field) must be \(expected), found \(found)", at: node)
  }

  /// A mapping value; nil when absent or null.
  func mapping(_ node: YNode?, _ field: @autoclosure () -> String) -> YNode? {
    guard let node, !node.isNull else { return nil }
    if node.isMapping { return node }
    typeError(node, field(), "a mapping")
    return nil
  }

  /// The items of a list value; nil when absent or null.
  func list(_ node: YNode?, _ field: @autoclosure () -> String) -> YChildren? {
    guard let node, !node.isNull else { return nil }
    if node.isSequence { return node.items }
    if node.isMapping && !node.hasEntries { return [] }
    typeError(node, field(), "a list")
    return nil
  }

  /// A scalar's text; nil when absent or null. Numbers and booleans are taken as their text.
  func string(_ node: YNode?, _ field: @autoclosure () -> String) -> String? {
    guard let node, !node.isNull else { return nil }
    if node.isScalar { return node.text }
    typeError(node, field(), "a string")
    return nil
  }

  /// An integer; nil when absent or null.
  func int(_ node: YNode?, _ field: @autoclosure () -> String) -> Int? {
    guard let node, !node.isNull else { return nil }
    if node.isScalar, let value = node.intValue { return value }
    typeError(node, field(), "an integer")
    return nil
  }

  /// A boolean; nil when absent or null.
  func bool(_ node: YNode?, _ field: @autoclosure () -> String) -> Bool? {
    guard let node, !node.isNull else { return nil }
    if node.isScalar {
      switch node.text.lowercased() {
      case "true", "yes", "on": return true
      case "false", "no", "off": return false
      default: break
      }
    }
    typeError(node, field(), "a boolean")
    return nil
  }

  /// A Kubernetes IntOrString: a YAML integer is a number, anything else a name.
  func intOrString(_ node: YNode?, _ field: @autoclosure () -> String) -> PortValue? {
    guard let node, !node.isNull else { return nil }
    guard node.isScalar else {
      typeError(node, field(), "a number or a name")
      return nil
    }
    if node.scalarType == .int, let value = node.intValue {
      return .number(value)
    }
    return .name(node.text)
  }

  /// A map of strings (labels, selectors); nil when absent or null. Entries merged with `<<`
  /// count when the map does not set them itself.
  func stringMap(_ node: YNode?, _ field: @autoclosure () -> String) -> [String: String]? {
    guard let map = mapping(node, field()) else { return nil }
    var result: [String: String] = [:]
    addEntries(of: map, to: &result, field, depth: 0)
    return result
  }

  private func addEntries(
    of map: YNode, to result: inout [String: String], _ field: () -> String, depth: Int
  ) {
    var merges: [YNode] = []
    for (key, value) in map.pairs {
      guard key.isScalar else {
        typeError(key, "a key of \(field())", "a string")
        continue
      }
      if key.isMergeKey {
        merges.append(value)
      } else if value.isNull {
        result[key.text] = ""
      } else if value.isScalar {
        result[key.text] = value.text
      } else {
        typeError(value, "\(field()).\(key.text)", "a string")
      }
    }
    guard depth < YNode.maxMergeDepth else { return }
    for merge in merges {
      let sources = merge.isSequence ? Array(merge.items) : [merge]
      for source in sources where source.isMapping {
        var merged: [String: String] = [:]
        addEntries(of: source, to: &merged, field, depth: depth + 1)
        result.merge(merged) { own, _ in own }
      }
    }
  }

  /// A list of strings; nil when absent or null.
  func stringList(_ node: YNode?, _ field: @autoclosure () -> String) -> [String]? {
    guard let items = list(node, field()) else { return nil }
    return items.compactMap { item in
      if item.isScalar && !item.isNull { return item.text }
      typeError(item, "an item of \(field())", "a string")
      return nil
    }
  }

  /// Decimal, `0x` hexadecimal or `0o` octal integers, with an optional sign.
  static func parseInt(_ text: String) -> Int? {
    var s = Substring(text)
    var negative = false
    if let first = s.first, first == "-" || first == "+" {
      negative = first == "-"
      s = s.dropFirst()
    }
    let value: Int?
    if s.hasPrefix("0x") {
      value = Int(s.dropFirst(2), radix: 16)
    } else if s.hasPrefix("0o") {
      value = Int(s.dropFirst(2), radix: 8)
    } else if !s.isEmpty && s.allSatisfy({ $0.isASCII && $0.isNumber }) {
      value = Int(s)
    } else {
      value = nil
    }
    guard let value else { return nil }
    return negative ? -value : value
  }
}
