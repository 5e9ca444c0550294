import Foundation
import KubeModel

/// A YAML document as a plain tree with the location of every node, for small configuration
/// files (such as `kubereach check --rules`) that other modules decode themselves: only this
/// module touches libyaml.
public struct YAMLTree: Sendable {
  /// The kind of a node.
  public enum Value: Sendable {
    /// A scalar's text; `plain` when YAML resolves it to a number, boolean or null (written
    /// without quotes), so `53` is a number and `"53"` a string.
    case scalar(String, plain: Bool, isNull: Bool)
    case sequence([YAMLTree])
    /// Keys in written order.
    case mapping([(key: YAMLTree, value: YAMLTree)])
  }

  public var value: Value
  public var location: SourceLocation

  public init(value: Value, location: SourceLocation) {
    self.value = value
    self.location = location
  }

  /// The scalar text, or nil for containers and nulls.
  public var text: String? {
    if case .scalar(let text, _, let isNull) = value, !isNull { return text }
    return nil
  }

  /// True for `~`, `null` and empty values.
  public var isNull: Bool {
    if case .scalar(_, _, let isNull) = value { return isNull }
    return false
  }

  /// The documents of a YAML (or JSON) file; a located `yaml-syntax` error when it does not parse.
  public static func documents(ofFile path: String) -> Result<[YAMLTree], Diagnostic> {
    guard let data = FileDiscovery.contents(of: path) else {
      return .failure(.error(.unreadable, "cannot read \(path)", at: nil))
    }
    return documents(of: Array(data), file: path)
  }

  /// The documents of YAML text.
  public static func documents(of bytes: [UInt8], file: String) -> Result<[YAMLTree], Diagnostic> {
    var out: [YAMLTree] = []
    let document = YAMLDocument()
    let reader = YAMLReader(file: file, limits: YAMLLimits())
    let problem = bytes.withUnsafeBufferPointer { buffer in
      reader.read(buffer, into: document) { doc, index in
        guard let root = doc.root else { return }
        out.append(tree(YNode(doc: doc, index: root), file: file, document: index))
      }
    }
    if let problem { return .failure(problem) }
    return .success(out)
  }

  static func tree(_ node: YNode, file: String, document: Int) -> YAMLTree {
    let location = SourceLocation(file: file, document: document, line: node.line, column: node.column)
    switch node.kind {
    case .scalar:
      return YAMLTree(
        value: .scalar(node.text, plain: node.scalarType != .string, isNull: node.isNull), location: location)
    case .sequence:
      return YAMLTree(
        value: .sequence(node.items.map { tree($0, file: file, document: document) }), location: location)
    case .mapping:
      return YAMLTree(
        value: .mapping(
          node.pairs.map {
            (tree($0.key, file: file, document: document), tree($0.value, file: file, document: document))
          }
        ), location: location)
    }
  }
}

extension YAMLTree {
  /// The value of `key` in a mapping (nil otherwise or when absent).
  public subscript(key: String) -> YAMLTree? {
    guard case .mapping(let pairs) = value else { return nil }
    return pairs.first { $0.key.text == key }?.value
  }

  /// The items of a sequence (empty otherwise).
  public var items: [YAMLTree] {
    if case .sequence(let items) = value { return items }
    return []
  }
}
