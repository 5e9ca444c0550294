import KubeModel

/// A YAML node read with its position, for readers of files that are not Kubernetes manifests
/// the loader models (flow intents): built by the same libyaml event reader.
public struct YAMLTree: Sendable {
  public indirect enum Value: Sendable {
    case null
    case scalar(String)
    case sequence([YAMLTree])
    case mapping([(key: String, value: YAMLTree)])
  }

  public var value: Value
  /// 1-based line and column.
  public var line: Int
  public var column: Int

  /// The value of `key` in a mapping (nil otherwise or when absent).
  public subscript(key: String) -> YAMLTree? {
    guard case .mapping(let pairs) = value else { return nil }
    return pairs.first { $0.key == key }?.value
  }

  /// The scalar text (nil for containers and null).
  public var text: String? {
    if case .scalar(let s) = value { return s }
    return nil
  }

  /// The items of a sequence (empty otherwise).
  public var items: [YAMLTree] {
    if case .sequence(let items) = value { return items }
    return []
  }

  /// Reads every document of a YAML (or JSON) stream. A syntax error ends the reading with a
  /// located diagnostic; documents before it are returned. Manifest-only keys the loader never
  /// reads (such as `annotations`) come back as null.
  public static func read(bytes: [UInt8], file: String, limits: YAMLLimits = YAMLLimits()) -> (
    documents: [YAMLTree], diagnostics: [Diagnostic]
  ) {
    let document = YAMLDocument()
    let reader = YAMLReader(file: file, limits: limits)
    var documents: [YAMLTree] = []
    let problem = bytes.withUnsafeBufferPointer { buffer in
      reader.read(
        buffer, into: document,
        handler: { doc, _ in
          guard let root = doc.root else { return }
          documents.append(convert(YNode(doc: doc, index: root), depth: 0))
        })
    }
    return (documents, problem.map { [$0] } ?? [])
  }

  private static func convert(_ node: YNode, depth: Int) -> YAMLTree {
    let value: Value
    switch node.kind {
    case .scalar:
      value = node.isNull ? .null : .scalar(node.text)
    case .sequence:
      value = .sequence(node.items.map { convert($0, depth: depth + 1) })
    case .mapping:
      value = .mapping(node.pairs.map { (key: $0.key.text, value: convert($0.value, depth: depth + 1)) })
    }
    return YAMLTree(value: value, line: node.line, column: node.column)
  }
}
